/**
 * Notification preferences (global and per channel, mute), the @channel confirmation and flood
 * limit, and the decision reaching the desktop (`notification` events), on both stores.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, envelope, registerUser, type TestUser } from '../helpers/factories.js';
import { dbDigest, locationOf } from '../helpers/store.js';
import { DEFAULT_CHANNEL_PROPS, DEFAULT_PREFS, MAX_KEYWORDS } from '../../src/domain/notify-rules.js';

const PREFS = '/api/v1/users/me/preferences/notifications';
const props = (id: string) => `/api/v1/channels/${id}/members/me/notify_props`;

describe.each(STORES)('notifications: preferences and @channel (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let team: { id: string };
  let small: { id: string };
  let big: { id: string };
  const crowd: TestUser[] = [];
  beforeAll(async () => {
    t = await startApp(kind, { env: { RUSTCHAT_NOTIFY_CHANNEL_MENTION_CONFIRM_MEMBERS: '5', RUSTCHAT_NOTIFY_CHANNEL_MENTIONS_PER_MINUTE: '3' } });
    alice = await registerUser(t.api, 'alice');
    bob = await registerUser(t.api, 'bob');
    team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    small = await createChannel(t.api, alice, team.id);
    await addChannelMember(t.api, alice, small.id, bob);
    big = await createChannel(t.api, alice, team.id);
    await addChannelMember(t.api, alice, big.id, bob);
    for (let i = 0; i < 4; i++) {
      const u = await registerUser(t.api, `crowd${i}`);
      await addTeamMember(t.api, alice, team.id, u);
      await addChannelMember(t.api, alice, big.id, u);
      crowd.push(u);
    }
  });
  afterAll(async () => t?.close());

  it('starts from the defaults and changes only the fields given', async () => {
    const carol = await registerUser(t.api, 'carol');
    expect(await t.api.get(PREFS, carol.token)).toMatchObject({ status: 200, body: { ...DEFAULT_PREFS, keywords: [] } });
    const put = await t.api.put(PREFS, { desktop: 'all', keywords: ['  Deploy ', 'deploy', 'a.b*(c)'], email_interval: 'immediately', dnd_end_at: 1234 }, carol.token);
    expect(put).toMatchObject({ status: 200, body: { ...DEFAULT_PREFS, desktop: 'all', keywords: ['Deploy', 'a.b*(c)'], email_interval: 'immediately', dnd_end_at: 1234 } });
    expect((await t.api.put(PREFS, { push: 'none' }, carol.token)).body).toMatchObject({ desktop: 'all', push: 'none', keywords: ['Deploy', 'a.b*(c)'] });
    expect((await t.api.get(PREFS, carol.token)).body).toMatchObject({ desktop: 'all', push: 'none', dnd_end_at: 1234 });
    // Another person's preferences are their own.
    expect((await t.api.get(PREFS, bob.token)).body.desktop).toBe(DEFAULT_PREFS.desktop);
    expect((await t.api.get(PREFS)).status).toBe(401);
  });

  it(`accepts ${MAX_KEYWORDS} keywords and refuses bad input with the envelope, writing nothing`, async () => {
    const dave = await registerUser(t.api, 'dave');
    const many = Array.from({ length: MAX_KEYWORDS }, (_, i) => `word${i}[`);
    expect((await t.api.put(PREFS, { keywords: many }, dave.token)).body.keywords).toHaveLength(MAX_KEYWORDS);
    const before = await dbDigest(locationOf(t));
    const bad: unknown[] = [
      { keywords: [...many, 'one-too-many'] },
      { keywords: ['x'.repeat(65)] },
      { keywords: ['nul\u0000byte'] },
      { keywords: 'not a list' },
      { keywords: [42] },
      { desktop: 'loud' },
      { first_name: 'yes' },
      { dnd_end_at: -1 },
      { email_interval: 'weekly' },
      { is_admin: true },
      [],
    ];
    for (const body of bad) {
      const res = await t.api.put(PREFS, body, dave.token);
      expect([400, 422], JSON.stringify(body)).toContain(res.status);
      expect(envelope(res).error.code).toMatch(/^(BAD_REQUEST|VALIDATION_ERROR)$/);
    }
    const malformed = await t.api.request('PUT', PREFS, { token: dave.token, rawBody: '{"desktop":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    const huge = await t.api.request('PUT', PREFS, { token: dave.token, rawBody: JSON.stringify({ keywords: ['a'.repeat(2 * 1024 * 1024)] }), headers: { 'content-type': 'application/json' } });
    expect(huge.status).toBe(413);
    expect(await dbDigest(locationOf(t))).toEqual(before);
  });

  it('keeps channel preferences per member; mute and unmute; only members', async () => {
    expect(await t.api.get(props(small.id), bob.token)).toMatchObject({ status: 200, body: DEFAULT_CHANNEL_PROPS });
    expect((await t.api.put(props(small.id), { desktop: 'all', ignore_channel_mentions: 'on' }, bob.token)).body).toEqual({ ...DEFAULT_CHANNEL_PROPS, desktop: 'all', ignore_channel_mentions: 'on' });
    expect((await t.api.put(`/api/v1/channels/${small.id}/members/me/mute`, undefined, bob.token)).body).toMatchObject({ desktop: 'all', mark_unread: 'mention' });
    expect((await t.api.get(props(small.id), bob.token)).body.mark_unread).toBe('mention');
    expect((await t.api.delete(`/api/v1/channels/${small.id}/members/me/mute`, bob.token)).body.mark_unread).toBe('all');
    // Alice's own settings for the channel are untouched.
    expect((await t.api.get(props(small.id), alice.token)).body).toEqual(DEFAULT_CHANNEL_PROPS);
    // Not a member: a visible public channel is a 403, an unknown id a 404.
    const outsider = await registerUser(t.api, 'outsider');
    await addTeamMember(t.api, alice, team.id, outsider);
    expect(envelope(await t.api.put(props(small.id), { desktop: 'all' }, outsider.token)).status).toBe(403);
    expect(envelope(await t.api.get(props(randomUUID()), bob.token)).status).toBe(404);
    for (const body of [{ desktop: 'sometimes' }, { mark_unread: 'none' }, { ignore_channel_mentions: true }, { extra: 1 }]) {
      expect([400, 422]).toContain((await t.api.put(props(small.id), body, bob.token)).status);
    }
  });

  it('asks to confirm @channel in a channel of more than the limit, and rate limits floods with the 429 contract', async () => {
    // Five members or fewer: no confirmation needed.
    expect((await t.api.post(`/api/v1/channels/${small.id}/posts`, { message: '@channel small news' }, bob.token)).status).toBe(201);
    // Six members: refused without the flag, with a code the client can act on; nothing posted.
    const refused = await t.api.post(`/api/v1/channels/${big.id}/posts`, { message: '@all big news' }, alice.token);
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'CHANNEL_MENTION_CONFIRM_REQUIRED', member_count: 6, limit: 5 } } });
    expect((await t.api.get(`/api/v1/channels/${big.id}/posts`, alice.token)).body.messages.map((p: { message: string }) => p.message)).not.toContain('@all big news');
    expect((await t.api.post(`/api/v1/channels/${big.id}/posts`, { message: '@here big news', confirm_channel_mention: true }, alice.token)).status).toBe(201);
    // Mentions of people and code spans need nothing.
    expect((await t.api.post(`/api/v1/channels/${big.id}/posts`, { message: `@${bob.username} and \`@channel\`` }, alice.token)).status).toBe(201);
    expect((await t.api.post(`/api/v1/channels/${big.id}/posts`, { message: '@channel', confirm_channel_mention: 'yes' }, alice.token)).status).toBe(400);
    // Flood: three @channel posts a minute per account (alice used one above), then the 429.
    await createPost(t.api, alice, big.id, '@channel two', { confirm_channel_mention: true });
    await createPost(t.api, alice, big.id, '@channel three', { confirm_channel_mention: true });
    const limited = await t.api.post(`/api/v1/channels/${big.id}/posts`, { message: '@channel four', confirm_channel_mention: true }, alice.token);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests. Please try again later.', retry_after: expect.any(Number) } });
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.headers['x-ratelimit-limit']).toBe('3');
    // Ordinary posts are not limited, and others are not limited by alice's flood.
    expect((await t.api.post(`/api/v1/channels/${big.id}/posts`, { message: 'plain' }, alice.token)).status).toBe(201);
    expect((await t.api.post(`/api/v1/channels/${big.id}/posts`, { message: '@channel mine', confirm_channel_mention: true }, crowd[0]!.token)).status).toBe(201);
  });
});
