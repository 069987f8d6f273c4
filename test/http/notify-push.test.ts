/**
 * Push notifications against a stand-in push proxy started by the test (a real HTTP server on
 * loopback that records what it receives and answers as told), on both stores: the device
 * registered with the session, Mattermost's push message, content choices, retry after a
 * failure, a device removed when the proxy says it is gone, a hanging proxy bounded by the
 * timeout, and nothing pushed during the person's do-not-disturb schedule (the app's clock set
 * by the test).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import mm from '@mattermost/client';
import { PUSH_MAX_ATTEMPTS } from '../../src/services/push.js';

/** The web package's Client4 has no attachDevice; the mobile app's client makes this request (its users.ts). */
class MobileClient extends mm.Client4 {
  attachDevice(deviceId: string): Promise<unknown> {
    return this.doFetch(`${this.getUsersRoute()}/sessions/device`, { method: 'put', body: JSON.stringify({ device_id: deviceId, device_notification_disabled: 'false', mobile_version: '2.30.0' }) });
  }
}

interface StandIn {
  readonly url: string;
  readonly received: Array<Record<string, unknown>>;
  /** How to answer the next requests for a device token (default OK). */
  answer: Map<string, Array<'OK' | 'REMOVE' | 'FAIL' | 'HANG'>>;
  close(): Promise<void>;
}

