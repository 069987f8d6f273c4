/** The store contract for personal access tokens, bots and custom slash commands, on SQLite and PostgreSQL (see harness.ts). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AccessToken, Command } from '../../../src/domain/entities.js';
import { UniqueViolation } from '../../../src/store/errors.js';
import { STORES } from '../../helpers/app.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: tokens, bots, commands (%s)', (kind) => {
  const { store, user, world } = contract(kind);

  async function token(userId: string, at: number): Promise<AccessToken> {
    const t: AccessToken = { id: randomUUID(), user_id: userId, token_hash: randomUUID().replace(/-/g, ''), description: `t${at}`, created_by: userId, created_at: at, last_used_at: null };
    await store.sessions.create({ id: t.id, user_id: userId, kind: 'token', created_at: at, expires_at: 253_402_300_799_000, revoked_at: null, user_agent: '', ip: '' });
    await store.accessTokens.create(t);
    return t;
  }

  it('tokens: by hash and id, live lists newest first, last use only moves forward, revoked ones leave the lists', async () => {
    const u = await user();
    const a = await token(u.id, 1000);
    const b = await token(u.id, 2000);
    expect(await store.accessTokens.getByHash(a.token_hash)).toEqual(a);
    expect(await store.accessTokens.get(b.id)).toEqual(b);
    expect(await store.accessTokens.getByHash('nope')).toBeUndefined();
    expect((await store.accessTokens.listLiveForUser(u.id)).map((t) => t.id)).toEqual([b.id, a.id]);
    await store.accessTokens.touch(a.id, 5000);
    await store.accessTokens.touch(a.id, 4000);
    expect((await store.accessTokens.get(a.id))!.last_used_at).toBe(5000);
    await store.sessions.revoke(a.id, 6000);
    expect((await store.accessTokens.listLiveForUser(u.id)).map((t) => t.id)).toEqual([b.id]);
    expect((await store.accessTokens.listLive(0, 1000)).map((t) => t.id)).toContain(b.id);
    // Tokens' sessions are not sign-in sessions.
    expect((await store.sessions.listActiveForUser(u.id, 0)).map((s) => s.id)).toEqual([]);
    const revoked = await store.accessTokens.revokeAll(7000);
    expect(revoked).toContainEqual({ id: b.id, user_id: u.id });
    expect(revoked.map((r) => r.id)).not.toContain(a.id);
    expect(await store.accessTokens.listLive(0, 1000)).toEqual([]);
  });

  it('bots: created with an owner, listed per owner by username, description changed', async () => {
    const owner = await user();
    const botUser = await user({ is_bot: 1, password_hash: null });
    await store.bots.create({ user_id: botUser.id, owner_id: owner.id, description: 'd', created_at: 1, updated_at: 1 });
    expect(await store.bots.get(botUser.id)).toEqual({ user_id: botUser.id, owner_id: owner.id, description: 'd', created_at: 1, updated_at: 1 });
    expect(await store.bots.get(owner.id)).toBeUndefined();
    const mine = await store.bots.list(owner.id, 0, 10);
    expect(mine.map((r) => r.user.id)).toEqual([botUser.id]);
    expect(mine[0]!.user.is_bot).toBe(1);
    expect((await store.bots.list(undefined, 0, 1000)).map((r) => r.user.id)).toContain(botUser.id);
    await store.bots.setDescription(botUser.id, 'new', 5);
    expect(await store.bots.get(botUser.id)).toMatchObject({ description: 'new', updated_at: 5 });
  });

  it('commands: a trigger is unique among a team\'s live commands; update, list by trigger, delete frees it', async () => {
    const { users, team } = await world(1);
    const cmd = (trigger: string): Command => ({
      id: randomUUID(), team_id: team.id, creator_id: users[0]!.id, trigger_word: trigger, url: 'https://example.com/x', method: 'POST', token_sealed: 'sealed', auto_complete: 1,
      auto_complete_hint: '[env]', auto_complete_desc: 'Deploy', display_name: '', description: '', created_at: 1, updated_at: 1, deleted_at: null,
    });
    const deploy = cmd('deploy');
    await store.commands.create(deploy);
    await store.commands.create(cmd('build'));
    await expect(store.commands.create(cmd('deploy'))).rejects.toBeInstanceOf(UniqueViolation);
    expect(await store.commands.get(deploy.id)).toEqual(deploy);
    expect(await store.commands.getByTrigger(team.id, 'deploy')).toEqual(deploy);
    expect((await store.commands.listForTeam(team.id)).map((c) => c.trigger_word)).toEqual(['build', 'deploy']);
    await expect(store.commands.update(deploy.id, { trigger_word: 'build' }, 2)).rejects.toBeInstanceOf(UniqueViolation);
    expect(await store.commands.update(deploy.id, { url: 'https://example.com/y', auto_complete: 0 }, 3)).toEqual({ ...deploy, url: 'https://example.com/y', auto_complete: 0, updated_at: 3 });
    expect(await store.commands.markDeleted(deploy.id, 4)).toBe(true);
    expect(await store.commands.markDeleted(deploy.id, 5)).toBe(false);
    expect(await store.commands.get(deploy.id)).toBeUndefined();
    expect(await store.commands.update(deploy.id, { url: 'https://example.com/z' }, 6)).toBeUndefined();
    await store.commands.create(cmd('deploy'));
  });
});
