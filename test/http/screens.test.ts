/**
 * The server side of the web client's everyday screens, on both stores: custom statuses that
 * expire (read as empty, cleared once with user_updated), profile changes as user_updated, and
 * the per-user sidebar arrangement (GET/PUT /api/v1/users/me/sidebar, sidebar_updated).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createTeam, directChannel, envelope, registerUser, type TestUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws-client.js';

describe.each(STORES)('everyday screens (%s)', (kind) => {
  let t: TestApp;
  let url: string;
  let now = Date.now();
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let team: { id: string };
  let pub: { id: string };
  let priv: { id: string };
  let other: { id: string };
  beforeAll(async () => {
    t = await startApp(kind, { clock: () => now });
    [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => registerUser(t.api, n))) as [TestUser, TestUser, TestUser];
    team = await createTeam(t.api, alice, 'invite');
    await addTeamMember(t.api, alice, team.id, bob);
    pub = await createChannel(t.api, alice, team.id, 'public');
    priv = await createChannel(t.api, alice, team.id, 'private');
    other = await createChannel(t.api, alice, team.id, 'public');
    await addChannelMember(t.api, alice, pub.id, bob);
    url = (await t.app.listen()).url;
  });
  afterAll(async () => t?.close());

  describe('custom status with an expiry', () => {
    it('shows the status until it expires, then reads it as empty and tells the channels once', async () => {
      const ws = await WsClient.connect(url, { token: bob.token });
      try {
        const set = await t.api.patch('/api/v1/users/me', { status_text: 'In a meeting', status_emoji: 'calendar', status_expires_at: now + 60_000 }, alice.token);
        expect(set.status).toBe(200);
        expect(set.body).toMatchObject({ status_text: 'In a meeting', status_emoji: 'calendar', status_expires_at: now + 60_000 });
        const changed = await ws.waitForEvent('user_updated', (d) => d.user.id === alice.id && d.user.status_text === 'In a meeting');
        expect(changed.data).not.toHaveProperty('user.email');
        expect((await t.api.get(`/api/v1/users/${alice.id}`, bob.token)).body.status_text).toBe('In a meeting');

        now += 61_000;
        const from = ws.events.length;
        const read = await t.api.get(`/api/v1/users/${alice.id}`, bob.token);
        expect(read.body).toMatchObject({ status_text: '', status_emoji: '', status_expires_at: null });
        await ws.waitForEvent('user_updated', (d) => d.user.id === alice.id && d.user.status_text === '', { from });
        const row = await t.app.store.users.get(alice.id);
        expect(row).toMatchObject({ status_text: '', status_emoji: '', status_expires_at: null });
        // Once: a second read finds nothing left to clear.
        await t.api.get(`/api/v1/users/${alice.id}`, bob.token);
        expect(ws.events.slice(from).filter((e) => e.event === 'user_updated')).toHaveLength(1);
      } finally {
        ws.close();
      }
    });

    it('the sweep ends expired statuses nobody read', async () => {
      await t.api.patch('/api/v1/users/me', { status_text: 'Lunch', status_expires_at: now + 1000 }, bob.token);
      const ws = await WsClient.connect(url, { token: alice.token });
      try {
        now += 2000;
        expect(await t.app.services.accounts.sweepStatuses()).toBeGreaterThanOrEqual(1);
        await ws.waitForEvent('user_updated', (d) => d.user.id === bob.id && d.user.status_text === '');
        expect(await t.app.services.accounts.sweepStatuses()).toBe(0);
      } finally {
        ws.close();
      }
    });

    it('refuses an expiry in the past or too far ahead; a status set without one keeps none', async () => {
      for (const at of [now - 1, now, now + 400 * 24 * 3600 * 1000]) {
        const res = await t.api.patch('/api/v1/users/me', { status_text: 'x', status_expires_at: at }, carol.token);
        expect(res.status).toBe(422);
        expect(res.body.error.field).toBe('status_expires_at');
      }
      expect((await t.api.patch('/api/v1/users/me', { status_expires_at: 'soon' }, carol.token)).status).toBe(400);
      await t.api.patch('/api/v1/users/me', { status_text: 'x', status_expires_at: now + 5000 }, carol.token);
      const kept = await t.api.patch('/api/v1/users/me', { status_text: 'Holiday' }, carol.token);
      expect(kept.body).toMatchObject({ status_text: 'Holiday', status_expires_at: null });
    });
  });

  describe('sidebar arrangement', () => {
    it('starts with an empty favourites category', async () => {
      const res = await t.api.get('/api/v1/users/me/sidebar', carol.token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ categories: [{ id: 'favorites', name: 'Favorites', channel_ids: [], collapsed: false }], updated_at: 0 });
    });

    it('keeps favourites and custom categories in order and tells the user\'s own connections only', async () => {
      const mine1 = await WsClient.connect(url, { token: alice.token });
      const mine2 = await WsClient.connect(url, { token: alice.token });
      const bobs = await WsClient.connect(url, { token: bob.token });
      try {
        const dm = await directChannel(t.api, alice, bob);
        const categories = [
          { id: 'work', name: '  Work ', channel_ids: [priv.id, pub.id], collapsed: true },
          { id: 'favorites', name: 'ignored', channel_ids: [dm.id], collapsed: false },
        ];
        const put = await t.api.put('/api/v1/users/me/sidebar', { categories }, alice.token);
        expect(put.status).toBe(200);
        const expected = [
          { id: 'work', name: 'Work', channel_ids: [priv.id, pub.id], collapsed: true },
          { id: 'favorites', name: 'Favorites', channel_ids: [dm.id], collapsed: false },
        ];
        expect(put.body.categories).toEqual(expected);
        for (const ws of [mine1, mine2]) expect((await ws.waitForEvent('sidebar_updated')).data).toEqual(put.body);
        expect((await t.api.get('/api/v1/users/me/sidebar', alice.token)).body).toEqual(put.body);
        expect(bobs.named('sidebar_updated')).toEqual([]);
        // A channel left since is dropped on read.
        await t.api.delete(`/api/v1/channels/${pub.id}/members/${alice.id}`, alice.token);
        expect((await t.api.get('/api/v1/users/me/sidebar', alice.token)).body.categories[0].channel_ids).toEqual([priv.id]);
        await addChannelMember(t.api, bob, pub.id, alice);
      } finally {
        for (const ws of [mine1, mine2, bobs]) ws.close();
      }
    });

    it('accepts only channels the caller is a member of, and writes nothing otherwise', async () => {
      const before = (await t.api.get('/api/v1/users/me/sidebar', bob.token)).body;
      const put = (channelIds: string[]) => t.api.put('/api/v1/users/me/sidebar', { categories: [{ id: 'x', name: 'X', channel_ids: channelIds, collapsed: false }] }, bob.token);
      const hidden = await put([pub.id, priv.id]);
      const random = await put([pub.id, randomUUID()]);
      expect(hidden.status).toBe(404);
      expect(random.status).toBe(404);
      expect(envelope(hidden)).toEqual(envelope(random));
      // A public channel bob could join but has not: 403.
      expect((await put([other.id])).status).toBe(403);
      expect((await t.api.get('/api/v1/users/me/sidebar', bob.token)).body).toEqual(before);
    });

    it('refuses malformed arrangements (422 or 400)', async () => {
      const put = (categories: unknown) => t.api.put('/api/v1/users/me/sidebar', { categories }, alice.token);
      const cat = (over: Record<string, unknown> = {}) => ({ id: 'c', name: 'C', channel_ids: [], collapsed: false, ...over });
      expect((await put([cat(), cat()])).status).toBe(422);
      expect((await put([cat({ channel_ids: [pub.id] }), cat({ id: 'd', channel_ids: [pub.id] })])).status).toBe(422);
      expect((await put([cat({ name: '   ' })])).status).toBe(422);
      expect((await put([cat({ name: 'a\u202eb' })])).status).toBe(422);
      expect((await put([cat({ id: 'bad id!' })])).status).toBe(422);
      expect((await put(Array.from({ length: 51 }, (_, i) => cat({ id: `c${i}` })))).status).toBe(400);
      expect((await put([cat({ extra: 1 })])).status).toBe(400);
      expect((await put([cat({ channel_ids: ['not-an-id'] })])).status).toBe(400);
      expect((await t.api.put('/api/v1/users/me/sidebar', {}, alice.token)).status).toBe(400);
      expect((await t.api.get('/api/v1/users/me/sidebar')).status).toBe(401);
    });
  });

  it('a group message takes up to 7 others', async () => {
    const others = await Promise.all(Array.from({ length: 8 }, () => registerUser(t.api, 'grp')));
    const seven = await t.api.post('/api/v1/channels', { channel_type: 'group', user_ids: others.slice(0, 7).map((u) => u.id) }, carol.token);
    expect(seven.status).toBe(201);
    const eight = await t.api.post('/api/v1/channels', { channel_type: 'group', user_ids: others.map((u) => u.id) }, carol.token);
    expect(eight.status).toBe(422);
    expect(eight.body.error.field).toBe('user_ids');
  });
});