async function startStandIn(): Promise<StandIn> {
  const received: Array<Record<string, unknown>> = [];
  const answer = new Map<string, Array<'OK' | 'REMOVE' | 'FAIL' | 'HANG'>>();
  const read = (req: IncomingMessage): Promise<string> => new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  const server: Server = createServer((req, res) => {
    void read(req).then((text) => {
      const body = JSON.parse(text) as Record<string, unknown>;
      received.push({ ...body, path: req.url });
      const next = answer.get(String(body.device_id))?.shift() ?? 'OK';
      if (next === 'HANG') return;
      res.writeHead(next === 'FAIL' ? 500 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(next === 'FAIL' ? { status: 'FAIL', error: 'boom' } : { status: next }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`, received, answer,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe.each(STORES)('push notifications (%s)', (kind) => {
  let t: TestApp;
  let proxy: StandIn;
  let alice: TestUser;
  let team: { id: string; name: string };
  let pub: { id: string };
  /** The app's clock: real time unless a test sets it. */
  let fixed: number | undefined;
  beforeAll(async () => {
    proxy = await startStandIn();
    t = await startApp(kind, { env: { RUSTCHAT_PUSH_PROXY_URL: proxy.url, RUSTCHAT_NOTIFY_CONTENT: 'full' }, pushBackoffMs: 1, pushTimeoutMs: 2000, clock: () => fixed ?? Date.now() });
    alice = await registerUser(t.api, 'alice');
    team = await createTeam(t.api, alice);
    pub = await createChannel(t.api, alice, team.id);
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  async function person(prefix: string, device: string): Promise<TestUser> {
    const u = await registerUser(t.api, prefix);
    await addTeamMember(t.api, alice, team.id, u);
    await addChannelMember(t.api, alice, pub.id, u);
    expect((await t.api.put('/api/v1/users/me/sessions/device', { device_id: device }, u.token)).status).toBe(200);
    return u;
  }
  const settled = async (): Promise<void> => {
    await t.app.services.notifications.idle();
    await t.app.services.push.idle();
  };
  const to = (token: string) => proxy.received.filter((r) => r.device_id === token);

  it('sends Mattermost\'s push message to the registered device of someone offline', async () => {
    const bob = await person('bob', 'apple_rn:bobtoken1');
    const post = await createPost(t.api, alice, pub.id, `@${bob.username} ship it`);
    await createPost(t.api, alice, pub.id, 'not for bob');
    await settled();
    expect(to('bobtoken1')).toEqual([expect.objectContaining({
      path: '/api/v1/send_push', platform: 'apple_rn', device_id: 'bobtoken1', type: 'message', version: 'v2', post_id: post.id, channel_id: pub.id,
      team_id: team.id, sender_id: alice.id, sender_name: alice.username, message: `${alice.username}: @${bob.username} ship it`, is_id_loaded: false,
    })]);
  });

  it('takes the device from the Mattermost mobile app\'s own call (PUT /api/v4/users/sessions/device, sent by the official client)', async () => {
    const base = (await t.app.listen()).url;
    const mobi = await registerUser(t.api, 'mobi');
    await addTeamMember(t.api, alice, team.id, mobi);
    await addChannelMember(t.api, alice, pub.id, mobi);
    const client = new MobileClient();
    client.setUrl(base);
    client.setToken(mobi.token);
    // The mobile app's request: `Authorization: BEARER <token>`, a JSON body with device_id.
    expect(await client.attachDevice('android_rn-v2:mobitoken')).toEqual({ status: 'OK' });
    const post = await createPost(t.api, alice, pub.id, `@${mobi.username} from the phone`);
    await settled();
    expect(to('mobitoken')).toEqual([expect.objectContaining({ platform: 'android_rn-v2', device_id: 'mobitoken', post_id: post.id, channel_id: pub.id })]);
    // Refusals come back in Mattermost's envelope, which the client turns into its ClientError.
    const refused = await client.attachDevice('no-platform').catch((e: unknown) => e);
    expect(refused).toMatchObject({ status_code: 422, server_error_id: 'api.context.invalid_body_param.app_error' });
    const anonymous = new MobileClient();
    anonymous.setUrl(base);
    const unauthenticated = await anonymous.attachDevice('apple_rn-v2:x').catch((e: unknown) => e);
    expect(unauthenticated).toMatchObject({ status_code: 401, server_error_id: 'api.context.session_expired.app_error' });
  });

  it('refuses a malformed device id, and stops pushing to a signed-out session', async () => {
    const carol = await person('carol', 'android_rn:caroltoken');
    for (const device_id of ['no-platform', 'apple_rn:', 'x:has space', 42]) {
      expect([400, 422]).toContain((await t.api.put('/api/v1/users/me/sessions/device', { device_id }, carol.token)).status);
    }
    expect((await t.api.post('/api/v1/auth/logout', undefined, carol.token)).status).toBe(200);
    await createPost(t.api, alice, pub.id, `@${carol.username} gone?`);
    await settled();
    expect(to('caroltoken')).toEqual([]);
  });

  it('retries after a failure, and forgets a device the proxy says is gone', async () => {
    const dave = await person('dave', 'apple_rn:davetoken');
    const erin = await person('erin', 'apple_rn:erintoken');
    proxy.answer.set('davetoken', ['FAIL', 'HANG', 'OK']);
    proxy.answer.set('erintoken', ['REMOVE']);
    await createPost(t.api, alice, pub.id, `@${dave.username} @${erin.username} hello`);
    await settled();
    // Failed, timed out, then delivered: three tries, no more.
    expect(to('davetoken')).toHaveLength(3);
    expect(await t.app.store.notifications.devicesFor(erin.id, Date.now())).toEqual([]);
    expect(await t.app.store.notifications.devicesFor(dave.id, Date.now())).toHaveLength(1);
    await createPost(t.api, alice, pub.id, `@${erin.username} again`);
    await settled();
    expect(to('erintoken')).toHaveLength(1);
    // A proxy that always fails: PUSH_MAX_ATTEMPTS tries, then given up.
    proxy.answer.set('davetoken', Array.from({ length: PUSH_MAX_ATTEMPTS + 2 }, () => 'FAIL' as const));
    const before = to('davetoken').length;
    await createPost(t.api, alice, pub.id, `@${dave.username} doomed`);
    await settled();
    expect(to('davetoken').length - before).toBe(PUSH_MAX_ATTEMPTS);
    expect(t.logs.text()).toContain('push notification given up after retries');
    const metrics = await t.app.metrics.registry.metrics();
    for (const outcome of ['sent', 'removed', 'retry', 'dropped']) expect(metrics).toMatch(new RegExp(`rustchat_notifications_total\\{medium="push",outcome="${outcome}"\\} [1-9]`));
  });

  it('pushes nothing during the person\'s do-not-disturb schedule, in their time zone', async () => {
    const frank = await person('frank', 'apple_rn:franktoken');
    expect((await t.api.patch('/api/v1/users/me', { timezone: 'Asia/Kolkata' }, frank.token)).status).toBe(200);
    // Half an hour of quiet from an hour from now, on Frank's wall clock (Kolkata: UTC+5:30, no summer time).
    const inside = Date.now() + 3600_000;
    const local = new Date(inside + 330 * 60_000);
    const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const days = [{ day: local.getUTCDay(), start: hhmm(local), end: hhmm(new Date(local.getTime() + 30 * 60_000)) }];
    expect((await t.api.put('/api/v1/users/me/preferences/notifications', { dnd_schedule: { enabled: true, days } }, frank.token)).status).toBe(200);
    try {
      fixed = inside;
      await createPost(t.api, alice, pub.id, `@${frank.username} while you sleep`);
      await settled();
      expect(to('franktoken')).toEqual([]);
      fixed = inside + 2 * 3600_000;
      const after = await createPost(t.api, alice, pub.id, `@${frank.username} awake?`);
      await settled();
      expect(to('franktoken')).toEqual([expect.objectContaining({ post_id: after.id })]);
    } finally {
      fixed = undefined;
    }
  });
});
