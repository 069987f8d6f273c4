/**
 * The scripted conversation of the core issue, on both stores: two users, a team, a public
 * and a private channel, a direct channel, posts, a thread, reactions, pins and unread counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addTeamMember, createTeam, registerUser, type TestUser } from '../helpers/factories.js';

describe.each(STORES)('a conversation over REST (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    t = await startApp(kind);
    alice = await registerUser(t.api, 'alice');
    bob = await registerUser(t.api, 'bob');
  });
  afterAll(async () => t?.close());

  it('runs end to end', async () => {
    const { api } = t;
    const team = await createTeam(api, alice);
    await addTeamMember(api, alice, team.id, bob);

    const teams = await api.get('/api/v1/teams', bob.token);
    expect(teams.status).toBe(200);
    expect(teams.body.map((x: any) => x.id)).toContain(team.id);

    const pub = await api.post('/api/v1/channels', { team_id: team.id, name: 'general-chat', display_name: 'General', channel_type: 'public' }, alice.token);
    expect(pub.status).toBe(201);
    const priv = await api.post('/api/v1/channels', { team_id: team.id, name: 'secret-plans', channel_type: 'private' }, alice.token);
    expect(priv.status).toBe(201);

    // Bob sees the public channel but not the private one.
    const visible = await api.get(`/api/v1/teams/${team.id}/channels`, bob.token);
    const names = visible.body.map((c: any) => c.name);
    expect(names).toContain('general-chat');
    expect(names).not.toContain('secret-plans');
    expect((await api.get(`/api/v1/channels/${priv.body.id}`, bob.token)).status).toBe(404);

    // Bob joins the public channel himself.
    expect((await api.post(`/api/v1/channels/${pub.body.id}/members`, { user_id: bob.id }, bob.token)).status).toBe(201);

    const hello = await api.post(`/api/v1/channels/${pub.body.id}/posts`, { message: `hello @${bob.username}` }, alice.token);
    expect(hello.status).toBe(201);
    expect(hello.body.seq).toBeGreaterThan(0);

    // Bob has one unread message that mentions him.
    const unread = await api.get(`/api/v1/channels/${pub.body.id}/unread`, bob.token);
    expect(unread.body).toMatchObject({ unread_count: 1, mention_count: 1 });
    const overview = await api.get('/api/v1/unreads/overview', bob.token);
    expect(overview.body.total_mentions).toBe(1);

    // A thread.
    const reply = await api.post(`/api/v1/channels/${pub.body.id}/posts`, { message: 'hi alice', root_post_id: hello.body.id }, bob.token);
    expect(reply.status).toBe(201);
    const thread = await api.get(`/api/v1/posts/${hello.body.id}/thread`, alice.token);
    expect(thread.body.order).toEqual([hello.body.id, reply.body.id]);
    expect(thread.body.posts[hello.body.id].reply_count).toBe(1);

    // Reactions and a pin.
    const reacted = await api.post(`/api/v1/posts/${hello.body.id}/reactions`, { emoji_name: 'thumbsup' }, bob.token);
    expect(reacted.body.reactions).toEqual([{ emoji: 'thumbsup', count: 1, users: [bob.id] }]);
    const pinned = await api.post(`/api/v1/posts/${hello.body.id}/pin`, undefined, alice.token);
    expect(pinned.body.is_pinned).toBe(true);
    expect((await api.get(`/api/v1/channels/${pub.body.id}/pinned`, bob.token)).body.map((p: any) => p.id)).toEqual([hello.body.id]);

    // Posting marked Bob's channel read; a mark-read after Alice's next post clears counts.
    await api.post(`/api/v1/channels/${pub.body.id}/posts`, { message: 'one more' }, alice.token);
    expect((await api.get(`/api/v1/channels/${pub.body.id}/unread`, bob.token)).body.unread_count).toBe(1);
    expect((await api.post(`/api/v1/channels/${pub.body.id}/read`, undefined, bob.token)).status).toBe(200);
    expect((await api.get(`/api/v1/channels/${pub.body.id}/unread`, bob.token)).body).toMatchObject({ unread_count: 0, mention_count: 0 });

    // A direct channel is unique per pair.
    const dm1 = await api.post('/api/v1/channels', { channel_type: 'direct', target_user_id: bob.id }, alice.token);
    expect(dm1.status).toBe(201);
    const dm2 = await api.post('/api/v1/channels', { channel_type: 'direct', target_user_id: alice.id }, bob.token);
    expect(dm2.status).toBe(200);
    expect(dm2.body.id).toBe(dm1.body.id);
    const dmPost = await api.post(`/api/v1/channels/${dm1.body.id}/posts`, { message: 'psst' }, bob.token);
    expect(dmPost.status).toBe(201);

    // History, newest first. Replies stay in their thread by default (collapsed threads): the root carries the count.
    const history = await api.get(`/api/v1/channels/${pub.body.id}/posts?limit=2`, alice.token);
    expect(history.body.messages.map((p: any) => p.message)).toEqual(['one more', `hello @${bob.username}`]);
    expect(history.body.messages[1]).toMatchObject({ reply_count: 1, participants: [bob.id] });
    expect(history.body.has_more).toBe(false);
    // Inline, as before collapsed threads, on request.
    const inline = await api.get(`/api/v1/channels/${pub.body.id}/posts?limit=2&collapsed_threads=false`, alice.token);
    expect(inline.body.messages.map((p: any) => p.message)).toEqual(['one more', 'hi alice']);
    expect(inline.body.has_more).toBe(true);
  });
});
