/** /api/v1/channels on both stores: the four channel kinds, members, roles, archive, read state. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, directChannel, envelope, makeSystemAdmin, registerUser, uniqueName, type TestUser } from '../helpers/factories.js';

describe.each(STORES)('channels (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  let team: { id: string; name: string };
  beforeAll(async () => {
    t = await startApp(kind);
    [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => registerUser(t.api, n))) as [TestUser, TestUser, TestUser, TestUser];
    team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    await addTeamMember(t.api, alice, team.id, carol);
  });
  afterAll(async () => t?.close());

  describe('public and private channels', () => {
    it('creates a channel with its creator as channel admin', async () => {
      const name = uniqueName('chan');
      const res = await t.api.post('/api/v1/channels', { team_id: team.id, name: name.toUpperCase(), display_name: 'Chan', purpose: 'p', header: 'h', channel_type: 'private' }, bob.token);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ team_id: team.id, type: 'private', name, display_name: 'Chan', purpose: 'p', header: 'h', is_archived: false, creator_id: bob.id, last_post_seq: 0 });
      expect((await t.api.get(`/api/v1/channels/${res.body.id}/members`, bob.token)).body).toEqual([expect.objectContaining({ user_id: bob.id, role: 'channel_admin' })]);
      // The display name defaults to the name.
      const plain = await t.api.post('/api/v1/channels', { team_id: team.id, name: uniqueName('plain'), channel_type: 'public' }, bob.token);
      expect(plain.body.display_name).toBe(plain.body.name);
    });

    it('refuses duplicates, bad names, missing fields and teams I am not in', async () => {
      const chan = await createChannel(t.api, alice, team.id);
      const dup = await t.api.post('/api/v1/channels', { team_id: team.id, name: chan.name, channel_type: 'public' }, bob.token);
      expect(dup.status).toBe(409);
      expect(dup.body.error).toMatchObject({ code: 'CONFLICT', field: 'name' });
      expect((await t.api.post('/api/v1/channels', { team_id: team.id, name: 'has space', channel_type: 'public' }, bob.token)).body.error.field).toBe('name');
      expect((await t.api.post('/api/v1/channels', { name: 'no-team', channel_type: 'public' }, bob.token)).body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'team_id' });
      expect((await t.api.post('/api/v1/channels', { team_id: team.id, channel_type: 'public' }, bob.token)).body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'name' });
      expect((await t.api.post('/api/v1/channels', { team_id: team.id, name: 'x', channel_type: 'secret' }, bob.token)).status).toBe(400);
      const foreign = await t.api.post('/api/v1/channels', { team_id: team.id, name: 'intruder', channel_type: 'public' }, dave.token);
      expect(foreign.status).toBe(404);
      expect(envelope(foreign)).toEqual(envelope(await t.api.post('/api/v1/channels', { team_id: randomUUID(), name: 'intruder', channel_type: 'public' }, dave.token)));
    });

    it('shows public channels to the team, private ones to their members only', async () => {
      const pub = await createChannel(t.api, alice, team.id, 'public');
      const priv = await createChannel(t.api, alice, team.id, 'private');
      expect((await t.api.get(`/api/v1/channels/${pub.id}`, bob.token)).status).toBe(200);
      expect((await t.api.get(`/api/v1/channels/${pub.id}/members`, bob.token)).status).toBe(200);
      expect((await t.api.get(`/api/v1/channels/${pub.id}`, dave.token)).status).toBe(404);
      expect((await t.api.get(`/api/v1/channels/${priv.id}`, bob.token)).status).toBe(404);
      await addChannelMember(t.api, alice, priv.id, bob);
      expect((await t.api.get(`/api/v1/channels/${priv.id}`, bob.token)).status).toBe(200);
    });

    it('lets team members join public channels themselves; private ones need a member to add them', async () => {
      const pub = await createChannel(t.api, alice, team.id, 'public');
      const priv = await createChannel(t.api, alice, team.id, 'private');
      const joined = await t.api.post(`/api/v1/channels/${pub.id}/members`, { user_id: carol.id }, carol.token);
      expect(joined.status).toBe(201);
      expect(joined.body).toMatchObject({ channel_id: pub.id, user_id: carol.id, role: 'member' });
      expect((await t.api.post(`/api/v1/channels/${priv.id}/members`, { user_id: carol.id }, carol.token)).status).toBe(404);
      // A plain member adds a teammate to a private channel; nobody adds someone outside the team.
      await addChannelMember(t.api, alice, priv.id, bob);
      expect((await t.api.post(`/api/v1/channels/${priv.id}/members`, { user_id: carol.id }, bob.token)).status).toBe(201);
      const outsider = await t.api.post(`/api/v1/channels/${priv.id}/members`, { user_id: dave.id }, alice.token);
      expect(outsider.status).toBe(400);
      expect((await t.api.post(`/api/v1/channels/${priv.id}/members`, { user_id: randomUUID() }, alice.token)).status).toBe(404);
      expect((await t.api.get(`/api/v1/channels/${priv.id}/members`, alice.token)).body.map((m: any) => m.user_id).sort()).toEqual([alice.id, bob.id, carol.id].sort());
    });

    it('joining does not make the backlog unread', async () => {
      const pub = await createChannel(t.api, alice, team.id, 'public');
      await createPost(t.api, alice, pub.id, 'before bob came');
      await t.api.post(`/api/v1/channels/${pub.id}/members`, { user_id: bob.id }, bob.token);
      expect((await t.api.get(`/api/v1/channels/${pub.id}/unread`, bob.token)).body).toMatchObject({ unread_count: 0, mention_count: 0 });
    });

    it('members edit purpose and header; only channel admins rename', async () => {
      const chan = await createChannel(t.api, alice, team.id);
      await addChannelMember(t.api, alice, chan.id, bob);
      const header = await t.api.patch(`/api/v1/channels/${chan.id}`, { header: 'new header', purpose: 'new purpose' }, bob.token);
      expect(header.status).toBe(200);
      expect(header.body).toMatchObject({ header: 'new header', purpose: 'new purpose' });
      expect((await t.api.patch(`/api/v1/channels/${chan.id}`, { display_name: 'Bobs' }, bob.token)).status).toBe(403);
      expect((await t.api.patch(`/api/v1/channels/${chan.id}`, { header: 'x' }, carol.token)).status).toBe(403);
      const renamed = await t.api.patch(`/api/v1/channels/${chan.id}`, { name: 'Renamed-Chan', display_name: 'Renamed' }, alice.token);
      expect(renamed.body).toMatchObject({ name: 'renamed-chan', display_name: 'Renamed' });
      const other = await createChannel(t.api, alice, team.id);
      expect((await t.api.patch(`/api/v1/channels/${other.id}`, { name: 'renamed-chan' }, alice.token)).status).toBe(409);
      // Promote bob: now he may rename.
      expect((await t.api.patch(`/api/v1/channels/${chan.id}/members/${bob.id}`, { role: 'channel_admin' }, alice.token)).body.role).toBe('channel_admin');
      expect((await t.api.patch(`/api/v1/channels/${chan.id}`, { display_name: 'Bobs' }, bob.token)).status).toBe(200);
      expect((await t.api.patch(`/api/v1/channels/${chan.id}/members/${carol.id}`, { role: 'member' }, alice.token)).status).toBe(404);
    });

    it('archives: read-only for everyone, restorable by its admins', async () => {
      const chan = await createChannel(t.api, alice, team.id);
      await addChannelMember(t.api, alice, chan.id, bob);
      const post = await createPost(t.api, bob, chan.id, 'before archive');
      expect((await t.api.delete(`/api/v1/channels/${chan.id}`, bob.token)).status).toBe(403);
      const archived = await t.api.delete(`/api/v1/channels/${chan.id}`, alice.token);
      expect(archived.body.is_archived).toBe(true);
      expect((await t.api.get(`/api/v1/channels/${chan.id}/posts`, bob.token)).body.messages.map((p: any) => p.id)).toEqual([post.id]);
      expect((await t.api.post(`/api/v1/channels/${chan.id}/posts`, { message: 'after' }, bob.token)).status).toBe(403);
      expect((await t.api.put(`/api/v1/posts/${post.id}`, { message: 'edit' }, bob.token)).status).toBe(403);
      expect((await t.api.post(`/api/v1/posts/${post.id}/reactions`, { emoji_name: 'x' }, bob.token)).status).toBe(403);
      expect((await t.api.patch(`/api/v1/channels/${chan.id}`, { header: 'x' }, bob.token)).status).toBe(403);
      expect((await t.api.post(`/api/v1/channels/${chan.id}/members`, { user_id: carol.id }, carol.token)).status).toBe(403);
      const listed = (await t.api.get(`/api/v1/teams/${team.id}/channels`, bob.token)).body.map((c: any) => c.id);
      expect(listed).not.toContain(chan.id);
      expect((await t.api.get(`/api/v1/teams/${team.id}/channels?include_archived=true`, bob.token)).body.map((c: any) => c.id)).toContain(chan.id);
      expect((await t.api.post(`/api/v1/channels/${chan.id}/restore`, undefined, bob.token)).status).toBe(403);
      expect((await t.api.post(`/api/v1/channels/${chan.id}/restore`, undefined, alice.token)).body.is_archived).toBe(false);
      expect((await t.api.post(`/api/v1/channels/${chan.id}/posts`, { message: 'back' }, bob.token)).status).toBe(201);
    });

    it('members leave; admins remove others; plain members cannot', async () => {
      const chan = await createChannel(t.api, alice, team.id);
      await addChannelMember(t.api, alice, chan.id, bob);
      await addChannelMember(t.api, alice, chan.id, carol);
      expect((await t.api.delete(`/api/v1/channels/${chan.id}/members/${carol.id}`, bob.token)).status).toBe(403);
      expect((await t.api.delete(`/api/v1/channels/${chan.id}/members/${bob.id}`, bob.token)).status).toBe(200);
      expect((await t.api.delete(`/api/v1/channels/${chan.id}/members/${carol.id}`, alice.token)).status).toBe(200);
      expect((await t.api.delete(`/api/v1/channels/${chan.id}/members/${carol.id}`, alice.token)).status).toBe(404);
      expect((await t.api.get(`/api/v1/channels/${chan.id}/members/${carol.id}`, alice.token)).status).toBe(404);
      expect((await t.api.get(`/api/v1/channels/${chan.id}/members`, alice.token)).body.map((m: any) => m.user_id)).toEqual([alice.id]);
    });

    it('answers stats: members, live posts and pins', async () => {
      const chan = await createChannel(t.api, alice, team.id);
      await addChannelMember(t.api, alice, chan.id, bob);
      const p1 = await createPost(t.api, alice, chan.id, 'one');
      const p2 = await createPost(t.api, bob, chan.id, 'two');
      await t.api.post(`/api/v1/posts/${p1.id}/pin`, undefined, bob.token);
      await t.api.delete(`/api/v1/posts/${p2.id}`, bob.token);
      expect((await t.api.get(`/api/v1/channels/${chan.id}/stats`, bob.token)).body).toEqual({ channel_id: chan.id, member_count: 2, post_count: 1, pinned_post_count: 1 });
    });
  });

  describe('direct and group channels', () => {
    it('makes one direct channel per pair, whoever opens it', async () => {
      const first = await t.api.post('/api/v1/channels', { channel_type: 'direct', target_user_id: dave.id }, alice.token);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ type: 'direct', team_id: null });
      const again = await t.api.post('/api/v1/channels', { channel_type: 'direct', target_user_id: alice.id }, dave.token);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      expect((await t.api.get(`/api/v1/channels/${first.body.id}/members`, dave.token)).body.map((m: any) => m.user_id).sort()).toEqual([alice.id, dave.id].sort());
      expect((await t.api.get(`/api/v1/channels/${first.body.id}`, bob.token)).status).toBe(404);
      expect((await t.api.get('/api/v1/channels', dave.token)).body.map((c: any) => c.id)).toContain(first.body.id);
    });

    it('opens exactly one direct channel when both people open it at once', async () => {
      const x = await registerUser(t.api, 'race');
      const y = await registerUser(t.api, 'race');
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0
        ? t.api.post('/api/v1/channels', { channel_type: 'direct', target_user_id: y.id }, x.token)
        : t.api.post('/api/v1/channels', { channel_type: 'direct', target_user_id: x.id }, y.token))));
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect((await t.api.get('/api/v1/channels', x.token)).body.filter((c: any) => c.type === 'direct')).toHaveLength(1);
    });

    it('refuses a direct channel with an unknown or deactivated user, and allows a note to self', async () => {
      expect((await t.api.post('/api/v1/channels', { channel_type: 'direct', target_user_id: randomUUID() }, alice.token)).status).toBe(404);
      expect((await t.api.post('/api/v1/channels', { channel_type: 'direct' }, alice.token)).body.error.field).toBe('target_user_id');
      const gone = await registerUser(t.api, 'gone');
      await t.app.store.users.setDeactivated(gone.id, Date.now(), Date.now());
      expect((await t.api.post('/api/v1/channels', { channel_type: 'direct', target_user_id: gone.id }, alice.token)).status).toBe(404);
      const self = await t.api.post('/api/v1/channels', { channel_type: 'direct', target_user_id: alice.id }, alice.token);
      expect(self.status).toBe(201);
      expect((await t.api.get(`/api/v1/channels/${self.body.id}/members`, alice.token)).body).toHaveLength(1);
    });

    it('makes one group channel per set of 3 to 8 people', async () => {
      const g = await t.api.post('/api/v1/channels', { channel_type: 'group', user_ids: [bob.id, dave.id] }, alice.token);
      expect(g.status).toBe(201);
      expect(g.body.type).toBe('group');
      const again = await t.api.post('/api/v1/channels', { channel_type: 'group', user_ids: [alice.id, bob.id, dave.id, bob.id] }, dave.token);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(g.body.id);
      expect((await t.api.post('/api/v1/channels', { channel_type: 'group', user_ids: [bob.id] }, alice.token)).body.error.field).toBe('user_ids');
      const many = await Promise.all(Array.from({ length: 8 }, () => registerUser(t.api, 'many')));
      expect((await t.api.post('/api/v1/channels', { channel_type: 'group', user_ids: many.map((u) => u.id) }, alice.token)).status).toBe(422);
      expect((await t.api.post('/api/v1/channels', { channel_type: 'group', user_ids: many.slice(0, 7).map((u) => u.id) }, alice.token)).status).toBe(201);
    });

    it('cannot be renamed, archived or joined (400); a group can be left, a direct channel cannot', async () => {
      const dm = await directChannel(t.api, bob, carol);
      expect((await t.api.patch(`/api/v1/channels/${dm.id}`, { display_name: 'x' }, bob.token)).status).toBe(400);
      expect((await t.api.patch(`/api/v1/channels/${dm.id}`, { header: 'our header' }, bob.token)).body.header).toBe('our header');
      expect((await t.api.delete(`/api/v1/channels/${dm.id}`, bob.token)).status).toBe(400);
      expect((await t.api.delete(`/api/v1/channels/${dm.id}/members/${bob.id}`, bob.token)).status).toBe(400);
      expect((await t.api.post(`/api/v1/channels/${dm.id}/members`, { user_id: alice.id }, bob.token)).status).toBe(400);
      const g = await t.api.post('/api/v1/channels', { channel_type: 'group', user_ids: [bob.id, carol.id] }, alice.token);
      expect((await t.api.delete(`/api/v1/channels/${g.body.id}/members/${carol.id}`, alice.token)).status).toBe(400);
      expect((await t.api.delete(`/api/v1/channels/${g.body.id}/members/${carol.id}`, carol.token)).status).toBe(200);
      expect((await t.api.get(`/api/v1/channels/${g.body.id}`, carol.token)).status).toBe(404);
    });

    it('stays private from system admins', async () => {
      const root = await makeSystemAdmin(t.app, await registerUser(t.api, 'root'));
      const dm = await directChannel(t.api, bob, carol);
      await createPost(t.api, bob, dm.id, 'just between us');
      expect((await t.api.get(`/api/v1/channels/${dm.id}`, root.token)).status).toBe(404);
      expect((await t.api.get(`/api/v1/channels/${dm.id}/posts`, root.token)).status).toBe(404);
      // ...while team channels, private ones included, are theirs to manage.
      const priv = await createChannel(t.api, alice, team.id, 'private');
      expect((await t.api.get(`/api/v1/channels/${priv.id}`, root.token)).status).toBe(200);
      expect((await t.api.delete(`/api/v1/channels/${priv.id}`, root.token)).status).toBe(200);
    });
  });

  describe('read state', () => {
    it('marks a channel read and reports unread and mention counts', async () => {
      const chan = await createChannel(t.api, alice, team.id);
      await addChannelMember(t.api, alice, chan.id, bob);
      await createPost(t.api, alice, chan.id, `hey @${bob.username}`);
      const last = await createPost(t.api, alice, chan.id, 'and more');
      expect((await t.api.get(`/api/v1/channels/${chan.id}/unread`, bob.token)).body).toMatchObject({ channel_id: chan.id, team_id: team.id, unread_count: 2, mention_count: 1, last_post_seq: last.seq });
      const read = await t.api.post(`/api/v1/channels/${chan.id}/read`, undefined, bob.token);
      expect(read.body).toMatchObject({ unread_count: 0, mention_count: 0, last_viewed_seq: last.seq });
      // A teammate reading a public channel without being in it has nothing to mark.
      expect((await t.api.post(`/api/v1/channels/${chan.id}/read`, undefined, carol.token)).body).toEqual({ status: 'ok' });
      expect((await t.api.get(`/api/v1/channels/${chan.id}/unread`, carol.token)).body).toMatchObject({ unread_count: 0, mention_count: 0 });
    });
  });
});
