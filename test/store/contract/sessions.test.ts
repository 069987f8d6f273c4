/** The store contract for sessions, on SQLite and PostgreSQL (see harness.ts). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/store.js';
import { STORES } from '../../helpers/app.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: sessions (%s)', (kind) => {
  const { store, user, world } = contract(kind);

  const session = (userId: string, overrides: Partial<Parameters<Store['sessions']['create']>[0]> = {}) => ({
    id: randomUUID(), user_id: userId, kind: 'password' as const, created_at: 1_000, expires_at: 10_000, revoked_at: null, user_agent: 'ua', ip: '127.0.0.1', ...overrides,
  });

  it('stores a session and reads it back with its user', async () => {
    const a = await user();
    const s = session(a.id);
    await store.sessions.create(s);
    const found = await store.sessions.getWithUser(s.id);
    expect(found?.session).toEqual(s);
    expect(found?.user).toEqual(await store.users.get(a.id));
    expect(await store.sessions.getWithUser(randomUUID())).toBeUndefined();
  });

  it('reads a session with its user and the user\'s access row for a channel in one call, as getWithUser and getAccess would', async () => {
    const w = await world(2);
    const [member, outsider] = w.users;
    const other = await user();
    const sessions = [member!, outsider!, other].map((u) => session(u.id));
    for (const s of sessions) await store.sessions.create(s);
    // outsider leaves the channel but stays in the team; other was never in either.
    await store.channels.removeMember(w.channel.id, outsider!.id);
    for (const s of sessions) {
      const both = await store.sessions.getWithUserAndChannel(s.id, w.channel.id);
      expect(both?.found).toEqual(await store.sessions.getWithUser(s.id));
      expect(both?.channel).toEqual(await store.channels.getAccess(w.channel.id, s.user_id));
    }
    expect((await store.sessions.getWithUserAndChannel(sessions[0]!.id, w.channel.id))?.channel?.member?.user_id).toBe(member!.id);
    expect((await store.sessions.getWithUserAndChannel(sessions[1]!.id, w.channel.id))?.channel).toMatchObject({ member: undefined, teamMember: { user_id: outsider!.id } });
    // No such channel: the session all the same, no row; no such session: nothing.
    const missing = await store.sessions.getWithUserAndChannel(sessions[0]!.id, randomUUID());
    expect(missing).toEqual({ found: await store.sessions.getWithUser(sessions[0]!.id), channel: undefined });
    expect(await store.sessions.getWithUserAndChannel(randomUUID(), w.channel.id)).toBeUndefined();
  });

  it('revokes once', async () => {
    const a = await user();
    const s = session(a.id);
    await store.sessions.create(s);
    expect(await store.sessions.revoke(s.id, 5_000)).toBe(true);
    expect(await store.sessions.revoke(s.id, 6_000)).toBe(false);
    expect(await store.sessions.revoke(randomUUID(), 6_000)).toBe(false);
    expect((await store.sessions.getWithUser(s.id))?.session.revoked_at).toBe(5_000);
  });

  it('revokes every live session of one user except one, and lists the live ones', async () => {
    const a = await user();
    const b = await user();
    const keep = session(a.id, { created_at: 3 });
    const kill1 = session(a.id, { created_at: 2 });
    const kill2 = session(a.id, { created_at: 1 });
    const expired = session(a.id, { expires_at: 500 });
    const other = session(b.id);
    for (const s of [keep, kill1, kill2, expired, other]) await store.sessions.create(s);
    expect((await store.sessions.listActiveForUser(a.id, 1_000)).map((s) => s.id)).toEqual([keep.id, kill1.id, kill2.id]);
    expect((await store.sessions.revokeAllForUser(a.id, 1_000, keep.id)).sort()).toEqual([kill1.id, kill2.id].sort());
    expect((await store.sessions.listActiveForUser(a.id, 1_000)).map((s) => s.id)).toEqual([keep.id]);
    expect(await store.sessions.revokeAllForUser(a.id, 1_000)).toEqual([keep.id]);
    expect(await store.sessions.revokeAllForUser(a.id, 1_000)).toEqual([]);
    expect((await store.sessions.getWithUser(other.id))?.session.revoked_at).toBeNull();
  });
});
