/**
 * Notification preferences (global and per channel, mute), the @channel confirmation and flood
 * limit, do-not-disturb schedules (round trip, validation, and a mention inside and outside the
 * quiet hours reaching the desktop or not, with the app's clock set by the test), on both stores.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, envelope, registerUser, type TestUser } from '../helpers/factories.js';
import { dbDigest, locationOf } from '../helpers/store.js';
import { WsClient } from '../helpers/ws-client.js';
import { listening, type Live } from '../realtime/helpers.js';
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

describe.each(STORES)('notifications: do-not-disturb schedule (%s)', (kind) => {
  // 2030-01-07 is a Monday; every request of this suite happens at the time the test sets.
  const MONDAY = Date.parse('2030-01-07T00:00:00Z');
  let now = MONDAY + 9 * 3600_000;
  let live: Live;
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let pub: { id: string };
  let bobOwn: { id: string };
  const sockets: WsClient[] = [];
  beforeAll(async () => {
    live = await listening(kind, { clock: () => now });
    t = live.t;
    alice = await registerUser(t.api, 'alice');
    bob = await registerUser(t.api, 'bob');
    const team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    pub = await createChannel(t.api, alice, team.id);
    await addChannelMember(t.api, alice, pub.id, bob);
    bobOwn = await createChannel(t.api, bob, team.id, 'private');
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await live?.t.close();
  });

  const NIGHTS = { enabled: true, days: [{ day: 5, start: '22:00', end: '07:00' }, { day: 1, start: '22:00', end: '07:00' }, { day: 3, start: '12:00', end: '13:30' }] };

  it('keeps the schedule, sorted by weekday, beside the other preferences; null clears it', async () => {
    const carol = await registerUser(t.api, 'carol');
    expect((await t.api.get(PREFS, carol.token)).body.dnd_schedule).toEqual({ enabled: false, days: [] });
    const put = await t.api.put(PREFS, { dnd_schedule: NIGHTS, desktop: 'all' }, carol.token);
    const sorted = { enabled: true, days: [NIGHTS.days[1], NIGHTS.days[2], NIGHTS.days[0]] };
    expect(put).toMatchObject({ status: 200, body: { desktop: 'all', dnd_schedule: sorted } });
    // A change of another field keeps it; so does the unsubscribe path (it rewrites the document).
    expect((await t.api.put(PREFS, { push: 'none' }, carol.token)).body.dnd_schedule).toEqual(sorted);
    await t.app.services.notifications.unsubscribe(t.app.services.notifications.unsubscribeToken(carol.id));
    expect((await t.api.get(PREFS, carol.token)).body).toMatchObject({ desktop: 'all', push: 'none', email: 'none', dnd_schedule: sorted });
    expect((await t.api.put(PREFS, { dnd_schedule: { enabled: false, days: sorted.days } }, carol.token)).body.dnd_schedule).toEqual({ ...sorted, enabled: false });
    expect((await t.api.put(PREFS, { dnd_schedule: { enabled: true, days: [{ day: 0, start: '00:00', end: '24:00' }] } }, carol.token)).status).toBe(200);
    expect((await t.api.put(PREFS, { dnd_schedule: null }, carol.token)).body.dnd_schedule).toEqual({ enabled: false, days: [] });
    expect((await t.api.get(PREFS, carol.token)).body).toMatchObject({ desktop: 'all', dnd_schedule: { enabled: false, days: [] } });
    // The OpenAPI document describes it.
    const doc = (await t.api.get('/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: { properties: Record<string, unknown> } }> }> }>> };
    const schema = doc.paths['/api/v1/users/me/preferences/notifications']!.get!.responses['200']!.content['application/json']!.schema;
    expect(schema.properties.dnd_schedule).toMatchObject({ type: 'object', properties: { enabled: { type: 'boolean' }, days: { type: 'array' } } });
  });

  const period = (over: Record<string, unknown> = {}) => ({ day: 1, start: '22:00', end: '07:00', ...over });
  const BAD: Array<[string, unknown, number, string | undefined]> = [
    ['start not HH:MM', { enabled: true, days: [period({ start: '7:00' })] }, 422, 'dnd_schedule.days[0].start'],
    ['start 24:00', { enabled: true, days: [period({ start: '24:00' })] }, 422, 'dnd_schedule.days[0].start'],
    ['minutes past 59', { enabled: true, days: [period({ start: '22:60' })] }, 422, 'dnd_schedule.days[0].start'],
    ['end past 24:00', { enabled: true, days: [period({ end: '24:30' })] }, 422, 'dnd_schedule.days[0].end'],
    ['end with seconds', { enabled: true, days: [period(), period({ day: 2, end: '07:00:00' })] }, 422, 'dnd_schedule.days[1].end'],
    ['end equal to start', { enabled: true, days: [period({ end: '22:00' })] }, 422, 'dnd_schedule.days[0].end'],
    ['day 7', { enabled: true, days: [period({ day: 7 })] }, 422, 'dnd_schedule.days[0].day'],
    ['day -1', { enabled: true, days: [period({ day: -1 })] }, 422, 'dnd_schedule.days[0].day'],
    ['day missing', { enabled: true, days: [{ start: '22:00', end: '07:00' }] }, 422, 'dnd_schedule.days[0].day'],
    ['end missing', { enabled: true, days: [{ day: 1, start: '22:00' }] }, 422, 'dnd_schedule.days[0].end'],
    ['the same weekday twice', { enabled: true, days: [period(), period({ start: '12:00', end: '13:00' })] }, 422, 'dnd_schedule.days[1].day'],
    ['eight periods', { enabled: true, days: [0, 1, 2, 3, 4, 5, 6, 0].map((day) => period({ day })) }, 422, 'dnd_schedule.days'],
    ['an unknown field in a period', { enabled: true, days: [period({ tz: 'UTC' })] }, 422, 'dnd_schedule.days[0].tz'],
    ['an unknown field in the schedule', { enabled: true, days: [], timezone: 'UTC' }, 422, 'dnd_schedule.timezone'],
    ['enabled missing', { days: [] }, 422, 'dnd_schedule.enabled'],
    ['days missing', { enabled: true }, 422, 'dnd_schedule.days'],
    ['enabled not a boolean', { enabled: 'yes', days: [] }, 400, undefined],
    ['a time not a string', { enabled: true, days: [period({ start: 2200 })] }, 400, undefined],
    ['a day not an integer', { enabled: true, days: [period({ day: 1.5 })] }, 400, undefined],
    ['a list', [], 400, undefined],
    ['a string', 'nights', 400, undefined],
  ];

  it.each(BAD)('refuses %s with the envelope, writing nothing', async (_what, dnd_schedule, status, field) => {
    const before = await dbDigest(locationOf(t));
    const res = await t.api.put(PREFS, { dnd_schedule, desktop: 'none' }, bob.token);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(envelope(res).error.code).toBe(status === 422 ? 'VALIDATION_ERROR' : 'BAD_REQUEST');
    if (field !== undefined) expect(res.body.error.field).toBe(field);
    expect(await dbDigest(locationOf(t))).toEqual(before);
  });

  /** Proves `ws` got no `notification` for `postId`, once the decisions so far are written (a later event of Bob's own channel comes first). */
  async function noneFor(ws: WsClient, postId: string): Promise<void> {
    await t.app.services.notifications.idle();
    const mark = ws.events.length;
    expect((await t.api.post(`/api/v1/channels/${bobOwn.id}/read`, undefined, bob.token)).status).toBe(200);
    await ws.waitForEvent('channel_viewed', (d) => d.channel_id === bobOwn.id, { from: mark });
    expect(ws.events.filter((e) => e.event === 'notification' && e.data.post_id === postId)).toEqual([]);
  }

  it('holds the desktop notification of a mention during the quiet hours of the person\'s time zone, not outside them', async () => {
    // Bob lives in Tokyo (UTC+9): Monday night 22:00–07:00 there is Monday 13:00–22:00 UTC.
    expect((await t.api.patch('/api/v1/users/me', { timezone: 'Asia/Tokyo' }, bob.token)).status).toBe(200);
    expect((await t.api.put(PREFS, { desktop: 'mention', dnd_schedule: { enabled: true, days: [{ day: 1, start: '22:00', end: '07:00' }] } }, bob.token)).status).toBe(200);
    const ws = await WsClient.connect(live.url, { token: bob.token });
    sockets.push(ws);

    now = MONDAY + 12 * 3600_000 + 59 * 60_000; // 21:59 in Tokyo: not yet
    const before = await createPost(t.api, alice, pub.id, `@${bob.username} before the night`);
    await ws.waitForEvent('notification', (d) => d.post_id === before.id);

    now = MONDAY + 13 * 3600_000; // 22:00 in Tokyo
    const night = await createPost(t.api, alice, pub.id, `@${bob.username} at night`);
    await noneFor(ws, night.id);
    now = MONDAY + 21 * 3600_000 + 59 * 60_000; // Tuesday 06:59 in Tokyo: still Monday's night
    const late = await createPost(t.api, alice, pub.id, `@${bob.username} before dawn`);
    await noneFor(ws, late.id);

    now = MONDAY + 22 * 3600_000; // Tuesday 07:00 in Tokyo: over
    const morning = await createPost(t.api, alice, pub.id, `@${bob.username} good morning`);
    await ws.waitForEvent('notification', (d) => d.post_id === morning.id);

    // Switched off: the same night notifies.
    expect((await t.api.put(PREFS, { dnd_schedule: { enabled: false, days: [{ day: 1, start: '22:00', end: '07:00' }] } }, bob.token)).status).toBe(200);
    now = MONDAY + 14 * 3600_000;
    const off = await createPost(t.api, alice, pub.id, `@${bob.username} schedule off`);
    await ws.waitForEvent('notification', (d) => d.post_id === off.id);
  });
});
