/** The store contract for teams and team members, on SQLite and PostgreSQL (see harness.ts). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UniqueViolation } from '../../../src/store/errors.js';
import { STORES } from '../../helpers/app.js';
import { newTeam } from '../../helpers/store.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: teams and team members (%s)', (kind) => {
  const { store, user, world } = contract(kind);

  it('creates, reads and updates a team; names are unique', async () => {
    const a = await user();
    const team = newTeam(a.id, { description: 'd' });
    await store.teams.create(team);
    expect(await store.teams.get(team.id)).toEqual(team);
    await expect(store.teams.create(newTeam(a.id, { name: team.name }))).rejects.toBeInstanceOf(UniqueViolation);
    expect(await store.teams.update(team.id, { display_name: 'Renamed', type: 'open' }, 7_777)).toEqual({ ...team, display_name: 'Renamed', type: 'open', updated_at: 7_777 });
    expect(await store.teams.update(randomUUID(), { display_name: 'x' }, 1)).toBeUndefined();
    expect(await store.teams.get(randomUUID())).toBeUndefined();
  });

  it('reads a team with the membership of a given user', async () => {
    const { users: [admin, member], team } = await world(2);
    const stranger = await user();
    expect(await store.teams.getWithMember(team.id, admin!.id)).toEqual({ team, member: { team_id: team.id, user_id: admin!.id, role: 'team_admin', created_at: 10 } });
    expect((await store.teams.getWithMember(team.id, member!.id))?.member?.role).toBe('member');
    expect(await store.teams.getWithMember(team.id, stranger.id)).toEqual({ team, member: undefined });
    expect(await store.teams.getWithMember(randomUUID(), admin!.id)).toBeUndefined();
  });

  it('adds members idempotently, changes roles, removes them', async () => {
    const { team } = await world(1);
    const b = await user();
    const m = { team_id: team.id, user_id: b.id, role: 'member' as const, created_at: 50 };
    expect(await store.teams.addMember(m)).toBe(true);
    expect(await store.teams.addMember({ ...m, role: 'team_admin' })).toBe(false);
    expect(await store.teams.getMember(team.id, b.id)).toEqual(m);
    expect(await store.teams.setMemberRole(team.id, b.id, 'team_admin')).toBe(true);
    expect((await store.teams.getMember(team.id, b.id))?.role).toBe('team_admin');
    expect(await store.teams.setMemberRole(team.id, randomUUID(), 'member')).toBe(false);
    expect(await store.teams.teamIdsForUser(b.id)).toEqual([team.id]);
    expect(await store.teams.removeMember(team.id, b.id)).toBe(true);
    expect(await store.teams.removeMember(team.id, b.id)).toBe(false);
    expect(await store.teams.getMember(team.id, b.id)).toBeUndefined();
    expect(await store.teams.teamIdsForUser(b.id)).toEqual([]);
  });

  it('lists members in joining order, paged', async () => {
    const { users, team } = await world(4);
    const all = await store.teams.listMembers(team.id, 0, 10);
    expect(all.map((m) => m.user_id)).toEqual(users.map((u) => u.id));
    expect((await store.teams.listMembers(team.id, 1, 2)).map((m) => m.user_id)).toEqual([users[1]!.id, users[2]!.id]);
  });

  it('lists my teams by display name, case-insensitively, archived ones only on request', async () => {
    const a = await user();
    const mk = async (display_name: string, archived = false) => {
      const team = newTeam(a.id, { display_name, archived_at: archived ? 1 : null });
      await store.teams.create(team);
      await store.teams.addMember({ team_id: team.id, user_id: a.id, role: 'member', created_at: 1 });
      return team;
    };
    const charlie = await mk('charlie');
    const bravo = await mk('Bravo');
    const alpha = await mk('alpha');
    const old = await mk('Archived', true);
    expect((await store.teams.listForUser(a.id, false)).map((x) => x.id)).toEqual([alpha.id, bravo.id, charlie.id]);
    expect((await store.teams.listForUser(a.id, true)).map((x) => x.id)).toEqual([alpha.id, old.id, bravo.id, charlie.id]);
  });

  it('lists open, live teams I am not in as joinable', async () => {
    const a = await user();
    const b = await user();
    const open = newTeam(a.id, { type: 'open', display_name: `Joinable ${randomUUID()}` });
    const invite = newTeam(a.id, { type: 'invite' });
    const archived = newTeam(a.id, { type: 'open', archived_at: 5 });
    const mine = newTeam(a.id, { type: 'open' });
    for (const x of [open, invite, archived, mine]) await store.teams.create(x);
    await store.teams.addMember({ team_id: mine.id, user_id: b.id, role: 'member', created_at: 1 });
    const ids = (await store.teams.listJoinable(b.id)).map((x) => x.id);
    expect(ids).toContain(open.id);
    expect(ids).not.toContain(invite.id);
    expect(ids).not.toContain(archived.id);
    expect(ids).not.toContain(mine.id);
  });

  it('lists all teams by name, paged', async () => {
    const all = await store.teams.listAll(0, 1000);
    expect(all.map((x) => x.name)).toEqual(all.map((x) => x.name).sort());
    expect(await store.teams.listAll(1, 2)).toEqual(all.slice(1, 3));
  });
});
