/**
 * Incoming webhooks over HTTP, on both stores: managing them (token shown once, owner or
 * system admin only, audit entries), running them with a Slack-format payload (JSON and
 * `payload=` forms) through the posts service (the `posted` event reaches the channel, the post
 * is marked as a webhook's and authored by the creator), and the bad-input table: 10 MB body,
 * non-JSON, a private channel the creator is not in, an existing user's name, an internal
 * icon URL, unknown tokens, 100 concurrent executions against the per-hook rate limit, and a
 * creator deactivated or removed from the channel.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostView } from '../../src/domain/presenters.js';
import { STORES, startApp, type ApiResponse, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createTeam, envelope, makeSystemAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { MAX_HOOKS_PER_CREATOR } from '../../src/services/webhooks.js';
import { WsClient } from '../helpers/ws-client.js';

const LIMIT = 30;

describe.each(STORES)('incoming webhooks (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let root: TestUser;
  let team: { id: string; name: string };
  let channel: { id: string; name: string };
  let other: { id: string; name: string };
  let secret: { id: string; name: string };

  beforeAll(async () => {
    t = await startApp(kind, {
      env: {
        RUSTCHAT_WEBHOOKS_ALLOW_USERNAME_OVERRIDE: 'true',
        RUSTCHAT_WEBHOOKS_ALLOW_ICON_OVERRIDE: 'true',
        RUSTCHAT_SECURITY_RATE_LIMIT_WEBHOOK_PER_MINUTE: String(LIMIT),
      },
    });
    [alice, bob, carol, root] = await Promise.all([registerUser(t.api, 'alice'), registerUser(t.api, 'bob'), registerUser(t.api, 'carol'), registerUser(t.api, 'root')]);
    await makeSystemAdmin(t.app, root);
    team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    await addTeamMember(t.api, alice, team.id, carol);
    channel = await createChannel(t.api, alice, team.id, 'public');
    await addChannelMember(t.api, alice, channel.id, bob);
    other = await createChannel(t.api, alice, team.id, 'public');
    await addChannelMember(t.api, alice, other.id, bob);
    secret = await createChannel(t.api, alice, team.id, 'private');
  });
  afterAll(async () => t?.close());

  async function newHook(owner: TestUser, channelId: string, extra: Record<string, unknown> = {}): Promise<{ id: string; token: string; url: string }> {
    const res = await t.api.post('/api/v1/hooks/incoming', { channel_id: channelId, display_name: 'CI', ...extra }, owner.token);
    expect(res.status).toBe(201);
    return res.body;
  }

  const run = (token: string, payload: unknown): Promise<ApiResponse> => t.api.post(`/hooks/${token}`, payload);
  const latest = async (channelId: string, n = 1): Promise<PostView[]> => (await t.api.get(`/api/v1/channels/${channelId}/posts?limit=${n}`, alice.token)).body.messages;

  it('creates a hook whose token is shown once, and posts a Slack payload as its creator, marked as a webhook\'s (posted event included)', async () => {
    const hook = await newHook(bob, channel.id);
    expect(hook.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hook.url).toBe(`${t.config.siteUrl.replace(/\/$/, '')}/hooks/${hook.token}`);
    // Never again: not in the hook, not in a list, and not stored (only its hash).
    const got = await t.api.get(`/api/v1/hooks/incoming/${hook.id}`, bob.token);
    expect(got.status).toBe(200);
    expect(JSON.stringify(got.body)).not.toContain(hook.token);
    expect(JSON.stringify((await t.api.get('/api/v1/hooks/incoming', bob.token)).body)).not.toContain(hook.token);
    const { url } = await t.app.listen();
    const ws = await WsClient.connect(url, { token: alice.token });
    try {
      const res = await run(hook.token, {
        text: 'Build **42** passed',
        attachments: [{ color: 'good', pretext: 'CI', title: 'Build 42', title_link: 'https://ci.example.com/42', text: 'All green', fields: [{ title: 'Branch', value: 'main', short: true }, { title: 'Tests', value: 1200 }], image_url: 'https://ci.example.com/chart.png', evil: '<script>' }],
        props: { build: 42 },
      });
      expect(res.status).toBe(200);
      expect(res.text).toBe('ok');
      const event = await ws.waitForEvent('posted', (d) => d.post.message === 'Build **42** passed');
      const post = (event.data as { post: PostView }).post;
      expect(post.user_id).toBe(bob.id);
      expect(post.channel_id).toBe(channel.id);
      expect(post.props).toEqual({
        build: 42, from_webhook: 'true', webhook_id: hook.id,
        attachments: [{ color: 'good', pretext: 'CI', title: 'Build 42', title_link: 'https://ci.example.com/42', text: 'All green', fields: [{ title: 'Branch', value: 'main', short: true }, { title: 'Tests', value: '1200', short: false }], image_url: 'https://ci.example.com/chart.png' }],
      });
      expect((await latest(channel.id))[0]!.id).toBe(post.id);
    } finally {
      ws.close();
    }
  });

  it('accepts a form with payload=, attachments without text, and the channel override by name', async () => {
    const hook = await newHook(bob, channel.id);
    const form = `payload=${encodeURIComponent(JSON.stringify({ text: 'from a form', channel: other.name }))}`;
    const res = await t.api.request('POST', `/hooks/${hook.token}`, { rawBody: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(200);
    expect((await latest(other.id))[0]).toMatchObject({ message: 'from a form', user_id: bob.id });
    expect((await run(hook.token, { attachments: [{ text: 'only an attachment' }], channel: `#${other.name}` })).status).toBe(200);
    expect((await latest(other.id))[0]).toMatchObject({ message: '', props: { attachments: [{ text: 'only an attachment' }] } });
    const noPayload = await t.api.request('POST', `/hooks/${hook.token}`, { rawBody: 'text=hello', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(envelope(noPayload)).toMatchObject({ status: 400, contentType: 'application/json', error: { code: 'BAD_REQUEST' } });
  });

  it('refuses bad input with the envelope and posts nothing', async () => {
    const hook = await newHook(bob, channel.id);
    const before = (await latest(channel.id))[0]?.id;
    const expectRefused = (res: ApiResponse, status: number) => {
      expect(envelope(res).status).toBe(status);
      expect(envelope(res).contentType).toBe('application/json');
    };
    // 10 MB.
    const huge = JSON.stringify({ text: 'x'.repeat(10 * 1024 * 1024) });
    expectRefused(await t.api.request('POST', `/hooks/${hook.token}`, { rawBody: huge, headers: { 'content-type': 'application/json' } }), 413);
    // Not JSON, JSON of the wrong shape, not a type we read.
    expectRefused(await t.api.request('POST', `/hooks/${hook.token}`, { rawBody: 'text: hello', headers: { 'content-type': 'application/json' } }), 400);
    expectRefused(await t.api.request('POST', `/hooks/${hook.token}`, { rawBody: '{"text": "a", ', headers: { 'content-type': 'application/json' } }), 400);
    expectRefused(await run(hook.token, ['text']), 400);
    expectRefused(await t.api.request('POST', `/hooks/${hook.token}`, { rawBody: 'hello', headers: { 'content-type': 'text/plain' } }), 415);
    expectRefused(await t.api.request('POST', `/hooks/${hook.token}`, { rawBody: 'payload=not-json', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400);
    expectRefused(await t.api.request('POST', `/hooks/${hook.token}`, { rawBody: '{"text":"a\\u0000b"}', headers: { 'content-type': 'application/json' } }), 400);
    // Nothing to say, wrong types, bad attachments, reserved props.
    expectRefused(await run(hook.token, {}), 422);
    expectRefused(await run(hook.token, { text: 42 }), 422);
    expectRefused(await run(hook.token, { text: 'x', attachments: [{ title_link: 'javascript:alert(1)' }] }), 422);
    expectRefused(await run(hook.token, { text: 'x', attachments: [{ color: 'red; background: url(x)' }] }), 422);
    expectRefused(await run(hook.token, { text: 'x', attachments: Array.from({ length: 21 }, () => ({ text: 'a' })) }), 422);
    expectRefused(await run(hook.token, { text: 'x', props: { from_webhook: 'false' } }), 422);
    // Attachments only as the top-level field (cleaned), never smuggled in through props.
    expectRefused(await run(hook.token, { text: 'x', props: { attachments: [{ title_link: 'javascript:alert(1)', image_url: 'http://169.254.169.254/x' }] } }), 422);
    expectRefused(await run(hook.token, { text: 'x'.repeat(20_000) }), 422);
    // A name that is a person's (an admin's here): refused, never shown as them.
    const asAdmin = await run(hook.token, { text: 'I am root', username: root.username });
    expect(envelope(asAdmin)).toMatchObject({ status: 422, error: { field: 'username' } });
    expect((await run(hook.token, { text: 'I am root', username: root.username.toUpperCase() })).status).toBe(422);
    // An icon at the metadata address: refused (never fetched either way).
    expect(envelope(await run(hook.token, { text: 'x', icon_url: 'http://169.254.169.254/latest/meta-data/' }))).toMatchObject({ status: 422, error: { field: 'icon_url' } });
    expect(envelope(await run(hook.token, { text: 'x', icon_url: 'http://127.0.0.1/i.png' })).status).toBe(422);
    expect((await latest(channel.id))[0]?.id).toBe(before);
  });

  it('shows an allowed name and icon only as overrides of a post that stays the creator\'s', async () => {
    const hook = await newHook(bob, channel.id);
    expect((await run(hook.token, { text: 'deployed', username: 'deploy-bot', icon_url: 'https://cdn.example.com/bot.png' })).status).toBe(200);
    const post = (await latest(channel.id))[0]!;
    expect(post.user_id).toBe(bob.id);
    expect(post.props).toMatchObject({ from_webhook: 'true', override_username: 'deploy-bot', override_icon_url: 'https://cdn.example.com/bot.png' });
  });

  it('posts only where its creator may post now: private channel not in, unknown name, locked hook → 403; unknown tokens → the same 404', async () => {
    const hook = await newHook(bob, channel.id);
    const intoSecret = await run(hook.token, { text: 'leak', channel: secret.name });
    expect(intoSecret.status).toBe(403);
    const unknownName = await run(hook.token, { text: 'leak', channel: 'no-such-channel' });
    expect(envelope(unknownName)).toEqual(envelope(intoSecret));
    // Creating a hook in a private channel one is not in: the channel's 404.
    expect((await t.api.post('/api/v1/hooks/incoming', { channel_id: secret.id }, bob.token)).status).toBe(404);
    const locked = await newHook(bob, channel.id, { channel_locked: true });
    expect((await run(locked.token, { text: 'elsewhere', channel: other.name })).status).toBe(403);
    expect((await run(locked.token, { text: 'here' })).status).toBe(200);
    // Unknown tokens, well formed or not: one answer.
    const unknown = await run('A'.repeat(43), { text: 'x' });
    expect(unknown.status).toBe(404);
    expect(envelope(await run('short', { text: 'x' }))).toEqual(envelope(unknown));
    expect(envelope(await run(`${hook.token.slice(0, 42)}${hook.token[42] === 'A' ? 'B' : 'A'}`, { text: 'x' }))).toEqual(envelope(unknown));
    // Each is a refusal on record (security event), without the token it tried.
    const refusals = t.logs.lines.filter((l) => l.includes('"security_event":"access_denied"') && l.includes('"reason":"unknown_token"'));
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    expect(refusals.join('\n')).not.toContain('A'.repeat(43));
  });

  it('stops when its creator leaves the channel or is deactivated, and works again when they are back', async () => {
    const carolsChannel = await createChannel(t.api, alice, team.id, 'private');
    await addChannelMember(t.api, alice, carolsChannel.id, carol);
    const hook = await newHook(carol, carolsChannel.id);
    expect((await run(hook.token, { text: 'one' })).status).toBe(200);
    expect((await t.api.delete(`/api/v1/channels/${carolsChannel.id}/members/${carol.id}`, alice.token)).status).toBe(200);
    expect((await run(hook.token, { text: 'two' })).status).toBe(403);
    await addChannelMember(t.api, alice, carolsChannel.id, carol);
    expect((await run(hook.token, { text: 'three' })).status).toBe(200);
    expect((await t.api.post(`/api/v1/admin/users/${carol.id}/deactivate`, undefined, root.token)).status).toBe(200);
    const off = await run(hook.token, { text: 'four' });
    expect(envelope(off)).toMatchObject({ status: 403, error: { code: 'FORBIDDEN' } });
    expect((await t.api.post(`/api/v1/admin/users/${carol.id}/reactivate`, undefined, root.token)).status).toBe(200);
    expect((await run(hook.token, { text: 'five' })).status).toBe(200);
    expect((await latest(carolsChannel.id, 10)).map((p) => p.message)).toEqual(['five', 'three', 'one']);
  });

  it('answers 100 concurrent executions of one hook with posts up to the limit and the 429 contract after, never a 500', async () => {
    const hook = await newHook(bob, other.id);
    const results = await Promise.all(Array.from({ length: 100 }, (_v, i) => run(hook.token, { text: `burst ${i}` })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(100 - LIMIT);
    const limited = results.find((r) => r.status === 429)!;
    expect(limited.body.error).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests. Please try again later.' });
    expect(limited.headers['x-ratelimit-limit']).toBe(String(LIMIT));
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const posts = (await t.api.get(`/api/v1/channels/${other.id}/posts?limit=100`, alice.token)).body.messages as PostView[];
    expect(posts.filter((p) => p.message.startsWith('burst '))).toHaveLength(LIMIT);
    // Counted per hook.
    const metrics = await t.app.metrics.registry.getSingleMetricAsString('rustchat_webhook_executions_total');
    expect(metrics).toContain(`rustchat_webhook_executions_total{hook_id="${hook.id}",kind="incoming",outcome="posted"} ${LIMIT}`);
    expect(metrics).toContain(`rustchat_webhook_executions_total{hook_id="${hook.id}",kind="incoming",outcome="rate_limited"} ${100 - LIMIT}`);
    // Another hook is not limited by this one.
    const fresh = await newHook(bob, other.id);
    expect((await run(fresh.token, { text: 'unaffected' })).status).toBe(200);
  });

  it('bounds how many hooks one person creates (each kind), so nobody can flood the team\'s delivery queue', async () => {
    const dora = await registerUser(t.api, 'dora');
    await addTeamMember(t.api, alice, team.id, dora);
    await addChannelMember(t.api, alice, channel.id, dora);
    for (let i = 0; i < MAX_HOOKS_PER_CREATOR; i++) await newHook(dora, channel.id);
    const over = await t.api.post('/api/v1/hooks/incoming', { channel_id: channel.id }, dora.token);
    expect(envelope(over)).toMatchObject({ status: 409 });
    const out = (n: number) => t.api.post('/api/v1/hooks/outgoing', { team_id: team.id, trigger_words: [`w${n}`], callback_urls: ['https://example.com/hook'] }, dora.token);
    for (let i = 0; i < MAX_HOOKS_PER_CREATOR; i++) expect((await out(i)).status).toBe(201);
    expect(envelope(await out(99))).toMatchObject({ status: 409 });
  });

  it('lets only the creator or a system admin see, change, regenerate and delete a hook; every change is audited', async () => {
    // Carol's sessions ended with her deactivation above: someone else plays the outsider.
    const dan = await registerUser(t.api, 'dan');
    await addTeamMember(t.api, alice, team.id, dan);
    const hook = await newHook(bob, channel.id);
    const mine = await t.api.get('/api/v1/hooks/incoming', bob.token);
    expect(mine.body.map((h: { id: string }) => h.id)).toContain(hook.id);
    expect(mine.body.every((h: { creator_id: string }) => h.creator_id === bob.id)).toBe(true);
    expect((await t.api.get('/api/v1/hooks/incoming', dan.token)).body.map((h: { id: string }) => h.id)).not.toContain(hook.id);
    expect((await t.api.get(`/api/v1/hooks/incoming?team_id=${team.id}&per_page=200`, root.token)).body.map((h: { id: string }) => h.id)).toContain(hook.id);
    // Someone else: the 404 of a hook that does not exist.
    for (const [method, path, body] of [['GET', '', undefined], ['PUT', '', { display_name: 'mine' }], ['DELETE', '', undefined], ['POST', '/regen_token', undefined]] as const) {
      const theirs = await t.api.request(method, `/api/v1/hooks/incoming/${hook.id}${path}`, { token: dan.token, ...(body ? { body } : {}) });
      const missing = await t.api.request(method, `/api/v1/hooks/incoming/${randomUUID()}${path}`, { token: dan.token, ...(body ? { body } : {}) });
      expect(theirs.status).toBe(404);
      expect(envelope(theirs)).toEqual(envelope(missing));
    }
    // Moving it needs a channel the owner may post in.
    expect((await t.api.put(`/api/v1/hooks/incoming/${hook.id}`, { channel_id: secret.id }, bob.token)).status).toBe(404);
    const moved = await t.api.put(`/api/v1/hooks/incoming/${hook.id}`, { channel_id: other.id, display_name: 'Moved' }, bob.token);
    expect(moved.body).toMatchObject({ channel_id: other.id, display_name: 'Moved' });
    const regen = await t.api.post(`/api/v1/hooks/incoming/${hook.id}/regen_token`, undefined, bob.token);
    expect(regen.status).toBe(200);
    expect((await run(hook.token, { text: 'old token' })).status).toBe(404);
    expect((await run(regen.body.token, { text: 'new token' })).status).toBe(200);
    expect((await t.api.put(`/api/v1/hooks/incoming/${hook.id}`, { description: 'by the admin' }, root.token)).status).toBe(200);
    expect((await t.api.delete(`/api/v1/hooks/incoming/${hook.id}`, bob.token)).status).toBe(200);
    expect((await run(regen.body.token, { text: 'gone' })).status).toBe(404);
    const audit = (await t.api.get('/api/v1/admin/audit?per_page=200', root.token)).body as { action: string; target_id: string; actor_id: string }[];
    const mineAudit = audit.filter((a) => a.target_id === hook.id).map((a) => `${a.action} ${a.actor_id === root.id ? 'root' : 'bob'}`).sort();
    expect(mineAudit).toEqual(['webhook.incoming.create bob', 'webhook.incoming.delete bob', 'webhook.incoming.regenerate_token bob', 'webhook.incoming.update bob', 'webhook.incoming.update root']);
  });

  it('ignores the name and icon overrides unless the admin allows them', async () => {
    const plain = await startApp(kind);
    try {
      const u = await registerUser(plain.api, 'dan');
      const tm = await createTeam(plain.api, u);
      const ch = await createChannel(plain.api, u, tm.id, 'public');
      const hook = (await plain.api.post('/api/v1/hooks/incoming', { channel_id: ch.id }, u.token)).body;
      expect((await plain.api.post(`/hooks/${hook.token}`, { text: 'hi', username: 'someone-else', icon_url: 'https://cdn.example.com/x.png' })).status).toBe(200);
      const post = (await plain.api.get(`/api/v1/channels/${ch.id}/posts?limit=1`, u.token)).body.messages[0];
      expect(post.props).toEqual({ from_webhook: 'true', webhook_id: hook.id });
    } finally {
      await plain.close();
    }
  });
});
