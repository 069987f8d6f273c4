/** Posts on both stores: create (idempotent), edit, delete, threads, reactions, pins, saved posts, history paging. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { jsonLines } from '../security/support.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, envelope, makeSystemAdmin, registerUser, type TestUser } from '../helpers/factories.js';

describe.each(STORES)('posts (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let team: { id: string };
  /** A fresh public channel with alice (admin) and bob in it; carol is in the team only. */
  async function channel(): Promise<string> {
    const c = await createChannel(t.api, alice, team.id);
    await addChannelMember(t.api, alice, c.id, bob);
    return c.id;
  }
  beforeAll(async () => {
    t = await startApp(kind);
    [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => registerUser(t.api, n))) as [TestUser, TestUser, TestUser];
    team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    await addTeamMember(t.api, alice, team.id, carol);
  });
  afterAll(async () => t?.close());

  describe('create', () => {
    it('posts with the author taken from the session and a global, increasing seq', async () => {
      const c = await channel();
      const res = await t.api.post(`/api/v1/channels/${c}/posts`, { message: 'first', props: { color: 'blue' } }, bob.token);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ channel_id: c, user_id: bob.id, root_post_id: null, message: 'first', props: { color: 'blue' }, file_ids: [], is_pinned: false, edited_at: null, reply_count: 0, last_reply_at: null, reactions: [], client_msg_id: null });
      const other = await channel();
      const second = await createPost(t.api, alice, other, 'second');
      const third = await createPost(t.api, bob, c, 'third');
      expect(second.seq).toBeGreaterThan(res.body.seq);
      expect(third.seq).toBeGreaterThan(second.seq);
      expect((await t.api.get(`/api/v1/posts/${res.body.id}`, carol.token)).body.message).toBe('first');
      expect((await t.api.get(`/api/v1/channels/${c}`, bob.token)).body.last_post_seq).toBe(third.seq);
    });

    it('returns the first post for a repeated client_msg_id, per user', async () => {
      const c = await channel();
      const first = await t.api.post(`/api/v1/channels/${c}/posts`, { message: 'once', client_msg_id: 'm-1' }, bob.token);
      const retry = await t.api.post(`/api/v1/channels/${c}/posts`, { message: 'once (retry)', client_msg_id: 'm-1' }, bob.token);
      expect(first.status).toBe(201);
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual(first.body);
      expect((await t.api.post(`/api/v1/channels/${c}/posts`, { message: 'mine', client_msg_id: 'm-1' }, alice.token)).status).toBe(201);
      const elsewhere = await channel();
      expect((await t.api.post(`/api/v1/channels/${elsewhere}/posts`, { message: 'x', client_msg_id: 'm-1' }, bob.token)).status).toBe(400);
      expect((await t.api.get(`/api/v1/channels/${c}/posts`, bob.token)).body.messages).toHaveLength(2);
    });

    it('creates a client_msg_id post once even when retries race', async () => {
      const c = await channel();
      const results = await Promise.all(Array.from({ length: 6 }, () => t.api.post(`/api/v1/channels/${c}/posts`, { message: 'racy', client_msg_id: 'race-1' }, bob.token)));
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect((await t.api.get(`/api/v1/channels/${c}/posts`, bob.token)).body.messages).toHaveLength(1);
    });

    it('refuses empty or oversized messages, reserved props and attachments, posting nothing', async () => {
      const c = await channel();
      for (const body of [{ message: '   ' }, { message: 'x'.repeat(16_384) }, { message: 'x', props: { from_webhook: 'true' } }, { message: 'x', props: { webhook_id: 'forged' } }, { message: 'x', props: { attachments: [{ title_link: 'javascript:alert(1)' }] } }, { message: 'x', props: { big: 'y'.repeat(9000) } }, { message: 'x', file_ids: ['f'] }]) {
        const res = await t.api.post(`/api/v1/channels/${c}/posts`, body, bob.token);
        expect(res.status).toBe(422);
        expect(res.body.error.code).toBe('VALIDATION_ERROR');
      }
      expect((await t.api.get(`/api/v1/channels/${c}/posts`, bob.token)).body.messages).toEqual([]);
    });

    it('lets only members post: a teammate who can read a public channel must join first', async () => {
      const c = await channel();
      const res = await t.api.post(`/api/v1/channels/${c}/posts`, { message: 'drive-by' }, carol.token);
      expect(res.status).toBe(403);
      expect(t.logs.lines.some((l) => l.includes('"security_event":"access_denied"') && l.includes(carol.id))).toBe(true);
    });
  });

  describe('edit and delete', () => {
    it('lets only the author edit', async () => {
      const c = await channel();
      const p = await createPost(t.api, bob, c, 'draft');
      const hijack = await t.api.put(`/api/v1/posts/${p.id}`, { message: 'hijack' }, alice.token);
      expect(hijack.status).toBe(403);
      // One event from the one refusal path (Access), with the ownership reason.
      expect(jsonLines(t.logs.text()).filter((l) => l.request_id === hijack.headers['x-request-id'] && l.security_event === 'access_denied'))
        .toEqual([expect.objectContaining({ user_id: alice.id, resource: 'post', action: 'edit', resource_id: p.id, reason: 'not_owner', status: 403 })]);
      const edited = await t.api.put(`/api/v1/posts/${p.id}`, { message: 'final' }, bob.token);
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ id: p.id, message: 'final', seq: p.seq });
      expect(edited.body.edited_at).toBeGreaterThanOrEqual(p.created_at);
      expect((await t.api.put(`/api/v1/posts/${p.id}`, { message: ' ' }, bob.token)).status).toBe(422);
    });

    it('lets the author or a channel admin delete (soft: the post disappears everywhere)', async () => {
      const c = await channel();
      await addChannelMember(t.api, alice, c, carol);
      const p1 = await createPost(t.api, bob, c, 'mine');
      const p2 = await createPost(t.api, bob, c, 'moderated');
      expect((await t.api.delete(`/api/v1/posts/${p1.id}`, carol.token)).status).toBe(403);
      expect((await t.api.delete(`/api/v1/posts/${p1.id}`, bob.token)).status).toBe(200);
      expect((await t.api.delete(`/api/v1/posts/${p2.id}`, alice.token)).status).toBe(200);
      for (const p of [p1, p2]) {
        expect((await t.api.get(`/api/v1/posts/${p.id}`, bob.token)).status).toBe(404);
        expect((await t.api.put(`/api/v1/posts/${p.id}`, { message: 'zombie' }, bob.token)).status).toBe(404);
        expect((await t.api.delete(`/api/v1/posts/${p.id}`, bob.token)).status).toBe(404);
      }
      expect((await t.api.get(`/api/v1/channels/${c}/posts`, bob.token)).body.messages).toEqual([]);
      // Soft: the row is still there, marked deleted.
      expect((await t.app.store.posts.get(p1.id))?.deleted_at).not.toBeNull();
    });

    it('lets a system admin moderate a team channel', async () => {
      const root = await makeSystemAdmin(t.app, await registerUser(t.api, 'root'));
      const c = await channel();
      const p = await createPost(t.api, bob, c, 'against the rules');
      expect((await t.api.delete(`/api/v1/posts/${p.id}`, root.token)).status).toBe(200);
    });
  });

  describe('threads', () => {
    it('counts replies, keeps the last reply time and attaches replies-to-replies to the root', async () => {
      const c = await channel();
      const root = await createPost(t.api, alice, c, 'root');
      const r1 = await createPost(t.api, bob, c, 'r1', { root_post_id: root.id });
      const r2 = await createPost(t.api, alice, c, 'r2', { root_post_id: r1.id });
      expect(r2.root_post_id).toBe(root.id);
      const got = (await t.api.get(`/api/v1/posts/${root.id}`, bob.token)).body;
      expect(got).toMatchObject({ reply_count: 2, last_reply_at: r2.created_at });
      const thread = await t.api.get(`/api/v1/posts/${r1.id}/thread`, bob.token);
      expect(thread.body.order).toEqual([root.id, r1.id, r2.id]);
      expect(thread.body.next_cursor).toBeNull();
      // Deleting a reply recounts; deleting the root takes the thread with it.
      await t.api.delete(`/api/v1/posts/${r2.id}`, alice.token);
      expect((await t.api.get(`/api/v1/posts/${root.id}`, bob.token)).body).toMatchObject({ reply_count: 1, last_reply_at: r1.created_at });
      await t.api.delete(`/api/v1/posts/${root.id}`, alice.token);
      expect((await t.api.get(`/api/v1/posts/${r1.id}`, bob.token)).status).toBe(404);
      expect((await t.api.get(`/api/v1/posts/${r1.id}/thread`, bob.token)).status).toBe(404);
    });

    it('pages long threads with a cursor', async () => {
      const c = await channel();
      const root = await createPost(t.api, alice, c, 'root');
      const replies = [];
      for (let i = 0; i < 5; i++) replies.push(await createPost(t.api, bob, c, `r${i}`, { root_post_id: root.id }));
      const page1 = await t.api.get(`/api/v1/posts/${root.id}/thread?limit=2`, bob.token);
      expect(page1.body.order).toEqual([root.id, replies[0].id, replies[1].id]);
      const page2 = await t.api.get(`/api/v1/posts/${root.id}/thread?limit=2&cursor=${page1.body.next_cursor}`, bob.token);
      expect(page2.body.order).toEqual([replies[2].id, replies[3].id]);
      const page3 = await t.api.get(`/api/v1/posts/${root.id}/thread?limit=2&cursor=${page2.body.next_cursor}`, bob.token);
      expect(page3.body.order).toEqual([replies[4].id]);
      expect(page3.body.next_cursor).toBeNull();
      expect((await t.api.get(`/api/v1/posts/${root.id}/thread?cursor=abc`, bob.token)).status).toBe(400);
    });

    it('refuses a reply to a post of another channel or a deleted one', async () => {
      const c = await channel();
      const other = await channel();
      const foreign = await createPost(t.api, alice, other, 'elsewhere');
      expect((await t.api.post(`/api/v1/channels/${c}/posts`, { message: 'x', root_post_id: foreign.id }, bob.token)).body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'root_post_id' });
      const gone = await createPost(t.api, alice, c, 'gone');
      await t.api.delete(`/api/v1/posts/${gone.id}`, alice.token);
      expect((await t.api.post(`/api/v1/channels/${c}/posts`, { message: 'x', root_post_id: gone.id }, bob.token)).status).toBe(422);
      expect((await t.api.post(`/api/v1/channels/${c}/posts`, { message: 'x', root_post_id: randomUUID() }, bob.token)).status).toBe(422);
    });
  });

  describe('reactions, pins and saved posts', () => {
    it('adds and removes reactions, one per user and emoji', async () => {
      const c = await channel();
      const p = await createPost(t.api, alice, c, 'react to me');
      await t.api.post(`/api/v1/posts/${p.id}/reactions`, { emoji_name: 'tada' }, bob.token);
      await t.api.post(`/api/v1/posts/${p.id}/reactions`, { emoji_name: 'TADA' }, bob.token);
      const both = await t.api.post(`/api/v1/posts/${p.id}/reactions`, { emoji_name: 'tada' }, alice.token);
      expect(both.body.reactions).toEqual([{ emoji: 'tada', count: 2, users: [bob.id, alice.id] }]);
      const removed = await t.api.delete(`/api/v1/posts/${p.id}/reactions/tada`, bob.token);
      expect(removed.body.reactions).toEqual([{ emoji: 'tada', count: 1, users: [alice.id] }]);
      expect((await t.api.delete(`/api/v1/posts/${p.id}/reactions/tada`, bob.token)).status).toBe(404);
      expect((await t.api.post(`/api/v1/posts/${p.id}/reactions`, { emoji_name: ':bad emoji:' }, bob.token)).status).toBe(422);
      expect((await t.api.post(`/api/v1/posts/${p.id}/reactions`, { emoji_name: 'eyes' }, carol.token)).status).toBe(403);
      expect((await t.api.get(`/api/v1/channels/${c}/posts`, bob.token)).body.messages[0].reactions).toEqual([{ emoji: 'tada', count: 1, users: [alice.id] }]);
    });

    it('pins and unpins', async () => {
      const c = await channel();
      const p = await createPost(t.api, alice, c, 'pin me');
      expect((await t.api.post(`/api/v1/posts/${p.id}/pin`, undefined, bob.token)).body.is_pinned).toBe(true);
      expect((await t.api.get(`/api/v1/channels/${c}/pinned`, bob.token)).body.map((x: any) => x.id)).toEqual([p.id]);
      expect((await t.api.post(`/api/v1/posts/${p.id}/pin`, undefined, carol.token)).status).toBe(403);
      expect((await t.api.delete(`/api/v1/posts/${p.id}/pin`, bob.token)).body.is_pinned).toBe(false);
      expect((await t.api.get(`/api/v1/channels/${c}/pinned`, bob.token)).body).toEqual([]);
    });

    it('saves posts for later, showing only those I can still read', async () => {
      const c = await channel();
      const priv = await createChannel(t.api, alice, team.id, 'private');
      await addChannelMember(t.api, alice, priv.id, bob);
      const p1 = await createPost(t.api, alice, c, 'save me');
      const p2 = await createPost(t.api, alice, priv.id, 'secret to save');
      expect((await t.api.post(`/api/v1/posts/${p1.id}/save`, undefined, bob.token)).status).toBe(200);
      expect((await t.api.post(`/api/v1/posts/${p2.id}/save`, undefined, bob.token)).status).toBe(200);
      expect((await t.api.post(`/api/v1/posts/${p2.id}/save`, undefined, bob.token)).status).toBe(200);
      expect((await t.api.get('/api/v1/active_user/saved_posts', bob.token)).body.map((x: any) => x.id)).toEqual([p2.id, p1.id]);
      // Removed from the private channel: its saved post is no longer shown.
      await t.api.delete(`/api/v1/channels/${priv.id}/members/${bob.id}`, alice.token);
      expect((await t.api.get('/api/v1/active_user/saved_posts', bob.token)).body.map((x: any) => x.id)).toEqual([p1.id]);
      expect((await t.api.delete(`/api/v1/posts/${p1.id}/save`)).status).toBe(401);
      expect((await t.api.delete(`/api/v1/posts/${p1.id}/save`, bob.token)).status).toBe(200);
      expect((await t.api.delete(`/api/v1/posts/${p1.id}/save`, bob.token)).status).toBe(404);
      expect((await t.api.get('/api/v1/active_user/saved_posts', bob.token)).body).toEqual([]);
    });
  });

  describe('history', () => {
    it('pages newest first with before/after cursors (post id or seq) and a limit of at most 100', async () => {
      const c = await channel();
      const ps = [];
      for (let i = 0; i < 6; i++) ps.push(await createPost(t.api, i % 2 ? bob : alice, c, `m${i}`));
      const msgs = (r: any) => r.body.messages.map((p: any) => p.message);
      const latest = await t.api.get(`/api/v1/channels/${c}/posts?limit=2`, bob.token);
      expect(msgs(latest)).toEqual(['m5', 'm4']);
      expect(latest.body.has_more).toBe(true);
      expect(msgs(await t.api.get(`/api/v1/channels/${c}/posts?limit=2&before=${ps[4].id}`, bob.token))).toEqual(['m3', 'm2']);
      expect(msgs(await t.api.get(`/api/v1/channels/${c}/posts?limit=2&before=${ps[4].seq}`, bob.token))).toEqual(['m3', 'm2']);
      expect(msgs(await t.api.get(`/api/v1/channels/${c}/posts?limit=2&after=${ps[0].id}`, bob.token))).toEqual(['m2', 'm1']);
      expect(msgs(await t.api.get(`/api/v1/channels/${c}/posts?after=${ps[1].seq}&before=${ps[4].seq}`, bob.token))).toEqual(['m3', 'm2']);
      const all = await t.api.get(`/api/v1/channels/${c}/posts?limit=100`, bob.token);
      expect(all.body.messages).toHaveLength(6);
      expect(all.body.has_more).toBe(false);
      expect((await t.api.get(`/api/v1/channels/${c}/posts?limit=101`, bob.token)).status).toBe(400);
      expect((await t.api.get(`/api/v1/channels/${c}/posts?limit=0`, bob.token)).status).toBe(400);
      const other = await channel();
      const foreign = await createPost(t.api, alice, other, 'not here');
      expect((await t.api.get(`/api/v1/channels/${c}/posts?before=${foreign.id}`, bob.token)).status).toBe(400);
      expect((await t.api.get(`/api/v1/channels/${c}/posts?before=yesterday`, bob.token)).status).toBe(400);
    });

    it('returns my read state with the page', async () => {
      const c = await channel();
      const p1 = await createPost(t.api, alice, c, 'one');
      await t.api.post(`/api/v1/channels/${c}/read`, undefined, bob.token);
      const p2 = await createPost(t.api, alice, c, 'two');
      const page = await t.api.get(`/api/v1/channels/${c}/posts`, bob.token);
      expect(page.body.read_state).toEqual({ last_read_seq: p1.seq, first_unread_seq: p2.seq });
      // Not a member: no read state.
      expect((await t.api.get(`/api/v1/channels/${c}/posts`, carol.token)).body.read_state).toBeNull();
      // The first unread below a short page, inside the page, with a cursor, and none at all.
      const p3 = await createPost(t.api, alice, c, 'three');
      const p4 = await createPost(t.api, alice, c, 'four');
      expect((await t.api.get(`/api/v1/channels/${c}/posts?limit=1`, bob.token)).body.read_state).toEqual({ last_read_seq: p1.seq, first_unread_seq: p2.seq });
      expect((await t.api.get(`/api/v1/channels/${c}/posts?limit=4`, bob.token)).body.read_state).toEqual({ last_read_seq: p1.seq, first_unread_seq: p2.seq });
      expect((await t.api.get(`/api/v1/channels/${c}/posts?before=${p4.seq}&limit=1`, bob.token)).body.read_state).toEqual({ last_read_seq: p1.seq, first_unread_seq: p2.seq });
      await t.api.post(`/api/v1/channels/${c}/read`, undefined, bob.token);
      expect((await t.api.get(`/api/v1/channels/${c}/posts?limit=2`, bob.token)).body.read_state).toEqual({ last_read_seq: p4.seq, first_unread_seq: null });
      expect((await t.api.get(`/api/v1/channels/${c}/posts`, bob.token)).body.read_state).toEqual({ last_read_seq: p4.seq, first_unread_seq: null });
      expect(p3.seq).toBeLessThan(p4.seq);
    });

    it('marks a channel unread from a post on', async () => {
      const c = await channel();
      const p1 = await createPost(t.api, alice, c, 'one');
      const p2 = await createPost(t.api, alice, c, `two @${bob.username}`);
      await createPost(t.api, alice, c, 'three');
      await t.api.post(`/api/v1/channels/${c}/read`, undefined, bob.token);
      const res = await t.api.post(`/api/v1/posts/${p2.id}/unread`, undefined, bob.token);
      expect(res.body).toEqual({ channel_id: c, last_viewed_seq: p1.seq, unread_count: 2, mention_count: 1 });
      // Carol may read the public channel but has no read position in it: refused by Access
      // with its reason, like any other post action a reader may not do.
      const refused = await t.api.post(`/api/v1/posts/${p2.id}/unread`, undefined, carol.token);
      expect(refused.status).toBe(403);
      expect(jsonLines(t.logs.text()).filter((l) => l.request_id === refused.headers['x-request-id'] && l.security_event === 'access_denied'))
        .toEqual([expect.objectContaining({ user_id: carol.id, resource: 'post', action: 'mark_unread', resource_id: p2.id, reason: 'not_member', status: 403 })]);
      // A post of a channel she cannot read: the same 404 (and event) as reading it.
      const priv = await createChannel(t.api, alice, team.id, 'private');
      const secret = await createPost(t.api, alice, priv.id, 'secret');
      const hidden = await t.api.post(`/api/v1/posts/${secret.id}/unread`, undefined, carol.token);
      expect(envelope(hidden)).toEqual(envelope(await t.api.get(`/api/v1/posts/${secret.id}`, carol.token)));
      expect(hidden.status).toBe(404);
      expect(jsonLines(t.logs.text()).filter((l) => l.request_id === hidden.headers['x-request-id'] && l.security_event === 'access_denied'))
        .toEqual([expect.objectContaining({ user_id: carol.id, resource: 'post', action: 'mark_unread', resource_id: secret.id, reason: 'private_channel', status: 404 })]);
    });
  });

  describe('mentions', () => {
    it('@username mentions members only; @channel everyone else; the author never', async () => {
      const c = await channel();
      await addChannelMember(t.api, alice, c, carol);
      const outsider = await registerUser(t.api, 'outside');
      await createPost(t.api, alice, c, `@${bob.username} and @${outsider.username} and @${alice.username}, thanks @${carol.username}.`);
      const unread = async (u: TestUser) => (await t.api.get(`/api/v1/channels/${c}/unread`, u.token)).body;
      expect(await unread(bob)).toMatchObject({ unread_count: 1, mention_count: 1 });
      expect(await unread(carol)).toMatchObject({ unread_count: 1, mention_count: 1 });
      expect(await unread(alice)).toMatchObject({ unread_count: 0, mention_count: 0 });
      await createPost(t.api, bob, c, 'heads up @channel');
      expect(await unread(alice)).toMatchObject({ unread_count: 1, mention_count: 1 });
      expect(await unread(carol)).toMatchObject({ unread_count: 2, mention_count: 2 });
      expect(await unread(bob)).toMatchObject({ unread_count: 0, mention_count: 0 });
      // Nobody is online (no WebSocket): @here mentions nobody.
      await createPost(t.api, bob, c, '@here anyone?');
      expect(await unread(carol)).toMatchObject({ unread_count: 3, mention_count: 2 });
    });

    it('re-reads mentions when a post is edited and forgets them when it is deleted', async () => {
      const c = await channel();
      await addChannelMember(t.api, alice, c, carol);
      const p = await createPost(t.api, alice, c, `hi @${bob.username}`);
      await t.api.put(`/api/v1/posts/${p.id}`, { message: `hi @${carol.username}` }, alice.token);
      expect((await t.api.get(`/api/v1/channels/${c}/unread`, bob.token)).body.mention_count).toBe(0);
      expect((await t.api.get(`/api/v1/channels/${c}/unread`, carol.token)).body.mention_count).toBe(1);
      await t.api.delete(`/api/v1/posts/${p.id}`, alice.token);
      expect((await t.api.get(`/api/v1/channels/${c}/unread`, carol.token)).body).toMatchObject({ unread_count: 0, mention_count: 0 });
    });
  });
});
