/**
 * Outgoing webhooks over HTTP, on both stores, against a real HTTP receiver on loopback
 * (reached as `localhost`, which the test allow-lists in RUSTCHAT_OUTBOUND_ALLOWED_HOSTS):
 * the exact Mattermost request body (JSON and form), the reply posted back into the channel
 * (as a thread reply for `response_type: comment`), retries after 5xx, the delivery log, the
 * regenerated token, and who may manage a hook.
 *
 * The SSRF table: callbacks to 127.0.0.1, [::1], 169.254.169.254 (refused when saved), a
 * redirect to 127.0.0.1 (not followed: the body carries the token), names that resolve to
 * loopback or a private address (refused at connect time), and a 2 GB answer: a loopback canary listener that is NOT allow-listed
 * counts ZERO connections. "The callbacks are over" is `services.webhooks.idle()`.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { lookup } from 'node:dns/promises';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCanary, type Canary } from '../helpers/canary.js';
import type { PostView } from '../../src/domain/presenters.js';
import { HOOK_LIST_MS } from '../../src/services/webhooks.js';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, envelope, makeSystemAdmin, registerUser, type TestUser } from '../helpers/factories.js';

interface Received {
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
}

describe.each(STORES)('outgoing webhooks (%s)', (kind) => {
  let canary: Canary;
  let receiver: HttpServer;
  let port = 0;
  const received: Received[] = [];
  /** What /reply answers (JSON). */
  let replyWith: unknown = {};
  let failuresLeft = 0;
  /** Requests to /silent are held here, never answered. */
  const held: ServerResponse[] = [];
  let onHeld: (() => void) | undefined;
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let root: TestUser;
  let team: { id: string; name: string };
  let channel: { id: string; name: string };
  let quiet: { id: string; name: string };
  let secret: { id: string; name: string };
  /** Added to the services' clock (the hook lists' HOOK_LIST_MS is measured on it). */
  let skew = 0;

  const at = (path: string): string => `http://localhost:${port}${path}`;

  beforeAll(async () => {
    canary = await startCanary();
    receiver = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        received.push({ path: u.pathname, contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') });
        switch (u.pathname) {
          case '/reply':
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(replyWith));
            return;
          case '/flaky':
            if (failuresLeft-- > 0) res.writeHead(503).end('busy');
            else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
            return;
          case '/redirect':
            res.writeHead(307, { location: u.searchParams.get('to')! }).end();
            return;
          case '/huge': {
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 ** 3) });
            const chunk = Buffer.alloc(64 * 1024, 0x20);
            const pump = (): void => {
              while (!res.destroyed && res.write(chunk));
              if (!res.destroyed) res.once('drain', pump);
            };
            pump();
            return;
          }
          case '/silent':
            held.push(res);
            onHeld?.();
            return;
          case '/not-found':
            res.writeHead(404).end();
            return;
          default:
            res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
        }
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as { port: number }).port;
    // A hostile DNS server's answers; `localhost` is pinned to the IPv4 receiver.
    const names: Record<string, string> = { localhost: '127.0.0.1', 'rebind.test': '127.0.0.1', 'corp.test': '10.1.2.3', 'v6.test': '::1' };
    t = await startApp(kind, {
      clock: () => Date.now() + skew,
      env: { RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: 'localhost' },
      webhookTimeoutMs: 2000,
      webhookRetryDelaysMs: [5, 5],
      outboundResolve: async (host, family) => {
        const address = names[host];
        if (address !== undefined) return [{ address, family: address.includes(':') ? 6 : 4 }];
        return lookup(host, { all: true, ...(family === 4 || family === 6 ? { family } : {}) });
      },
    });
    [alice, bob, carol, root] = await Promise.all([registerUser(t.api, 'alice'), registerUser(t.api, 'bob'), registerUser(t.api, 'carol'), registerUser(t.api, 'root')]);
    await makeSystemAdmin(t.app, root);
    team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    channel = await createChannel(t.api, alice, team.id, 'public');
    await addChannelMember(t.api, alice, channel.id, bob);
    quiet = await createChannel(t.api, alice, team.id, 'public');
    secret = await createChannel(t.api, alice, team.id, 'private');
    await addChannelMember(t.api, alice, secret.id, bob);
  });

  afterAll(async () => {
    await t?.close();
    for (const res of held) res.destroy();
    receiver?.closeAllConnections();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    await canary?.close();
  });

  async function newHook(owner: TestUser, body: Record<string, unknown>): Promise<{ id: string; token: string }> {
    const res = await t.api.post('/api/v1/hooks/outgoing', { team_id: team.id, display_name: 'Deploy', ...body }, owner.token);
    if (res.status !== 201) throw new Error(`hook create failed: ${res.status} ${res.text}`);
    return res.body;
  }

  const settle = (): Promise<void> => t.app.services.webhooks.idle();
  const deliveries = async (id: string, as: TestUser = bob) => (await t.api.get(`/api/v1/hooks/outgoing/${id}/deliveries`, as.token)).body as { url: string; attempt: number; status: number | null; error: string | null }[];

  it('POSTs the exact Mattermost body for a trigger word and posts the JSON answer back as a thread reply marked from_webhook', async () => {
    const hook = await newHook(bob, { trigger_words: ['deploy'], callback_urls: [at('/reply')] });
    replyWith = { text: 'Deploying **main**', response_type: 'comment', username: 'ignored-unless-allowed', props: { run: 7 } };
    received.length = 0;
    const post = await createPost(t.api, alice, channel.id, 'deploy main now');
    // The post was answered before any callback; the callback happens after.
    await settle();
    expect(received).toHaveLength(1);
    expect(received[0]!.contentType).toBe('application/json');
    expect(JSON.parse(received[0]!.body)).toEqual({
      token: hook.token, team_id: team.id, team_domain: team.name, channel_id: channel.id, channel_name: channel.name, timestamp: post.created_at,
      user_id: alice.id, user_name: alice.username, post_id: post.id, text: 'deploy main now', trigger_word: 'deploy', file_ids: '',
    });
    const thread = (await t.api.get(`/api/v1/posts/${post.id}/thread`, alice.token)).body;
    const reply = thread.order.map((id: string) => thread.posts[id] as PostView).find((p: PostView) => p.id !== post.id)!;
    expect(reply).toMatchObject({ message: 'Deploying **main**', user_id: bob.id, root_post_id: post.id });
    expect(reply.props).toEqual({ run: 7, from_webhook: 'true', webhook_id: hook.id });
    // The reply (from a webhook) triggers nothing, and words that are not first do not either (trigger_when 0).
    received.length = 0;
    await createPost(t.api, alice, channel.id, 'please deploy');
    await createPost(t.api, alice, channel.id, 'deployment');
    await settle();
    expect(received).toHaveLength(0);
    const log = await deliveries(hook.id);
    expect(log[0]).toMatchObject({ url: at('/reply'), attempt: 1, status: 200, error: null });
    await t.api.delete(`/api/v1/hooks/outgoing/${hook.id}`, bob.token);
  });

  it('sends a form body for x-www-form-urlencoded, matches "starts with", watches a channel; private channels never trigger', async () => {
    const hook = await newHook(bob, { channel_id: quiet.id, trigger_words: ['!ci'], trigger_when: 1, content_type: 'application/x-www-form-urlencoded', callback_urls: [at('/form')] });
    received.length = 0;
    const post = await createPost(t.api, alice, quiet.id, '!ci-run tests');
    await createPost(t.api, alice, channel.id, '!ci-run elsewhere');
    await settle();
    expect(received).toHaveLength(1);
    expect(received[0]!.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(received[0]!.body))).toEqual({
      token: hook.token, team_id: team.id, team_domain: team.name, channel_id: quiet.id, channel_name: quiet.name, timestamp: String(post.created_at),
      user_id: alice.id, user_name: alice.username, post_id: post.id, text: '!ci-run tests', trigger_word: '!ci', file_ids: '',
    });
    // A whole channel without trigger words: every post in it.
    const watcher = await newHook(bob, { channel_id: quiet.id, callback_urls: [at('/watch')] });
    const team2Secret = await newHook(bob, { trigger_words: ['psst'], callback_urls: [at('/secret')] });
    received.length = 0;
    await createPost(t.api, alice, quiet.id, 'anything at all');
    await createPost(t.api, bob, secret.id, 'psst private');
    await settle();
    expect(received.map((r) => r.path)).toEqual(['/watch']);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ trigger_word: '', text: 'anything at all' });
    for (const h of [hook, watcher, team2Secret]) await t.api.delete(`/api/v1/hooks/outgoing/${h.id}`, bob.token);
  });

  /** Posts each message in `channel` as alice, waits for the callbacks; the texts they carried. */
  async function postAndCollect(...messages: string[]): Promise<string[]> {
    received.length = 0;
    for (const message of messages) await createPost(t.api, alice, channel.id, message);
    await settle();
    return received.map((r) => JSON.parse(r.body).text as string);
  }

  /** Changes a hook's words in the store only: no announcement, as on a node whose announcement was lost. */
  const changeUnannounced = (id: string, words: string[]): Promise<unknown> => t.app.store.webhooks.updateOutgoing(id, { trigger_words: JSON.stringify(words) }, Date.now());

  it('matches each post against the team\'s hooks as they are now: a hook created, changed or deleted counts from the next post', async () => {
    // The team's hook list is read once and kept (services/webhooks.ts HookLists); a post now warms it.
    await postAndCollect('warm the list: cache');
    const hook = await newHook(bob, { trigger_words: ['cache'], callback_urls: [at('/cache')] });
    expect(await postAndCollect('cache one')).toEqual(['cache one']);
    // Changed: the old word no longer fires, the new one does (with its trigger word).
    expect((await t.api.put(`/api/v1/hooks/outgoing/${hook.id}`, { trigger_words: ['stash'] }, bob.token)).status).toBe(200);
    expect(await postAndCollect('cache two', 'stash three')).toEqual(['stash three']);
    expect(JSON.parse(received[0]!.body).trigger_word).toBe('stash');
    // Deleted: nothing more.
    expect((await t.api.delete(`/api/v1/hooks/outgoing/${hook.id}`, bob.token)).status).toBe(200);
    expect(await postAndCollect('stash four')).toEqual([]);
  });

  it('never fires a hook from a list this process kept when the hook changed meanwhile: the job reads the hook again', async () => {
    const hook = await newHook(bob, { trigger_words: ['race'], callback_urls: [at('/race')] });
    await postAndCollect('race warm');
    // The kept list still matches `race`; the job's fresh read does not.
    await changeUnannounced(hook.id, ['other']);
    expect(await postAndCollect('race again')).toEqual([]);
    await t.app.store.webhooks.deleteOutgoing(hook.id);
    expect(await postAndCollect('other race')).toEqual([]);
  });

  it('reads a team\'s hooks again once its copy is HOOK_LIST_MS old, and when the bus may have lost messages', async () => {
    const hook = await newHook(bob, { trigger_words: ['ttlold'], callback_urls: [at('/ttl')] });
    await postAndCollect('ttlold warm');
    await changeUnannounced(hook.id, ['ttlnew']);
    expect(await postAndCollect('ttlnew one')).toEqual([]);
    skew += HOOK_LIST_MS;
    expect(await postAndCollect('ttlnew two')).toEqual(['ttlnew two']);
    // A resync (the bus may have lost messages) forgets every copy.
    await changeUnannounced(hook.id, ['resync']);
    expect(await postAndCollect('resync one')).toEqual([]);
    t.app.services.webhooks.onResync();
    expect(await postAndCollect('resync two')).toEqual(['resync two']);
    await t.api.delete(`/api/v1/hooks/outgoing/${hook.id}`, bob.token);
  });

  it('retries a 5xx with back-off and logs every attempt; does not retry a 4xx', async () => {
    const flaky = await newHook(bob, { trigger_words: ['flaky'], callback_urls: [at('/flaky')] });
    const gone = await newHook(bob, { trigger_words: ['flaky'], callback_urls: [at('/not-found')] });
    failuresLeft = 2;
    await createPost(t.api, alice, channel.id, 'flaky build');
    await settle();
    expect((await deliveries(flaky.id)).map((d) => [d.attempt, d.status])).toEqual([[3, 200], [2, 503], [1, 503]]);
    expect((await deliveries(gone.id)).map((d) => [d.attempt, d.status])).toEqual([[1, 404]]);
    for (const h of [flaky, gone]) await t.api.delete(`/api/v1/hooks/outgoing/${h.id}`, bob.token);
  });

  it('never reaches an internal address it was not told to trust: the canary counts zero', async () => {
    // Refused when saved: what the URL itself names.
    for (const url of [`http://127.0.0.1:${canary.port}/`, `http://[::1]:${canary.port}/`, 'http://169.254.169.254/latest/meta-data/', `http://localhost.localhost:${canary.port}/`, `http://2130706433:${canary.port}/`, 'http://10.0.0.8/']) {
      const res = await t.api.post('/api/v1/hooks/outgoing', { team_id: team.id, trigger_words: ['ssrf'], callback_urls: [url] }, bob.token);
      expect(envelope(res), url).toMatchObject({ status: 422, error: { field: 'callback_urls' } });
    }
    expect((await t.api.post('/api/v1/hooks/outgoing', { team_id: team.id, trigger_words: ['ssrf'], callback_urls: ['file:///etc/passwd'] }, bob.token)).status).toBe(422);
    // Refused when called: a redirect to loopback, names that resolve inside, an answer too large.
    const hook = await newHook(bob, {
      trigger_words: ['ssrf'],
      callback_urls: [
        at(`/redirect?to=${encodeURIComponent(`http://127.0.0.1:${canary.port}/`)}`),
        `http://rebind.test:${canary.port}/`, `http://corp.test:${canary.port}/`, `http://v6.test:${canary.port}/`, at('/huge'),
      ],
    });
    const before = canary.connections();
    const post = await createPost(t.api, alice, channel.id, 'ssrf attempt');
    expect(post.message).toBe('ssrf attempt');
    await settle();
    expect(canary.connections()).toBe(before);
    const log = await deliveries(hook.id);
    const byUrl = new Map(log.map((d) => [d.url.replace(`:${canary.port}`, ':CANARY').replace(`:${port}`, ':RECEIVER'), d.error ?? d.status]));
    expect(Object.fromEntries(byUrl)).toEqual({
      // The redirect's answer is logged, never followed.
      [`http://localhost:RECEIVER/redirect?to=${encodeURIComponent('http://127.0.0.1:CANARY/').replace('CANARY', String(canary.port))}`]: 307,
      'http://rebind.test:CANARY/': 'refused: loopback address',
      'http://corp.test:CANARY/': 'refused: private address',
      'http://v6.test:CANARY/': 'refused: loopback address',
      'http://localhost:RECEIVER/huge': 'refused: response larger than 65536 bytes',
    });
    // Refusals (and a 3xx) are not retried.
    expect(log.every((d) => d.attempt === 1)).toBe(true);
    await t.api.delete(`/api/v1/hooks/outgoing/${hook.id}`, bob.token);
  });

  it('answers the post at once while a callback never answers; the callback times out and is retried', async () => {
    const hook = await newHook(bob, { trigger_words: ['hang'], callback_urls: [at('/silent')] });
    const arrived = new Promise<void>((resolve) => (onHeld = resolve));
    const post = await createPost(t.api, alice, channel.id, 'hang forever');
    // The post was answered although its callback has not been (and never will be).
    expect(post.message).toBe('hang forever');
    await arrived;
    await settle();
    const log = await deliveries(hook.id);
    expect(log.map((d) => d.attempt)).toEqual([3, 2, 1]);
    expect(log.every((d) => d.status === null && d.error !== null)).toBe(true);
    await t.api.delete(`/api/v1/hooks/outgoing/${hook.id}`, bob.token);
  });

  it('regenerates the token, stops when its creator leaves the team, and lets only its creator or a system admin manage it', async () => {
    const hook = await newHook(bob, { trigger_words: ['tok'], callback_urls: [at('/tok')] });
    const regen = await t.api.post(`/api/v1/hooks/outgoing/${hook.id}/regen_token`, undefined, bob.token);
    expect(regen.status).toBe(200);
    expect(regen.body.token).not.toBe(hook.token);
    expect(JSON.stringify((await t.api.get(`/api/v1/hooks/outgoing/${hook.id}`, bob.token)).body)).not.toContain(regen.body.token);
    received.length = 0;
    await createPost(t.api, alice, channel.id, 'tok 1');
    await settle();
    expect(JSON.parse(received[0]!.body).token).toBe(regen.body.token);
    // Others: the 404 of a hook that does not exist; a system admin may.
    for (const [method, path, body] of [['GET', '', undefined], ['PUT', '', { display_name: 'x' }], ['DELETE', '', undefined], ['POST', '/regen_token', undefined], ['GET', '/deliveries', undefined]] as const) {
      const theirs = await t.api.request(method, `/api/v1/hooks/outgoing/${hook.id}${path}`, { token: alice.token, ...(body ? { body } : {}) });
      expect(envelope(theirs), `${method} ${path}`).toEqual(envelope(await t.api.request(method, `/api/v1/hooks/outgoing/${randomUUID()}${path}`, { token: alice.token, ...(body ? { body } : {}) })));
      expect(theirs.status).toBe(404);
    }
    expect((await t.api.get(`/api/v1/hooks/outgoing/${hook.id}/deliveries`, root.token)).status).toBe(200);
    expect((await t.api.put(`/api/v1/hooks/outgoing/${hook.id}`, { trigger_words: ['tok', 'tik'], callback_urls: [at('/tok2')] }, root.token)).body).toMatchObject({ trigger_words: ['tok', 'tik'], callback_urls: [at('/tok2')] });
    // Outside a team: no hook there; a private channel is never a hook's channel.
    expect((await t.api.post('/api/v1/hooks/outgoing', { team_id: team.id, trigger_words: ['x'], callback_urls: [at('/x')] }, carol.token)).status).toBe(404);
    expect((await t.api.post('/api/v1/hooks/outgoing', { team_id: team.id, channel_id: secret.id, callback_urls: [at('/x')] }, bob.token)).status).toBe(422);
    expect((await t.api.post('/api/v1/hooks/outgoing', { team_id: team.id, callback_urls: [at('/x')] }, bob.token)).status).toBe(422);
    // The creator leaves the team: the hook stops.
    expect((await t.api.delete(`/api/v1/teams/${team.id}/members/${bob.id}`, alice.token)).status).toBe(200);
    received.length = 0;
    await createPost(t.api, alice, channel.id, 'tok 2');
    await settle();
    expect(received).toHaveLength(0);
    const audit = (await t.api.get('/api/v1/admin/audit?per_page=200', root.token)).body as { action: string; target_id: string }[];
    expect(audit.filter((a) => a.target_id === hook.id).map((a) => a.action).sort()).toEqual(['webhook.outgoing.create', 'webhook.outgoing.regenerate_token', 'webhook.outgoing.update']);
  });
});
