/**
 * The Store over Kysely: one implementation for both dialects. Dialect-specific setup
 * (opening, pragmas, pools) lives in store/sqlite and store/postgres; the only dialect
 * branches here are the few SQL spellings that differ.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Channel, ChannelMember, ChannelRole, Post, Reaction, Session, SystemRole, Team, TeamMember, TeamRole, User } from '../../domain/entities.js';
import type { Dialect } from '../migrations.js';
import type { Database } from '../schema.js';
import { notFound } from '../../domain/errors.js';
import { unique } from '../errors.js';
import { GroupCommit } from '../group-commit.js';
import type { SealedValueStore } from '../sealed.js';
import type { SsoStore } from '../sso.js';
import { KyselySealedValueStore, KyselySsoStore } from './sso.js';
import type {
  AuditEntry,
  AuditStore,
  ChannelAccessRow,
  ChannelStats,
  ChannelStore,
  NewPost,
  NewUser,
  PostPage,
  PostStore,
  SessionStore,
  SessionWithUser,
  Store,
  TeamStore,
  TeamWithMembership,
  UnreadRow,
  UserPatch,
  UserStore,
  PasswordResetStore,
  PasswordResetToken,
} from '../store.js';

type Db = Kysely<Database> | Transaction<Database>;

function likePattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/**
 * Order of names shown to people (team and channel display names): case-insensitive and
 * numeric-aware, the same on both databases. Sorting these short, unpaged lists here rather
 * than in SQL keeps the result independent of the PostgreSQL collation a deployment uses
 * (SQLite compares bytes, `en_US.UTF-8` ignores case and punctuation).
 */
