/**
 * The scripted conversation survives a restart: everything a client saw before (teams,
 * channels, posts, threads, reactions, pins, read state, sessions) is the same after the
 * server stops and starts again on the same data, on both stores.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { STORES, startApp, strongSecret, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, directChannel, registerUser } from '../helpers/factories.js';
import { createTestDatabase } from '../helpers/services.js';

describe.each(STORES)('restart (%s)', (kind) => {
  const apps: TestApp[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    for (const a of apps) await a.close().catch(() => undefined);
    if (drop) await drop();
  });

  it('shows the same conversation after a restart on the same data', async () => {
    let databaseUrl: string | undefined;
    if (kind === 'postgres') ({ url: databaseUrl, drop } = await createTestDatabase());
    const env = { RUSTCHAT_JWT_SECRET: strongSecret(), RUSTCHAT_ENCRYPTION_KEY: strongSecret() };
    const first = await startApp(kind, { env, ...(databaseUrl ? { databaseUrl } : {}) });
    apps.push(first);
    const { api } = first;
    const alice = await registerUser(api, 'alice');
    const bob = await registerUser(api, 'bob');
    const team = await createTeam(api, alice);
    await addTeamMember(api, alice, team.id, bob);
    const pub = await createChannel(api, alice, team.id);
    const priv = await createChannel(api, alice, team.id, 'private');
    await addChannelMember(api, alice, pub.id, bob);
    const root = await createPost(api, alice, pub.id, `hello @${bob.username}`);
    await createPost(api, bob, pub.id, 'hi', { root_post_id: root.id });
    await api.post(`/api/v1/posts/${root.id}/reactions`, { emoji_name: 'wave' }, bob.token);
    await api.post(`/api/v1/posts/${root.id}/pin`, undefined, bob.token);
    await createPost(api, alice, pub.id, `ping @${bob.username}`);
    await createPost(api, alice, priv.id, 'private note');
    const dm = await directChannel(api, alice, bob);
    await createPost(api, alice, dm.id, 'psst');

    const snapshot = async (t: TestApp) => ({
      teams: (await t.api.get('/api/v1/teams', bob.token)).body,
      channels: (await t.api.get(`/api/v1/teams/${team.id}/channels`, bob.token)).body,
      history: (await t.api.get(`/api/v1/channels/${pub.id}/posts`, bob.token)).body,
      thread: (await t.api.get(`/api/v1/posts/${root.id}/thread`, alice.token)).body,
      pinned: (await t.api.get(`/api/v1/channels/${pub.id}/pinned`, alice.token)).body,
      unread: (await t.api.get('/api/v1/unreads/overview', bob.token)).body,
      privateForBob: (await t.api.get(`/api/v1/channels/${priv.id}`, bob.token)).status,
      dmAgain: (await t.api.post('/api/v1/channels', { channel_type: 'direct', target_user_id: alice.id }, bob.token)).body.id,
      me: (await t.api.get('/api/v1/auth/me', alice.token)).body,
    });
    const before = await snapshot(first);
    expect(before.unread).toMatchObject({ total_unread: 2, total_mentions: 2 });
    expect(before.privateForBob).toBe(404);
    await first.app.close();

    const second = await startApp(kind, { env, dataDir: first.dataDir, ...(databaseUrl ? { databaseUrl } : {}) });
    apps.push(second);
    const after = await snapshot(second);
    expect(after).toEqual(before);
    expect(after.dmAgain).toBe(dm.id);
    // And the conversation goes on, with seq still increasing.
    const more = await createPost(second.api, bob, pub.id, 'still here');
    expect(more.seq).toBeGreaterThan(Math.max(...before.history.messages.map((p: any) => p.seq)));
  });
});
