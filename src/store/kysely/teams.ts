/** TeamStore over Kysely: teams and team memberships. */
import { sql } from 'kysely';
import type { Team, TeamMember, TeamRole } from '../../domain/entities.js';
import { unique } from '../errors.js';
import type { Dialect } from '../migrations.js';
import type { TeamStore, TeamWithMembership } from '../teams.js';
import { byDisplayName, bytewise, num, type Db } from './shared.js';

export class Teams implements TeamStore {
  constructor(private readonly db: Db, private readonly dialect: Dialect) {}
  async create(team: Team): Promise<void> {
    await unique(this.db.insertInto('teams').values({ ...team }).execute());
  }
  get(id: string): Promise<Team | undefined> {
    return this.db.selectFrom('teams').selectAll().where('id', '=', id).executeTakeFirst();
  }
  async getWithMember(id: string, userId: string): Promise<TeamWithMembership | undefined> {
    const row = await this.db
      .selectFrom('teams as t')
      .leftJoin('team_members as m', (j) => j.onRef('m.team_id', '=', 't.id').on('m.user_id', '=', userId))
      .selectAll('t')
      .select(['m.role as m_role', 'm.created_at as m_created_at'])
      .where('t.id', '=', id)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const { m_role, m_created_at, ...team } = row;
    return { team, member: m_role === null ? undefined : { team_id: id, user_id: userId, role: m_role, created_at: m_created_at ?? 0 } };
  }
  async update(id: string, patch: Partial<Pick<Team, 'display_name' | 'description' | 'type' | 'archived_at'>>, now: number): Promise<Team | undefined> {
    await this.db.updateTable('teams').set({ ...patch, updated_at: now }).where('id', '=', id).execute();
    return this.get(id);
  }
  async listForUser(userId: string, includeArchived: boolean): Promise<Team[]> {
    let q = this.db.selectFrom('teams as t').innerJoin('team_members as m', 'm.team_id', 't.id').selectAll('t').where('m.user_id', '=', userId);
    if (!includeArchived) q = q.where('t.archived_at', 'is', null);
    return byDisplayName(await q.execute());
  }
  async listJoinable(userId: string): Promise<Team[]> {
    const rows = await this.db
      .selectFrom('teams as t')
      .selectAll('t')
      .where('t.type', '=', 'open')
      .where('t.archived_at', 'is', null)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('team_members as m').select('m.user_id').whereRef('m.team_id', '=', 't.id').where('m.user_id', '=', userId))))
      .execute();
    return byDisplayName(rows);
  }
  listAll(offset: number, limit: number): Promise<Team[]> {
    return this.db.selectFrom('teams').selectAll().orderBy(bytewise(this.dialect, 'name')).offset(offset).limit(limit).execute();
  }
  async addMember(member: TeamMember): Promise<boolean> {
    const r = await this.db.insertInto('team_members').values({ ...member }).onConflict((oc) => oc.columns(['team_id', 'user_id']).doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  async removeMember(teamId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  getMember(teamId: string, userId: string): Promise<TeamMember | undefined> {
    return this.db.selectFrom('team_members').selectAll().where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  }
  listMembers(teamId: string, offset: number, limit: number): Promise<TeamMember[]> {
    return this.db.selectFrom('team_members').selectAll().where('team_id', '=', teamId).orderBy('created_at').orderBy('user_id').offset(offset).limit(limit).execute();
  }
  async setMemberRole(teamId: string, userId: string, role: TeamRole): Promise<boolean> {
    const r = await this.db.updateTable('team_members').set({ role }).where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async memberCounts(teamId: string): Promise<{ members: number; admins: number }> {
    if (this.dialect === 'postgres' && this.db.isTransaction) await sql`SELECT id FROM teams WHERE id = ${teamId} FOR UPDATE`.execute(this.db);
    // A deactivated admin cannot manage anything, so only active ones count as admins.
    const { rows } = await sql<{ members: number | string; admins: number | string }>`
      SELECT COUNT(*) AS members, COUNT(*) FILTER (WHERE tm.role = 'team_admin' AND u.deactivated_at IS NULL) AS admins
      FROM team_members tm JOIN users u ON u.id = tm.user_id WHERE tm.team_id = ${teamId}`.execute(this.db);
    return { members: num(rows[0]!.members), admins: num(rows[0]!.admins) };
  }
  async teamIdsForUser(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('team_members').select('team_id').where('user_id', '=', userId).execute();
    return rows.map((r) => r.team_id);
  }
}