const nameCollator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
function byDisplayName<T extends { display_name: string; id: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => nameCollator.compare(a.display_name, b.display_name) || (a.display_name < b.display_name ? -1 : a.display_name > b.display_name ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** ORDER BY a column in byte order on both databases (PostgreSQL would otherwise use the database collation). */
function bytewise(dialect: Dialect, column: string) {
  return dialect === 'postgres' ? sql`${sql.ref(column)} COLLATE "C"` : sql`${sql.ref(column)}`;
}

class Users implements UserStore {
  constructor(private readonly db: Db, private readonly dialect: Dialect) {}
  async create(user: NewUser): Promise<User> {
    const row = { ...user, deactivated_at: null };
    await unique(this.db.insertInto('users').values(row).execute());
    return row;
  }
  get(id: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }
  async getMany(ids: readonly string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('users').selectAll().where('id', 'in', [...new Set(ids)]).execute();
  }
  getByLogin(login: string): Promise<User | undefined> {
    const l = login.trim().toLowerCase();
    return this.db.selectFrom('users').selectAll().where((eb) => eb.or([eb('email', '=', l), eb('username', '=', l)])).executeTakeFirst();
  }
  async getByUsernames(usernames: readonly string[]): Promise<User[]> {
    if (usernames.length === 0) return [];
    return this.db.selectFrom('users').selectAll().where('username', 'in', [...new Set(usernames)]).execute();
  }
  async update(id: string, patch: UserPatch, now: number): Promise<User | undefined> {
    await unique(this.db.updateTable('users').set({ ...patch, updated_at: now }).where('id', '=', id).execute());
    return this.get(id);
  }
  async setPasswordHash(id: string, hash: string, now: number): Promise<void> {
    await this.db.updateTable('users').set({ password_hash: hash, updated_at: now }).where('id', '=', id).execute();
  }
  async setRole(id: string, role: SystemRole, now: number): Promise<void> {
    await this.db.updateTable('users').set({ role, updated_at: now }).where('id', '=', id).execute();
  }
  async setDeactivated(id: string, at: number | null, now: number): Promise<void> {
    await this.db.updateTable('users').set({ deactivated_at: at, updated_at: now }).where('id', '=', id).execute();
  }
  search(query: { q?: string | undefined; offset: number; limit: number; includeInactive?: boolean }): Promise<User[]> {
    let qb = this.db.selectFrom('users').selectAll();
    if (!query.includeInactive) qb = qb.where('deactivated_at', 'is', null);
    const q = query.q?.trim();
    if (q) {
      const p = likePattern(q);
      qb = qb.where((eb) =>
        eb.or([
          eb('username', 'like', sql<string>`${p} ESCAPE '\\'`),
          eb(eb.fn('lower', ['display_name']), 'like', sql<string>`${p} ESCAPE '\\'`),
          eb(eb.fn('lower', [sql`first_name || ' ' || last_name`]), 'like', sql<string>`${p} ESCAPE '\\'`),
          eb(eb.fn('lower', ['nickname']), 'like', sql<string>`${p} ESCAPE '\\'`),
        ]),
      );
    }
    return qb.orderBy(bytewise(this.dialect, 'username')).offset(query.offset).limit(query.limit).execute();
  }
  async count(): Promise<number> {
    const r = await this.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return num(r.n);
  }
}

class Sessions implements SessionStore {
  constructor(private readonly db: Db) {}
  async create(session: Session): Promise<void> {
    await this.db.insertInto('sessions').values({ ...session }).execute();
  }
  async getWithUser(id: string): Promise<SessionWithUser | undefined> {
    // Hot path (every authenticated request): plain SQL, cheaper to build than the query builder.
    const { rows } = await sql<User & { s_id: string; s_user_id: string; s_kind: Session['kind']; s_created_at: number; s_expires_at: number; s_revoked_at: number | null; s_user_agent: string; s_ip: string }>`
      SELECT s.id AS s_id, s.user_id AS s_user_id, s.kind AS s_kind, s.created_at AS s_created_at, s.expires_at AS s_expires_at,
             s.revoked_at AS s_revoked_at, s.user_agent AS s_user_agent, s.ip AS s_ip, u.*
      FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ${id}`.execute(this.db);
    const row = rows[0];
    if (row === undefined) return undefined;
    const { s_id, s_user_id, s_kind, s_created_at, s_expires_at, s_revoked_at, s_user_agent, s_ip, ...user } = row;
    return {
      session: { id: s_id, user_id: s_user_id, kind: s_kind, created_at: s_created_at, expires_at: s_expires_at, revoked_at: s_revoked_at, user_agent: s_user_agent, ip: s_ip },
      user,
    };
  }
  async revoke(id: string, at: number): Promise<boolean> {
    const r = await this.db.updateTable('sessions').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async revokeAllForUser(userId: string, at: number, exceptId?: string): Promise<string[]> {
    let q = this.db.updateTable('sessions').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', at);
    if (exceptId !== undefined) q = q.where('id', '<>', exceptId);
    const rows = await q.returning('id').execute();
    return rows.map((r) => r.id);
  }
  listActiveForUser(userId: string, now: number): Promise<Session[]> {
    return this.db.selectFrom('sessions').selectAll().where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', now).orderBy('created_at', 'desc').execute();
  }
}

class Teams implements TeamStore {
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

interface AccessSqlRow {
  c_id: string; c_team_id: string | null; c_type: Channel['type']; c_name: string; c_display_name: string; c_purpose: string; c_header: string;
  c_creator_id: string; c_created_at: number; c_updated_at: number; c_archived_at: number | null; c_last_post_at: number; c_last_post_seq: number; c_member_key: string | null;
  t_id: string | null; t_name: string | null; t_display_name: string | null; t_description: string | null; t_type: Team['type'] | null; t_creator_id: string | null;
  t_created_at: number | null; t_updated_at: number | null; t_archived_at: number | null;
  tm_role: TeamRole | null; tm_created_at: number | null;
  cm_role: ChannelRole | null; cm_last_viewed_seq: number | null; cm_last_viewed_at: number | null; cm_created_at: number | null;
}

class Channels implements ChannelStore {
  constructor(private readonly db: Db) {}
  async create(channel: Channel): Promise<void> {
    await unique(this.db.insertInto('channels').values({ ...channel }).execute());
  }
  get(id: string): Promise<Channel | undefined> {
    return this.db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
  }
  async getAccess(id: string, userId: string): Promise<ChannelAccessRow | undefined> {
    const { rows } = await sql<AccessSqlRow>`
      SELECT c.id AS c_id, c.team_id AS c_team_id, c.type AS c_type, c.name AS c_name, c.display_name AS c_display_name,
             c.purpose AS c_purpose, c.header AS c_header, c.creator_id AS c_creator_id, c.created_at AS c_created_at,
             c.updated_at AS c_updated_at, c.archived_at AS c_archived_at, c.last_post_at AS c_last_post_at,
             c.last_post_seq AS c_last_post_seq, c.member_key AS c_member_key,
             t.id AS t_id, t.name AS t_name, t.display_name AS t_display_name, t.description AS t_description, t.type AS t_type,
             t.creator_id AS t_creator_id, t.created_at AS t_created_at, t.updated_at AS t_updated_at, t.archived_at AS t_archived_at,
             tm.role AS tm_role, tm.created_at AS tm_created_at,
             cm.role AS cm_role, cm.last_viewed_seq AS cm_last_viewed_seq, cm.last_viewed_at AS cm_last_viewed_at, cm.created_at AS cm_created_at
      FROM channels c
      LEFT JOIN teams t ON t.id = c.team_id
      LEFT JOIN team_members tm ON tm.team_id = c.team_id AND tm.user_id = ${userId}
      LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = ${userId}
      WHERE c.id = ${id}`.execute(this.db);
    const r = rows[0];
    if (r === undefined) return undefined;
    const channel: Channel = {
      id: r.c_id, team_id: r.c_team_id, type: r.c_type, name: r.c_name, display_name: r.c_display_name, purpose: r.c_purpose, header: r.c_header,
      creator_id: r.c_creator_id, created_at: num(r.c_created_at), updated_at: num(r.c_updated_at), archived_at: r.c_archived_at === null ? null : num(r.c_archived_at),
      last_post_at: num(r.c_last_post_at), last_post_seq: num(r.c_last_post_seq), member_key: r.c_member_key,
    };
    const team: Team | undefined = r.t_id === null ? undefined : {
      id: r.t_id, name: r.t_name!, display_name: r.t_display_name!, description: r.t_description!, type: r.t_type!, creator_id: r.t_creator_id!,
      created_at: num(r.t_created_at), updated_at: num(r.t_updated_at), archived_at: r.t_archived_at === null ? null : num(r.t_archived_at),
    };
    return {
      channel,
      team,
      teamMember: r.tm_role === null || team === undefined ? undefined : { team_id: team.id, user_id: userId, role: r.tm_role, created_at: num(r.tm_created_at) },
      member: r.cm_role === null ? undefined : { channel_id: id, user_id: userId, role: r.cm_role, last_viewed_seq: num(r.cm_last_viewed_seq), last_viewed_at: num(r.cm_last_viewed_at), created_at: num(r.cm_created_at) },
    };
  }
  getByName(teamId: string, name: string): Promise<Channel | undefined> {
    return this.db.selectFrom('channels').selectAll().where('team_id', '=', teamId).where('name', '=', name).executeTakeFirst();
  }
  getByMemberKey(key: string): Promise<Channel | undefined> {
    return this.db.selectFrom('channels').selectAll().where('member_key', '=', key).executeTakeFirst();
  }
  async update(id: string, patch: Partial<Pick<Channel, 'name' | 'display_name' | 'purpose' | 'header' | 'archived_at'>>, now: number): Promise<Channel | undefined> {
    await unique(this.db.updateTable('channels').set({ ...patch, updated_at: now }).where('id', '=', id).execute());
    return this.get(id);
  }
  async listVisibleInTeam(teamId: string, userId: string, includeArchived: boolean): Promise<Channel[]> {
    let q = this.db
      .selectFrom('channels as c')
      .selectAll('c')
      .where('c.team_id', '=', teamId)
      .where((eb) =>
        eb.or([
          eb('c.type', '=', 'public'),
          eb.exists(eb.selectFrom('channel_members as m').select('m.user_id').whereRef('m.channel_id', '=', 'c.id').where('m.user_id', '=', userId)),
        ]),
      );
    if (!includeArchived) q = q.where('c.archived_at', 'is', null);
    return byDisplayName(await q.execute());
  }
  listForUser(userId: string): Promise<Channel[]> {
    return this.db.selectFrom('channels as c').innerJoin('channel_members as m', 'm.channel_id', 'c.id').selectAll('c').where('m.user_id', '=', userId).orderBy('c.last_post_at', 'desc').orderBy('c.id').execute();
  }
  async addMember(member: ChannelMember): Promise<boolean> {
    const r = await this.db.insertInto('channel_members').values({ ...member }).onConflict((oc) => oc.columns(['channel_id', 'user_id']).doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  async removeMember(channelId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('channel_members').where('channel_id', '=', channelId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  getMember(channelId: string, userId: string): Promise<ChannelMember | undefined> {
    return this.db.selectFrom('channel_members').selectAll().where('channel_id', '=', channelId).where('user_id', '=', userId).executeTakeFirst();
  }
  listMembers(channelId: string, offset: number, limit: number): Promise<ChannelMember[]> {
    return this.db.selectFrom('channel_members').selectAll().where('channel_id', '=', channelId).orderBy('created_at').orderBy('user_id').offset(offset).limit(limit).execute();
  }
  async memberIds(channelId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channelId).execute();
    return rows.map((r) => r.user_id);
  }
  async setMemberRole(channelId: string, userId: string, role: ChannelRole): Promise<boolean> {
    const r = await this.db.updateTable('channel_members').set({ role }).where('channel_id', '=', channelId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async removeUserFromTeamChannels(teamId: string, userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('channel_members as m')
      .innerJoin('channels as c', 'c.id', 'm.channel_id')
      .select('m.channel_id')
      .where('c.team_id', '=', teamId)
      .where('m.user_id', '=', userId)
      .execute();
    const ids = rows.map((r) => r.channel_id);
    if (ids.length > 0) await this.db.deleteFrom('channel_members').where('user_id', '=', userId).where('channel_id', 'in', ids).execute();
    return ids;
  }
  async setLastViewed(channelId: string, userId: string, seq: number, at: number, allowBackwards = false): Promise<void> {
    await sql`UPDATE channel_members SET last_viewed_seq = ${seq}, last_viewed_at = ${at}
              WHERE channel_id = ${channelId} AND user_id = ${userId} ${allowBackwards ? sql`` : sql`AND last_viewed_seq < ${seq}`}`.execute(this.db);
  }
  async stats(channelId: string): Promise<ChannelStats> {
    const { rows } = await sql<{ member_count: number; post_count: number; pinned_post_count: number }>`
      SELECT (SELECT COUNT(*) FROM channel_members WHERE channel_id = ${channelId}) AS member_count,
             (SELECT COUNT(*) FROM posts WHERE channel_id = ${channelId} AND deleted_at IS NULL) AS post_count,
             (SELECT COUNT(*) FROM posts WHERE channel_id = ${channelId} AND deleted_at IS NULL AND is_pinned = 1) AS pinned_post_count`.execute(this.db);
    const r = rows[0]!;
    return { member_count: num(r.member_count), post_count: num(r.post_count), pinned_post_count: num(r.pinned_post_count) };
  }
  /**
   * Mentions: explicit @mentions of the user plus @channel/@all posts by others. In direct
   * and group channels every message is addressed to the user, so each unread one counts as
   * a mention (as in Slack and Mattermost: the red badge).
   */
  async unreads(userId: string, channelId?: string): Promise<UnreadRow[]> {
    const { rows } = await sql<UnreadRow & { channel_type: Channel['type'] }>`
      SELECT cm.channel_id AS channel_id, c.team_id AS team_id, c.type AS channel_type, cm.last_viewed_seq AS last_viewed_seq, c.last_post_seq AS last_post_seq,
        (SELECT COUNT(*) FROM posts p WHERE p.channel_id = cm.channel_id AND p.seq > cm.last_viewed_seq
            AND p.deleted_at IS NULL AND p.user_id <> cm.user_id) AS unread_count,
        (SELECT COUNT(*) FROM post_mentions pm WHERE pm.user_id = cm.user_id AND pm.channel_id = cm.channel_id AND pm.seq > cm.last_viewed_seq)
        + (SELECT COUNT(*) FROM posts p2 WHERE p2.channel_id = cm.channel_id AND p2.seq > cm.last_viewed_seq AND p2.mention_all = 1
            AND p2.deleted_at IS NULL AND p2.user_id <> cm.user_id) AS mention_count
      FROM channel_members cm
      JOIN channels c ON c.id = cm.channel_id
      WHERE cm.user_id = ${userId} ${channelId === undefined ? sql`` : sql`AND cm.channel_id = ${channelId}`}
      ORDER BY c.last_post_at DESC, c.id`.execute(this.db);
    return rows.map((r) => ({
      channel_id: r.channel_id,
      team_id: r.team_id,
      last_viewed_seq: num(r.last_viewed_seq),
      last_post_seq: num(r.last_post_seq),
      unread_count: num(r.unread_count),
      mention_count: r.channel_type === 'direct' || r.channel_type === 'group' ? num(r.unread_count) : num(r.mention_count),
    }));
  }
  async markAllRead(userId: string, at: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('channel_members as m')
      .innerJoin('channels as c', 'c.id', 'm.channel_id')
      .select(['m.channel_id', 'c.last_post_seq'])
      .where('m.user_id', '=', userId)
      .whereRef('m.last_viewed_seq', '<', 'c.last_post_seq')
      .execute();
    for (const r of rows) await this.setLastViewed(r.channel_id, userId, num(r.last_post_seq), at);
    return rows.map((r) => r.channel_id);
  }
  async channelIdsForUser(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('channel_members').select('channel_id').where('user_id', '=', userId).execute();
    return rows.map((r) => r.channel_id);
  }
}

class Posts implements PostStore {
  constructor(private readonly db: Db, private readonly dialect: Dialect) {}
  /**
   * Ordering: on PostgreSQL the channel row is locked BEFORE the post takes its seq, and
   * stays locked until commit. So within a channel, seq order is commit order: once a reader
   * sees seq n, no post with a lower seq can still appear in that channel. Without this a
   * writer could take seq 10, another take 11 and commit first, and a client paging with
   * `after=11` or marking read up to 11 would never see post 10 as new. SQLite has one writer
   * at a time, so there the lock would only cost a statement per post.
   *
   * `readBy`: also move that member's read pointer to the new post (an author's own post is
   * read), in the same atomic step.
   */
  async create(post: NewPost, options: { readBy?: string } = {}): Promise<Post> {
    const p = post;
    if (this.dialect === 'postgres') return { ...post, seq: await this.createPostgres(p, options.readBy) };
    if (!this.db.isTransaction) return this.db.transaction().execute((trx) => new Posts(trx, this.dialect).create(post, options));
    // Hot path: plain SQL (the query builder costs more than SQLite spends running it).
    const { rows } = await unique(sql<{ seq: number }>`
      INSERT INTO posts (id, channel_id, user_id, root_post_id, message, props, file_ids, is_pinned, created_at, edited_at, deleted_at,
                         reply_count, last_reply_at, client_msg_id, mention_all)
      VALUES (${p.id}, ${p.channel_id}, ${p.user_id}, ${p.root_post_id}, ${p.message}, ${p.props}, ${p.file_ids}, ${p.is_pinned}, ${p.created_at},
              ${p.edited_at}, ${p.deleted_at}, ${p.reply_count}, ${p.last_reply_at}, ${p.client_msg_id}, ${p.mention_all})
      RETURNING seq`.execute(this.db));
    const seq = num(rows[0]!.seq);
    await sql`UPDATE channels SET last_post_seq = ${seq}, last_post_at = ${p.created_at} WHERE id = ${p.channel_id} AND last_post_seq < ${seq}`.execute(this.db);
    if (options.readBy !== undefined) await new Channels(this.db).setLastViewed(p.channel_id, options.readBy, seq, p.created_at);
    return { ...post, seq };
  }

  /**
   * The PostgreSQL insert as ONE statement (one round trip, atomic even outside a
   * transaction): `lock` takes the channel row (FOR UPDATE) and the INSERT draws its rows from
   * `lock`, so the seq is taken only once the lock is held; the channel's last post and the
   * author's read pointer follow from the inserted row.
   */
  private async createPostgres(p: NewPost, readBy: string | undefined): Promise<number> {
    const { rows } = await unique(sql<{ seq: string | number }>`
      WITH lock AS (SELECT id FROM channels WHERE id = ${p.channel_id} FOR UPDATE),
      ins AS (
        INSERT INTO posts (id, channel_id, user_id, root_post_id, message, props, file_ids, is_pinned, created_at, edited_at, deleted_at,
                           reply_count, last_reply_at, client_msg_id, mention_all)
        SELECT ${p.id}::text, lock.id, ${p.user_id}::text, ${p.root_post_id}::text, ${p.message}::text, ${p.props}::text, ${p.file_ids}::text,
               ${p.is_pinned}::smallint, ${p.created_at}::bigint, ${p.edited_at}::bigint, ${p.deleted_at}::bigint, ${p.reply_count}::integer,
               ${p.last_reply_at}::bigint, ${p.client_msg_id}::text, ${p.mention_all}::smallint
        FROM lock
        RETURNING seq),
      last_post AS (
        UPDATE channels SET last_post_seq = ins.seq, last_post_at = ${p.created_at}::bigint FROM ins
        WHERE channels.id = ${p.channel_id} AND channels.last_post_seq < ins.seq)
      ${readBy === undefined ? sql`` : sql`, read_pointer AS (
        UPDATE channel_members SET last_viewed_seq = ins.seq, last_viewed_at = ${p.created_at}::bigint FROM ins
        WHERE channel_members.channel_id = ${p.channel_id} AND channel_members.user_id = ${readBy} AND channel_members.last_viewed_seq < ins.seq)`}
      SELECT seq FROM ins`.execute(this.db));
    // The channel was deleted after the caller's access check: the post has nowhere to go.
    if (rows[0] === undefined) throw notFound('Channel');
    return num(rows[0].seq);
  }
  get(id: string): Promise<Post | undefined> {
    return this.db.selectFrom('posts').selectAll().where('id', '=', id).executeTakeFirst();
  }
  async getByClientMsgId(userId: string, clientMsgId: string): Promise<Post | undefined> {
    const { rows } = await sql<Post>`SELECT * FROM posts WHERE user_id = ${userId} AND client_msg_id = ${clientMsgId}`.execute(this.db);
    return rows[0];
  }
  async getMany(ids: readonly string[]): Promise<Post[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('posts').selectAll().where('id', 'in', [...new Set(ids)]).execute();
  }
  async updateMessage(id: string, message: string, mentionAll: boolean, editedAt: number): Promise<Post | undefined> {
    await this.db.updateTable('posts').set({ message, mention_all: mentionAll ? 1 : 0, edited_at: editedAt }).where('id', '=', id).where('deleted_at', 'is', null).execute();
    return this.get(id);
  }
  async softDelete(id: string, at: number): Promise<string[]> {
    const rows = await this.db
      .updateTable('posts')
      .set({ deleted_at: at, is_pinned: 0 })
      .where((eb) => eb.or([eb('id', '=', id), eb('root_post_id', '=', id)]))
      .where('deleted_at', 'is', null)
      .returning('id')
      .execute();
    const ids = rows.map((r) => r.id);
    if (ids.length > 0) await this.db.deleteFrom('post_mentions').where('post_id', 'in', ids).execute();
    return ids;
  }
  async touchThread(rootId: string, delta: number, lastReplyAt: number | null): Promise<void> {
    if (delta > 0) {
      await this.db.updateTable('posts').set((eb) => ({ reply_count: eb('reply_count', '+', delta), last_reply_at: lastReplyAt })).where('id', '=', rootId).execute();
      return;
    }
    // A reply went away: recount from the live replies so the numbers can never drift.
    const { rows } = await sql<{ n: number; last: number | null }>`
      SELECT COUNT(*) AS n, MAX(created_at) AS last FROM posts WHERE root_post_id = ${rootId} AND deleted_at IS NULL`.execute(this.db);
    const r = rows[0]!;
    await this.db.updateTable('posts').set({ reply_count: num(r.n), last_reply_at: r.last === null ? null : num(r.last) }).where('id', '=', rootId).execute();
  }
  async setPinned(id: string, pinned: boolean): Promise<Post | undefined> {
    await this.db.updateTable('posts').set({ is_pinned: pinned ? 1 : 0 }).where('id', '=', id).where('deleted_at', 'is', null).execute();
    return this.get(id);
  }
  async listChannel(channelId: string, opts: { before?: number | undefined; after?: number | undefined; limit: number; pinnedOnly?: boolean }): Promise<PostPage> {
    let q = this.db.selectFrom('posts').selectAll().where('channel_id', '=', channelId).where('deleted_at', 'is', null);
    if (opts.before !== undefined) q = q.where('seq', '<', opts.before);
    if (opts.after !== undefined) q = q.where('seq', '>', opts.after);
    if (opts.pinnedOnly) q = q.where('is_pinned', '=', 1);
    // With only `after`, walk forwards from the cursor; otherwise backwards from the newest.
    const forwards = opts.after !== undefined && opts.before === undefined;
    const rows = await q.orderBy('seq', forwards ? 'asc' : 'desc').limit(opts.limit + 1).execute();
    const hasMore = rows.length > opts.limit;
    const page = rows.slice(0, opts.limit);
    if (forwards) page.reverse();
    return { posts: page, hasMore };
  }
  async listThread(rootId: string, afterSeq: number, limit: number): Promise<PostPage> {
    const rows = await this.db.selectFrom('posts').selectAll().where('root_post_id', '=', rootId).where('deleted_at', 'is', null).where('seq', '>', afterSeq).orderBy('seq', 'asc').limit(limit + 1).execute();
    return { posts: rows.slice(0, limit), hasMore: rows.length > limit };
  }
  async replaceMentions(postId: string, channelId: string, seq: number, userIds: readonly string[]): Promise<void> {
    await this.db.deleteFrom('post_mentions').where('post_id', '=', postId).execute();
    if (userIds.length === 0) return;
    await this.db.insertInto('post_mentions').values([...new Set(userIds)].map((user_id) => ({ post_id: postId, channel_id: channelId, user_id, seq }))).execute();
  }
  async addReaction(reaction: Reaction): Promise<boolean> {
    const r = await this.db.insertInto('reactions').values({ ...reaction }).onConflict((oc) => oc.columns(['post_id', 'user_id', 'emoji_name']).doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  async removeReaction(postId: string, userId: string, emoji: string): Promise<boolean> {
    const r = await this.db.deleteFrom('reactions').where('post_id', '=', postId).where('user_id', '=', userId).where('emoji_name', '=', emoji).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  async reactionsFor(postIds: readonly string[]): Promise<Reaction[]> {
    if (postIds.length === 0) return [];
    return this.db.selectFrom('reactions').selectAll().where('post_id', 'in', [...postIds]).orderBy('created_at').orderBy('user_id').execute();
  }
  async save(userId: string, postId: string, at: number): Promise<boolean> {
    const r = await this.db.insertInto('saved_posts').values({ user_id: userId, post_id: postId, created_at: at }).onConflict((oc) => oc.columns(['user_id', 'post_id']).doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  async unsave(userId: string, postId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('saved_posts').where('user_id', '=', userId).where('post_id', '=', postId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  listSaved(userId: string, offset: number, limit: number): Promise<Post[]> {
    return this.db
      .selectFrom('saved_posts as s')
      .innerJoin('posts as p', 'p.id', 's.post_id')
      .selectAll('p')
      .where('s.user_id', '=', userId)
      .where('p.deleted_at', 'is', null)
      .orderBy('s.created_at', 'desc')
      .orderBy('p.seq', 'desc')
      .offset(offset)
      .limit(limit)
      .execute();
  }
  async seqBefore(channelId: string, seq: number): Promise<number> {
    const r = await this.db.selectFrom('posts').select('seq').where('channel_id', '=', channelId).where('seq', '<', seq).where('deleted_at', 'is', null).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return r === undefined ? 0 : num(r.seq);
  }
}

class Audit implements AuditStore {
  constructor(private readonly db: Db) {}
  async append(entry: AuditEntry): Promise<void> {
    await this.db.insertInto('audit_log').values({ ...entry }).execute();
  }
  list(offset: number, limit: number): Promise<AuditEntry[]> {
    return this.db.selectFrom('audit_log').selectAll().orderBy('created_at', 'desc').orderBy('id').offset(offset).limit(limit).execute();
  }
}

class PasswordResets implements PasswordResetStore {
  constructor(private readonly db: Db, private readonly dialect: Dialect) {}
  async create(token: PasswordResetToken): Promise<void> {
    await this.db.insertInto('password_reset_tokens').values({ ...token }).execute();
  }
  getLive(tokenHash: string, now: number): Promise<PasswordResetToken | undefined> {
    return this.db.selectFrom('password_reset_tokens').selectAll().where('token_hash', '=', tokenHash).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
  }
  async use(tokenHash: string, now: number): Promise<string | undefined> {
    const row = await this.db.updateTable('password_reset_tokens').set({ used_at: now })
      .where('token_hash', '=', tokenHash).where('used_at', 'is', null).where('expires_at', '>', now)
      .returning('user_id').executeTakeFirst();
    return row?.user_id;
  }
  async useAllForUser(userId: string, now: number): Promise<void> {
    await this.db.updateTable('password_reset_tokens').set({ used_at: now }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
  }
  async issue(token: PasswordResetToken, since: number, max: number): Promise<boolean> {
    if (this.dialect === 'postgres' && this.db.isTransaction) await sql`SELECT id FROM users WHERE id = ${token.user_id} FOR UPDATE`.execute(this.db);
    const r = await this.db.selectFrom('password_reset_tokens').select((eb) => eb.fn.countAll().as('n')).where('user_id', '=', token.user_id).where('created_at', '>=', since).executeTakeFirstOrThrow();
    if (num(r.n) >= max) return false;
    await this.create(token);
    return true;
  }
}

export interface KyselyStoreOptions {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  /** Batch concurrent transactions into one commit (see store/group-commit.ts). */
  readonly groupCommit?: boolean;
  /** Extra cleanup (closing the driver) after Kysely is destroyed. */
  readonly onClose?: () => Promise<void> | void;
}

export class KyselyStore implements Store {
  readonly dialect: Dialect;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly teams: TeamStore;
  readonly channels: ChannelStore;
  readonly posts: PostStore;
  readonly audit: AuditStore;
  readonly sso: SsoStore;
  readonly sealed: SealedValueStore;
  readonly passwordResets: PasswordResetStore;

  private readonly committer: GroupCommit<Store> | undefined;

  constructor(
    private readonly options: KyselyStoreOptions,
    private readonly db: Db = options.db,
    private readonly inTransaction = false,
  ) {
    this.committer = !inTransaction && options.groupCommit ? new GroupCommit<Store>(options.db, (trx) => new KyselyStore(options, trx, true)) : undefined;
    this.dialect = options.dialect;
    this.users = new Users(db, options.dialect);
    this.sessions = new Sessions(db);
    this.teams = new Teams(db, options.dialect);
    this.channels = new Channels(db);
    this.posts = new Posts(db, options.dialect);
    this.audit = new Audit(db);
    this.sso = new KyselySsoStore(db);
    this.sealed = new KyselySealedValueStore(db);
    this.passwordResets = new PasswordResets(db, options.dialect);
  }

  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    if (this.committer !== undefined) return this.committer.run(fn);
    return this.options.db.transaction().execute((trx) => fn(new KyselyStore(this.options, trx, true)));
  }

  write<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    return this.committer !== undefined ? this.committer.run(fn) : fn(this);
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.options.db.destroy();
    await this.options.onClose?.();
  }
}
