/**
 * Followed threads (collapsed reply threads) over HTTP and WebSocket, on both stores: who
 * follows automatically, unread counts moving with replies, mentions and reads, unfollowing,
 * a private channel's threads vanishing with the membership, the preference, bad input, and
 * the thread events (to followers; read state to every device of the reader).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, envelope, registerUser, type TestUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws-client.js';
import { listening, type Live } from '../realtime/helpers.js';

describe.each(STORES)('threads (%s)', (kind) => {
  let live: Live;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  let team: { id: string };
  let pub: { id: string };
  let priv: { id: string };
  let sockets: WsClient[] = [];

  const api = () => live.t.api;
  const threads = async (user: TestUser, query = '') => {
    const res = await api().get(`/api/v1/users/me/threads${query}`, user.token);
    expect(res.status).toBe(200);
    return res.body;
  };
  const thread = async (user: TestUser, rootId: string) => (await api().get(`/api/v1/users/me/threads/${rootId}`, user.token)).body;
  const ws = async (user: TestUser) => {
    const s = await WsClient.connect(live.url, { token: user.token });
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    live = await listening(kind);
    [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => registerUser(live.t.api, n))) as [TestUser, TestUser, TestUser, TestUser];
    team = await createTeam(api(), alice);
    for (const u of [bob, carol]) await addTeamMember(api(), alice, team.id, u);
    pub = await createChannel(api(), alice, team.id);
    priv = await createChannel(api(), alice, team.id, 'private');
    for (const u of [bob, carol]) {
      await addChannelMember(api(), alice, pub.id, u);
      await addChannelMember(api(), alice, priv.id, u);
    }
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    sockets = [];
    await live?.t.close();
  });

  it('follows automatically: the root\'s author on the first reply, repliers, and people mentioned by name', async () => {
    const root = await createPost(api(), alice, pub.id, 'a question');
    // No reply yet: nobody follows.
    expect((await thread(alice, root.id)).following).toBe(false);
    await createPost(api(), bob, pub.id, 'an answer', { root_post_id: root.id });
    expect(await thread(alice, root.id)).toMatchObject({ following: true, unread_replies: 1, unread_mentions: 0, reply_count: 1, participants: [bob.id] });
    expect(await thread(bob, root.id)).toMatchObject({ following: true, unread_replies: 0 });
    expect((await thread(carol, root.id)).following).toBe(false);
    await createPost(api(), bob, pub.id, `what do you think, @${carol.username}?`, { root_post_id: root.id });
    expect(await thread(carol, root.id)).toMatchObject({ following: true, unread_replies: 2, unread_mentions: 1 });
    expect(await thread(alice, root.id)).toMatchObject({ unread_replies: 2, unread_mentions: 0 });

    const list = await threads(alice);
    expect(list.threads.map((t: any) => t.id)).toContain(root.id);
    const mine = list.threads.find((t: any) => t.id === root.id);
    expect(mine).toMatchObject({ channel_id: pub.id, reply_count: 2, unread_replies: 2, unread_mentions: 0, participants: [bob.id], following: true });
    expect(mine.post).toMatchObject({ id: root.id, message: 'a question', reply_count: 2 });
    expect(mine.last_reply_at).toBeGreaterThan(0);
  });

  it('people the root mentions follow its thread once the first reply comes', async () => {
    const root = await createPost(api(), alice, pub.id, `@${carol.username} can you check this?`);
    expect((await thread(carol, root.id)).following).toBe(false);
    await createPost(api(), bob, pub.id, 'I had a look too', { root_post_id: root.id });
    expect(await thread(carol, root.id)).toMatchObject({ following: true, unread_replies: 1, unread_mentions: 0 });
    expect((await thread(alice, root.id)).following).toBe(true);
  });

  it('@here in the root reaches whoever is online but does not make them follow (only names do)', async () => {
    const online = await ws(carol);
    try {
      const root = await createPost(api(), alice, pub.id, '@here anyone around?');
      // The @here did reach carol (she is online): she is among the root's mentions.
      expect(await live.t.app.store.posts.mentionedBy(root.id)).toContain(carol.id);
      await createPost(api(), bob, pub.id, 'I am', { root_post_id: root.id });
      expect((await thread(carol, root.id)).following).toBe(false);
      expect((await thread(alice, root.id)).following).toBe(true);
      expect((await thread(bob, root.id)).following).toBe(true);
    } finally {
      online.close();
      sockets = sockets.filter((s) => s !== online);
    }
  });

  it('unread counts move with replies and reads; mentions count; totals add up; unfollowing stops the counts', async () => {
    const root = await createPost(api(), carol, pub.id, 'lunch?');
    await createPost(api(), bob, pub.id, 'yes', { root_post_id: root.id });
    const before = await threads(carol);
    await createPost(api(), bob, pub.id, `@${carol.username} where?`, { root_post_id: root.id });
    expect(await thread(carol, root.id)).toMatchObject({ unread_replies: 2, unread_mentions: 1 });
    const after = await threads(carol);
    expect(after.total_unread_mentions).toBe(before.total_unread_mentions + 1);
    expect(after.threads[0].id).toBe(root.id);
    expect((await threads(carol, '?unread=true')).threads.map((t: any) => t.id)).toContain(root.id);

    // Replying reads the thread for the replier.
    await createPost(api(), carol, pub.id, 'the usual place', { root_post_id: root.id });
    expect(await thread(carol, root.id)).toMatchObject({ unread_replies: 0, unread_mentions: 0 });
    await createPost(api(), bob, pub.id, 'ok', { root_post_id: root.id });
    expect((await thread(carol, root.id)).unread_replies).toBe(1);
    const read = await api().put(`/api/v1/users/me/threads/${root.id}/read`, {}, carol.token);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: root.id, unread_replies: 0, unread_mentions: 0, following: true });
    expect((await threads(carol, '?unread=true')).threads.map((t: any) => t.id)).not.toContain(root.id);

    // Unfollow: out of the list, no more counts; follow again: counted from the read position.
    const off = await api().request('DELETE', `/api/v1/users/me/threads/${root.id}/following`, { token: carol.token });
    expect(off.status).toBe(200);
    expect(off.body.following).toBe(false);
    await createPost(api(), bob, pub.id, 'still there?', { root_post_id: root.id });
    expect(await thread(carol, root.id)).toMatchObject({ following: false, unread_replies: 0 });
    expect((await threads(carol)).threads.map((t: any) => t.id)).not.toContain(root.id);
    // Being the root's author does not make an unfollowed thread followed again.
    expect((await thread(carol, root.id)).following).toBe(false);
    const on = await api().put(`/api/v1/users/me/threads/${root.id}/following`, {}, carol.token);
    expect(on.body).toMatchObject({ following: true, unread_replies: 1 });
    expect((await threads(carol)).threads.map((t: any) => t.id)).toContain(root.id);
  });

  it('pages the list with before and filters by team', async () => {
    const roots = [];
    for (let i = 0; i < 3; i++) {
      const root = await createPost(api(), dave, (await dmWith(dave, alice)).id, `dm ${i}`);
      await createPost(api(), alice, root.channel_id, 'reply', { root_post_id: root.id });
      roots.push(root.id);
    }
    const first = await threads(dave, '?per_page=2');
    expect(first.threads.map((t: any) => t.id)).toEqual([roots[2], roots[1]]);
    expect(first).toMatchObject({ has_more: true, next_before: roots[1], total: 3, total_unread_threads: 3 });
    const second = await threads(dave, `?per_page=2&before=${first.next_before}`);
    expect(second.threads.map((t: any) => t.id)).toEqual([roots[0]]);
    expect(second).toMatchObject({ has_more: false, next_before: null });
    // Direct messages belong to no team: they show in any team's list (dave is in no team, so that list is refused).
    expect((await api().get(`/api/v1/users/me/threads?team_id=${team.id}`, dave.token)).status).toBe(404);
    const inTeam = await threads(alice, `?team_id=${team.id}`);
    expect(inTeam.threads.map((t: any) => t.id)).toEqual(expect.arrayContaining(roots));
  });

  async function dmWith(a: TestUser, b: TestUser): Promise<{ id: string }> {
    return (await api().post('/api/v1/channels', { channel_type: 'direct', target_user_id: b.id }, a.token)).body;
  }

  it('hides the threads of a private channel from someone removed from it', async () => {
    const root = await createPost(api(), alice, priv.id, 'secret plans');
    await createPost(api(), bob, priv.id, `noted @${carol.username}`, { root_post_id: root.id });
    expect((await threads(carol)).threads.map((t: any) => t.id)).toContain(root.id);
    const totalsBefore = await threads(carol);
    expect((await api().request('DELETE', `/api/v1/channels/${priv.id}/members/${carol.id}`, { token: alice.token })).status).toBe(200);
    const after = await threads(carol);
    expect(after.threads.map((t: any) => t.id)).not.toContain(root.id);
    expect(after.total).toBe(totalsBefore.total - 1);
    expect(after.total_unread_mentions).toBe(totalsBefore.total_unread_mentions - 1);
    // The thread itself is now a 404, like an unknown one.
    const gone = await api().get(`/api/v1/users/me/threads/${root.id}`, carol.token);
    const unknown = await api().get(`/api/v1/users/me/threads/${randomUUID()}`, carol.token);
    expect(gone.status).toBe(404);
    expect(envelope(gone)).toEqual(envelope(unknown));
    expect((await api().put(`/api/v1/users/me/threads/${root.id}/read`, {}, carol.token)).status).toBe(404);
  });

  it('refuses bad input: unknown ids, a reply\'s id, someone else\'s channel, malformed ids and cursors', async () => {
    const root = await createPost(api(), alice, pub.id, 'root');
    const reply = await createPost(api(), bob, pub.id, 'reply', { root_post_id: root.id });
    for (const [method, path] of [['GET', ''], ['PUT', '/following'], ['DELETE', '/following'], ['PUT', '/read']] as const) {
      const unknown = await api().request(method, `/api/v1/users/me/threads/${randomUUID()}${path}`, { token: bob.token });
      expect(unknown.status).toBe(404);
      const ofReply = await api().request(method, `/api/v1/users/me/threads/${reply.id}${path}`, { token: bob.token });
      expect(ofReply.status).toBe(400);
      expect(ofReply.body.error.code).toBe('BAD_REQUEST');
      // dave is in no channel of the team: the thread is as unknown to him as a random id.
      const foreign = await api().request(method, `/api/v1/users/me/threads/${root.id}${path}`, { token: dave.token });
      expect(foreign.status).toBe(404);
      expect(envelope(foreign)).toEqual(envelope(unknown));
      expect((await api().request(method, `/api/v1/users/me/threads/not-an-id${path}`, { token: bob.token })).status).toBe(400);
    }
    expect((await api().get('/api/v1/users/me/threads?before=not-an-id', bob.token)).status).toBe(400);
    expect((await api().get(`/api/v1/users/me/threads?before=${randomUUID()}`, bob.token)).status).toBe(422);
    expect((await api().get('/api/v1/users/me/threads?per_page=0', bob.token)).status).toBe(400);
    expect((await api().get(`/api/v1/users/me/threads?team_id=${randomUUID()}`, bob.token)).status).toBe(404);
    expect((await api().put('/api/v1/users/me/preferences/threads', { collapsed_threads: 'sometimes' }, bob.token)).status).toBe(400);
    expect((await api().put('/api/v1/users/me/preferences/threads', {}, bob.token)).status).toBe(400);
    expect((await api().get('/api/v1/users/me/threads')).status).toBe(401);
  });

  it('keeps replies out of the channel list unless the reader prefers them inline', async () => {
    const ch = await createChannel(api(), alice, team.id);
    await addChannelMember(api(), alice, ch.id, bob);
    const root = await createPost(api(), alice, ch.id, 'root');
    const reply = await createPost(api(), bob, ch.id, 'reply', { root_post_id: root.id });
    const ids = async (user: TestUser, q = '') => (await api().get(`/api/v1/channels/${ch.id}/posts${q}`, user.token)).body.messages.map((p: any) => p.id);
    expect((await api().get('/api/v1/users/me/preferences/threads', bob.token)).body).toEqual({ collapsed_threads: true });
    expect(await ids(bob)).toEqual([root.id]);
    const root1 = (await api().get(`/api/v1/channels/${ch.id}/posts`, bob.token)).body.messages[0];
    expect(root1).toMatchObject({ reply_count: 1, participants: [bob.id] });
    expect((await api().put('/api/v1/users/me/preferences/threads', { collapsed_threads: false }, bob.token)).body).toEqual({ collapsed_threads: false });
    expect((await api().get('/api/v1/users/me/preferences/threads', bob.token)).body).toEqual({ collapsed_threads: false });
    expect(await ids(bob)).toEqual([reply.id, root.id]);
    // Per user: alice still has the default; the query parameter overrides either way.
    expect(await ids(alice)).toEqual([root.id]);
    expect(await ids(alice, '?collapsed_threads=false')).toEqual([reply.id, root.id]);
    expect(await ids(bob, '?collapsed_threads=true')).toEqual([root.id]);
  });

  it('sends thread_updated to followers who can read the channel, and read state to every device', async () => {
    const root = await createPost(api(), alice, pub.id, 'live thread');
    await createPost(api(), bob, pub.id, 'first', { root_post_id: root.id });
    const aliceLaptop = await ws(alice);
    const alicePhone = await ws(alice);
    const carolWs = await ws(carol);
    const daveWs = await ws(dave);
    const reply = await createPost(api(), bob, pub.id, 'second', { root_post_id: root.id });
    const updated = await aliceLaptop.waitForEvent('thread_updated', (d) => d.thread.id === root.id && d.thread.reply_count === 2);
    expect(updated.data).toMatchObject({ thread: { id: root.id, channel_id: pub.id, unread_replies: 2, following: true, participants: [bob.id] } });
    await alicePhone.waitForEvent('thread_updated', (d) => d.thread.id === root.id && d.thread.reply_count === 2);
    // carol (in the channel, not following) and dave (not in it) get the post or nothing, never the thread update.
    await carolWs.waitForEvent('posted', (d) => d.post.id === reply.id);
    expect(carolWs.named('thread_updated').filter((e: any) => e.data.thread.id === root.id)).toEqual([]);

    // Read on the laptop: the phone hears it.
    const mark = alicePhone.events.length;
    expect((await api().put(`/api/v1/users/me/threads/${root.id}/read`, {}, alice.token)).status).toBe(200);
    const readEv = await alicePhone.waitForEvent('thread_read_changed', (d) => d.thread_id === root.id, { from: mark });
    expect(readEv.data).toMatchObject({ thread_id: root.id, channel_id: pub.id, unread_replies: 0, unread_mentions: 0 });
    await aliceLaptop.waitForEvent('thread_read_changed', (d) => d.thread_id === root.id);
    // Following by hand is announced to the follower's own connections only.
    expect((await api().put(`/api/v1/users/me/threads/${root.id}/following`, {}, carol.token)).status).toBe(200);
    await carolWs.waitForEvent('thread_follow_changed', (d) => d.thread_id === root.id && d.following === true);
    // Delivery is ordered per connection: had the reply's thread_updated been sent to carol, it would be here by now.
    expect(carolWs.named('thread_updated').filter((e: any) => e.data.thread.id === root.id)).toEqual([]);
    // Dave's own sentinel (a thread he follows in his DM) arrives; nothing of alice's thread came before it.
    const dm = await dmWith(dave, bob);
    const dmRoot = await createPost(api(), dave, dm.id, 'hi bob');
    await createPost(api(), bob, dm.id, 'hi dave', { root_post_id: dmRoot.id });
    await daveWs.waitForEvent('thread_updated', (d) => d.thread.id === dmRoot.id);
    expect(daveWs.named('thread_updated').filter((e: any) => e.data.thread.id === root.id)).toEqual([]);
    expect(daveWs.named('thread_read_changed')).toEqual([]);
    // Followed automatically (a reply mentions her): told, with the thread.
    const asked = await createPost(api(), alice, pub.id, 'one more question');
    await createPost(api(), bob, pub.id, `@${carol.username} over to you`, { root_post_id: asked.id });
    await carolWs.waitForEvent('thread_follow_changed', (d) => d.thread_id === asked.id && d.following === true);
    const news = await carolWs.waitForEvent('thread_updated', (d) => d.thread.id === asked.id);
    expect(news.data).toMatchObject({ thread: { following: true, unread_replies: 1, unread_mentions: 1 } });
  });
});
