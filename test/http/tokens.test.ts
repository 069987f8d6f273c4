/**
 * Personal access tokens and bots (issue #16) on both stores: shown once, stored hashed,
 * listed with last use, revoked at once (REST 401 and the open WebSocket closed), the owner's
 * current permissions (deactivation stops every token, removal from a channel stops posting
 * there), admin list and revoke-all, the server-wide switch, and bots that cannot sign in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { STORES } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createTeam, makeSystemAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws-client.js';
import { listening, type Live } from '../realtime/helpers.js';

const ENV = { RUSTCHAT_PERSONAL_ACCESS_TOKENS: 'true', RUSTCHAT_BOT_CREATORS: 'users' };

describe.each(STORES)('personal access tokens and bots (%s)', (kind) => {
  let live: Live;
  let root: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let team: { id: string };
  let channel: { id: string };
  beforeAll(async () => {
    live = await listening(kind, { env: ENV });
    root = await makeSystemAdmin(live.t.app, await registerUser(live.t.api, 'root'));
    alice = await registerUser(live.t.api, 'alice');
    bob = await registerUser(live.t.api, 'bob');
    team = await createTeam(live.t.api, alice, 'invite');
    await addTeamMember(live.t.api, alice, team.id, bob);
    channel = await createChannel(live.t.api, alice, team.id, 'public');
    await addChannelMember(live.t.api, alice, channel.id, bob);
  });
  afterAll(async () => live?.t.close());
  const api = () => live.t.api;
  const newToken = async (by: TestUser, userId: string, description = 'ci'): Promise<{ id: string; token: string }> => {
    const res = await api().post(`/api/v1/users/${userId}/tokens`, { description }, by.token);
    expect(res.status, res.text).toBe(201);
    return res.body;
  };

  it('shows the secret once, stores only its hash, lists with last use and works on REST', async () => {
    const created = await newToken(bob, bob.id, 'deploy script');
    expect(created.token).toMatch(/^rcpat_[A-Za-z0-9_-]{43}$/);
    const row = await live.t.app.store.accessTokens.get(created.id);
    expect(row!.token_hash).toBe(createHash('sha256').update(created.token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.token);
    const before = await api().get(`/api/v1/users/${bob.id}/tokens`, bob.token);
    expect(before.body).toEqual([expect.objectContaining({ id: created.id, description: 'deploy script', last_used_at: null })]);
    expect(before.text).not.toContain(created.token);
    const me = await api().get('/api/v1/users/me', created.token);
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(bob.id);
    const posted = await api().post(`/api/v1/channels/${channel.id}/posts`, { message: 'from a script' }, created.token);
    expect(posted.status).toBe(201);
    expect(posted.body.user_id).toBe(bob.id);
    const after = await api().get(`/api/v1/users/${bob.id}/tokens`, bob.token);
    expect(after.body[0].last_used_at).toEqual(expect.any(Number));
    // Tokens are not sign-in sessions: the sessions list does not show them.
    const sessions = await api().get('/api/v1/users/me/sessions', bob.token);
    expect(sessions.body.map((s: { id: string }) => s.id)).not.toContain(created.id);
    // The admin list has it; nobody else's list does.
    expect((await api().get('/api/v1/users/tokens', root.token)).body.map((t: { id: string }) => t.id)).toContain(created.id);
    expect((await api().get('/api/v1/users/tokens', bob.token)).status).toBe(403);
    expect((await api().get(`/api/v1/users/${bob.id}/tokens`, alice.token)).status).toBe(404);
    expect((await api().post(`/api/v1/users/${bob.id}/tokens`, { description: 'mine now' }, alice.token)).status).toBe(404);
    // Creation, like every integration change, is audited.
    const audit = await api().get('/api/v1/admin/audit', root.token);
    expect(audit.body.some((e: { action: string; target_id: string }) => e.action === 'token.create' && e.target_id === created.id)).toBe(true);
  });

  it('revoked: 401 at once on REST and its WebSocket closes', async () => {
    const created = await newToken(bob, bob.id);
    const ws = await WsClient.connect(live.url, { token: created.token });
    const other = await WsClient.connect(live.url, { token: bob.token });
    expect((await api().delete(`/api/v1/users/tokens/${created.id}`, alice.token)).status).toBe(404);
    expect((await api().delete(`/api/v1/users/tokens/${created.id}`, bob.token)).status).toBe(200);
    expect((await api().get('/api/v1/users/me', created.token)).status).toBe(401);
    expect((await ws.waitClose(5000)).code).toBe(1008);
    // Bob's sign-in session is untouched.
    expect(other.closeInfo).toBeUndefined();
    expect((await api().get('/api/v1/users/me', bob.token)).status).toBe(200);
    other.close();
    expect((await api().get(`/api/v1/users/${bob.id}/tokens`, bob.token)).body.map((t: { id: string }) => t.id)).not.toContain(created.id);
  });

  it('carries the owner\'s current permissions: removed from the channel, the token cannot post there', async () => {
    const carol = await registerUser(api(), 'carol');
    await addTeamMember(api(), alice, team.id, carol);
    const priv = await createChannel(api(), alice, team.id, 'private');
    await addChannelMember(api(), alice, priv.id, carol);
    const { token } = await newToken(carol, carol.id);
    expect((await api().post(`/api/v1/channels/${priv.id}/posts`, { message: 'in' }, token)).status).toBe(201);
    expect((await api().delete(`/api/v1/channels/${priv.id}/members/${carol.id}`, alice.token)).status).toBe(200);
    const refused = await api().post(`/api/v1/channels/${priv.id}/posts`, { message: 'still in?' }, token);
    expect(refused.status).toBe(404);
    expect((await api().get(`/api/v1/channels/${priv.id}/posts`, token)).status).toBe(404);
  });

  it('deactivating the owner stops the token at once (REST and the open WebSocket)', async () => {
    const dave = await registerUser(api(), 'dave');
    const { token } = await newToken(dave, dave.id);
    const ws = await WsClient.connect(live.url, { token });
    expect((await api().post(`/api/v1/admin/users/${dave.id}/deactivate`, undefined, root.token)).status).toBe(200);
    expect((await api().get('/api/v1/users/me', token)).status).toBe(401);
    expect((await ws.waitClose(5000)).code).toBe(1008);
  });

  it('bots: created by a user who owns them, no password sign-in, tokens by the owner or an admin, REST and WebSocket', async () => {
    const res = await api().post('/api/v1/bots', { username: `deploybot${kind}`, display_name: 'Deploy Bot', description: 'ships things' }, alice.token);
    expect(res.status, res.text).toBe(201);
    const bot = res.body;
    expect(bot).toMatchObject({ owner_id: alice.id, display_name: 'Deploy Bot', description: 'ships things', deactivated_at: null });
    // Flagged in the directory.
    expect((await api().get(`/api/v1/users/${bot.user_id}`, bob.token)).body.is_bot).toBe(true);
    // Owner sees, others get the 404 of a missing bot; lists are per owner.
    expect((await api().get(`/api/v1/bots/${bot.user_id}`, bob.token)).status).toBe(404);
    expect((await api().get('/api/v1/bots', alice.token)).body.map((b: { user_id: string }) => b.user_id)).toEqual([bot.user_id]);
    expect((await api().get('/api/v1/bots', bob.token)).body).toEqual([]);
    expect((await api().get('/api/v1/bots?all=true', bob.token)).status).toBe(403);
    expect((await api().patch(`/api/v1/bots/${bot.user_id}`, { description: 'ships more' }, alice.token)).body.description).toBe('ships more');
    // Tokens: not by a stranger, yes by the owner and by an admin.
    expect((await api().post(`/api/v1/users/${bot.user_id}/tokens`, { description: 'x' }, bob.token)).status).toBe(404);
    const { token } = await newToken(alice, bot.user_id, 'bot token');
    await newToken(root, bot.user_id, 'admin-made');
    // No password sign-in, whatever is tried.
    expect((await api().post('/api/v1/auth/login', { email: `deploybot${kind}`, password: 'anything-at-all-1' })).status).toBe(401);
    // Reads and posts where its owner added it.
    await addTeamMember(api(), alice, team.id, { id: bot.user_id } as TestUser);
    await addChannelMember(api(), alice, channel.id, { id: bot.user_id } as TestUser);
    const ws = await WsClient.connect(live.url, { token });
    const posted = await api().post(`/api/v1/channels/${channel.id}/posts`, { message: 'deployed v1' }, token);
    expect(posted.status).toBe(201);
    expect((await api().get(`/api/v1/channels/${channel.id}/posts`, token)).status).toBe(200);
    await ws.waitFor((e) => e.event === 'posted' && (e.data as { post: { id: string } }).post.id === posted.body.id);
    // A bot creates no bots (its owner's deactivation must reach every token), and no token mints tokens.
    expect((await api().post('/api/v1/bots', { username: `childbot${kind}` }, token)).status).toBe(403);
    expect((await api().post(`/api/v1/users/${bot.user_id}/tokens`, { description: 'self-made' }, token)).status).toBe(404);
    const alicesToken = (await newToken(alice, alice.id, 'scripts')).token;
    expect((await api().post(`/api/v1/users/${alice.id}/tokens`, { description: 'more' }, alicesToken)).status).toBe(403);
    // Disabling the bot stops its tokens at once.
    expect((await api().post(`/api/v1/bots/${bot.user_id}/disable`, undefined, alice.token)).body.deactivated_at).toEqual(expect.any(Number));
    expect((await ws.waitClose(5000)).code).toBe(1008);
    expect((await api().get('/api/v1/users/me', token)).status).toBe(401);
  });

  it('deactivating a bot\'s owner disables the bot: its token stops at once', async () => {
    const gina = await registerUser(api(), 'gina');
    const bot = (await api().post('/api/v1/bots', { username: `ginabot${kind}` }, gina.token)).body;
    const { token } = await newToken(gina, bot.user_id);
    const ws = await WsClient.connect(live.url, { token });
    expect((await api().get('/api/v1/users/me', token)).status).toBe(200);
    expect((await api().post(`/api/v1/admin/users/${gina.id}/deactivate`, undefined, root.token)).status).toBe(200);
    expect((await api().get('/api/v1/users/me', token)).status).toBe(401);
    expect((await ws.waitClose(5000)).code).toBe(1008);
    expect((await api().get(`/api/v1/bots/${bot.user_id}`, root.token)).body.deactivated_at).toEqual(expect.any(Number));
    // No secret ever reaches the logs.
    expect(live.t.logs.text()).not.toContain(token);
  });

  it('admin revoke-all stops every token; ordinary users may not', async () => {
    const erin = await registerUser(api(), 'erin');
    const { token } = await newToken(erin, erin.id);
    expect((await api().post('/api/v1/users/tokens/revoke_all', undefined, erin.token)).status).toBe(403);
    const res = await api().post('/api/v1/users/tokens/revoke_all', undefined, root.token);
    expect(res.status).toBe(200);
    expect(res.body.revoked).toBeGreaterThan(0);
    expect((await api().get('/api/v1/users/me', token)).status).toBe(401);
    expect((await api().get('/api/v1/users/tokens', root.token)).body).toEqual([]);
    // Sign-in sessions survive.
    expect((await api().get('/api/v1/users/me', erin.token)).status).toBe(200);
  });

  it('bad input: no description, unknown ids, a forged token', async () => {
    expect((await api().post(`/api/v1/users/${bob.id}/tokens`, { description: '   ' }, bob.token)).status).toBe(400);
    expect((await api().post(`/api/v1/users/${bob.id}/tokens`, {}, bob.token)).status).toBe(400);
    expect((await api().post(`/api/v1/users/${bob.id}/tokens`, { description: 'a\u0000b' }, bob.token)).status).toBe(400);
    expect((await api().delete('/api/v1/users/tokens/00000000-0000-4000-8000-000000000000', bob.token)).status).toBe(404);
    expect((await api().get('/api/v1/users/me', `rcpat_${'A'.repeat(43)}`)).status).toBe(401);
    expect((await api().get('/api/v1/users/me', 'rcpat_short')).status).toBe(401);
  });
});

describe('personal access tokens turned off (the default)', () => {
  it('refuses creation and stops existing tokens', async () => {
    const on = await listening('sqlite', { env: ENV });
    const user = await registerUser(on.t.api, 'frank');
    const created = await on.t.api.post(`/api/v1/users/${user.id}/tokens`, { description: 'x' }, user.token);
    expect(created.status).toBe(201);
    const dataDir = on.t.dataDir;
    await on.t.app.close();
    const off = await listening('sqlite', { dataDir, env: { RUSTCHAT_JWT_SECRET: on.t.config.jwt.secret, RUSTCHAT_ENCRYPTION_KEY: on.t.config.encryption.key } });
    try {
      expect(off.t.config.integrations.personalAccessTokens).toBe(false);
      expect((await off.t.api.get('/api/v1/users/me', created.body.token)).status).toBe(401);
      const refused = await off.t.api.post(`/api/v1/users/${user.id}/tokens`, { description: 'x' }, user.token);
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain('RUSTCHAT_PERSONAL_ACCESS_TOKENS');
      // Bots: system admins only by default.
      expect((await off.t.api.post('/api/v1/bots', { username: 'nobot' }, user.token)).status).toBe(403);
    } finally {
      await off.t.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
