/** ChannelStore over Kysely: channels and channel memberships (read pointers in read-pointers.ts). */
import { sql, type RawBuilder } from 'kysely';
import type { Channel, ChannelRole, ChannelMember, Team, TeamRole } from '../../domain/entities.js';
import type { ChannelAccessRow, ChannelStats, ChannelStore } from '../channels.js';
import { unique } from '../errors.js';
import type { EventStamps } from '../outbox.js';
import type { UnreadRow } from '../read-pointers.js';
import { ReadPointers } from './read-pointers.js';
import { byDisplayName, num, type Db } from './shared.js';

export interface AccessSqlRow {
  c_id: string; c_team_id: string | null; c_type: Channel['type']; c_name: string; c_display_name: string; c_purpose: string; c_header: string;
  c_creator_id: string; c_created_at: number; c_updated_at: number; c_archived_at: number | null; c_last_post_at: number; c_last_post_seq: number; c_event_seq: number; c_member_key: string | null;
  t_id: string | null; t_name: string | null; t_display_name: string | null; t_description: string | null; t_type: Team['type'] | null; t_creator_id: string | null;
  t_created_at: number | null; t_updated_at: number | null; t_archived_at: number | null;
  tm_role: TeamRole | null; tm_created_at: number | null;
  cm_role: ChannelRole | null; cm_last_viewed_seq: number | null; cm_last_viewed_at: number | null; cm_created_at: number | null;
}

/** The columns of a channel access row (channel, team, both memberships of one user), read through `accessJoins`. */
const ACCESS_COLUMNS = sql`c.id AS c_id, c.team_id AS c_team_id, c.type AS c_type, c.name AS c_name, c.display_name AS c_display_name,
       c.purpose AS c_purpose, c.header AS c_header, c.creator_id AS c_creator_id, c.created_at AS c_created_at,
       c.updated_at AS c_updated_at, c.archived_at AS c_archived_at, c.last_post_at AS c_last_post_at,
       c.last_post_seq AS c_last_post_seq, c.event_seq AS c_event_seq, c.member_key AS c_member_key,
       t.id AS t_id, t.name AS t_name, t.display_name AS t_display_name, t.description AS t_description, t.type AS t_type,
       t.creator_id AS t_creator_id, t.created_at AS t_created_at, t.updated_at AS t_updated_at, t.archived_at AS t_archived_at,
       tm.role AS tm_role, tm.created_at AS tm_created_at,
       cm.role AS cm_role, cm.last_viewed_seq AS cm_last_viewed_seq, cm.last_viewed_at AS cm_last_viewed_at, cm.created_at AS cm_created_at`;

/** The joins from `channels c` that ACCESS_COLUMNS reads, for the user `userId` (a value or a column). */
const accessJoins = (userId: RawBuilder<unknown>): RawBuilder<unknown> => sql`LEFT JOIN teams t ON t.id = c.team_id
       LEFT JOIN team_members tm ON tm.team_id = c.team_id AND tm.user_id = ${userId}
       LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = ${userId}`;

/**
 * The access row's SQL, for joining it to another row: a request on a channel reads its
 * session and its access row in one statement (kysely/sessions.ts getWithUserAndChannel).
 */
export const channelAccessSql = { columns: ACCESS_COLUMNS, joins: accessJoins };

/** The access row of `userId` from the columns above; undefined when the channel does not exist. */
export function accessRowOf(r: AccessSqlRow | undefined, userId: string): ChannelAccessRow | undefined {
  // A LEFT JOIN that found no channel reads as nulls.
  if (r === undefined || (r.c_id as string | null) === null) return undefined;
  const channel: Channel = {
    id: r.c_id, team_id: r.c_team_id, type: r.c_type, name: r.c_name, display_name: r.c_display_name, purpose: r.c_purpose, header: r.c_header,
    creator_id: r.c_creator_id, created_at: num(r.c_created_at), updated_at: num(r.c_updated_at), archived_at: r.c_archived_at === null ? null : num(r.c_archived_at),
    last_post_at: num(r.c_last_post_at), last_post_seq: num(r.c_last_post_seq), event_seq: num(r.c_event_seq), member_key: r.c_member_key,
  };
  const team: Team | undefined = r.t_id === null ? undefined : {
    id: r.t_id, name: r.t_name!, display_name: r.t_display_name!, description: r.t_description!, type: r.t_type!, creator_id: r.t_creator_id!,
    created_at: num(r.t_created_at), updated_at: num(r.t_updated_at), archived_at: r.t_archived_at === null ? null : num(r.t_archived_at),
  };
  return {
    channel,
    team,
    teamMember: r.tm_role === null || team === undefined ? undefined : { team_id: team.id, user_id: userId, role: r.tm_role, created_at: num(r.tm_created_at) },
    member: r.cm_role === null ? undefined : { channel_id: r.c_id, user_id: userId, role: r.cm_role, last_viewed_seq: num(r.cm_last_viewed_seq), last_viewed_at: num(r.cm_last_viewed_at), created_at: num(r.cm_created_at) },
  };
}

export class Channels implements ChannelStore {
  private readonly readPointers: ReadPointers;
  /** `stamps`: the write's outbox, told the channel event numbers taken (takeEventSeq). */
  constructor(private readonly db: Db, private readonly stamps?: EventStamps) {
    this.readPointers = new ReadPointers(db);
  }
  async create(channel: Channel): Promise<void> {
    await unique(this.db.insertInto('channels').values({ ...channel }).execute());
  }
  get(id: string): Promise<Channel | undefined> {
    return this.db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
  }
  async getMany(ids: readonly string[]): Promise<Channel[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('channels').selectAll().where('id', 'in', [...new Set(ids)]).execute();
  }
  async getAccessMany(id: string, userIds: readonly string[]): Promise<Map<string, ChannelAccessRow>> {
    const out = new Map<string, ChannelAccessRow>();
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return out;
    // The channel and its team once (as for a user with no memberships), then both memberships of everyone.
    const base = await this.getAccess(id, '');
    if (base === undefined) return out;
    const teamMembers = base.team === undefined ? [] : await this.db.selectFrom('team_members').selectAll().where('team_id', '=', base.team.id).where('user_id', 'in', ids).execute();
    const members = await this.db.selectFrom('channel_members').selectAll().where('channel_id', '=', id).where('user_id', 'in', ids).execute();
    const tm = new Map(teamMembers.map((m) => [m.user_id, { ...m, created_at: num(m.created_at) }]));
    const cm = new Map(members.map((m) => [m.user_id, { ...m, last_viewed_seq: num(m.last_viewed_seq), last_viewed_at: num(m.last_viewed_at), created_at: num(m.created_at) }]));
    for (const userId of ids) out.set(userId, { channel: base.channel, team: base.team, teamMember: tm.get(userId), member: cm.get(userId) });
    return out;
  }
  async getAccess(id: string, userId: string): Promise<ChannelAccessRow | undefined> {
    const { rows } = await sql<AccessSqlRow>`SELECT ${ACCESS_COLUMNS} FROM channels c ${accessJoins(sql`${userId}`)} WHERE c.id = ${id}`.execute(this.db);
    return accessRowOf(rows[0], userId);
  }
  async takeEventSeq(channelId: string): Promise<void> {
    const { rows } = await sql<{ event_seq: number }>`UPDATE channels SET event_seq = event_seq + 1 WHERE id = ${channelId} RETURNING event_seq`.execute(this.db);
    if (rows[0] !== undefined) this.stamps?.taken(channelId, num(rows[0].event_seq));
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
  async stats(channelId: string): Promise<ChannelStats> {
    const { rows } = await sql<{ member_count: number; post_count: number; pinned_post_count: number }>`
      SELECT (SELECT COUNT(*) FROM channel_members WHERE channel_id = ${channelId}) AS member_count,
             (SELECT COUNT(*) FROM posts WHERE channel_id = ${channelId} AND deleted_at IS NULL) AS post_count,
             (SELECT COUNT(*) FROM posts WHERE channel_id = ${channelId} AND deleted_at IS NULL AND is_pinned = 1) AS pinned_post_count`.execute(this.db);
    const r = rows[0]!;
    return { member_count: num(r.member_count), post_count: num(r.post_count), pinned_post_count: num(r.pinned_post_count) };
  }
  setLastViewed(channelId: string, userId: string, seq: number, at: number, allowBackwards = false): Promise<void> {
    return this.readPointers.setLastViewed(channelId, userId, seq, at, allowBackwards);
  }
  unreads(userId: string, channelId?: string, opts?: { rootsOnly?: boolean }): Promise<UnreadRow[]> {
    return this.readPointers.unreads(userId, channelId, opts);
  }
  markAllRead(userId: string, at: number): Promise<string[]> {
    return this.readPointers.markAllRead(userId, at);
  }
  async channelIdsForUser(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('channel_members').select('channel_id').where('user_id', '=', userId).execute();
    return rows.map((r) => r.channel_id);
  }
}
