/** ThreadStore over Kysely: followed threads, their read positions and unread counts, and the collapsed-threads preference. */
import { sql } from 'kysely';
import type { ThreadMembership } from '../../domain/entities.js';
import type { ThreadCursor, ThreadStore, ThreadTotals } from '../threads.js';
import { num, type Db } from './shared.js';

/** Unread replies and mentions of membership `tm` counted from the posts (SQL fragments over the alias `tm`). */
const UNREAD_REPLIES = sql`(SELECT COUNT(*) FROM posts p WHERE p.root_post_id = tm.root_id AND p.seq > tm.last_viewed_seq
    AND p.deleted_at IS NULL AND p.user_id <> tm.user_id)`;
const UNREAD_MENTIONS = sql`((SELECT COUNT(*) FROM post_mentions pm JOIN posts p ON p.id = pm.post_id
    WHERE pm.user_id = tm.user_id AND p.root_post_id = tm.root_id AND pm.seq > tm.last_viewed_seq AND p.deleted_at IS NULL)
  + (SELECT COUNT(*) FROM posts p2 WHERE p2.root_post_id = tm.root_id AND p2.seq > tm.last_viewed_seq AND p2.mention_all = 1
    AND p2.deleted_at IS NULL AND p2.user_id <> tm.user_id))`;

function membership(r: ThreadMembership): ThreadMembership {
  return {
    user_id: r.user_id, root_id: r.root_id, channel_id: r.channel_id, following: num(r.following), last_viewed_seq: num(r.last_viewed_seq),
    last_viewed_at: num(r.last_viewed_at), unread_replies: num(r.unread_replies), unread_mentions: num(r.unread_mentions), updated_at: num(r.updated_at),
  };
}

export class Threads implements ThreadStore {
  constructor(private readonly db: Db) {}

  async get(userId: string, rootId: string): Promise<ThreadMembership | undefined> {
    const row = await this.db.selectFrom('thread_memberships').selectAll().where('user_id', '=', userId).where('root_id', '=', rootId).executeTakeFirst();
    return row === undefined ? undefined : membership(row);
  }

  async replied(rootId: string, reply: { readonly seq: number; readonly user_id: string; readonly created_at: number }, mentioned: readonly string[], mentionAll: boolean): Promise<void> {
    const counts = sql`following = 1 AND user_id <> ${reply.user_id} AND last_viewed_seq < ${reply.seq}`;
    const mentionedHere = mentionAll ? sql`1 = 1` : mentioned.length === 0 ? sql`1 = 0` : sql`user_id IN (${sql.join([...new Set(mentioned)])})`;
    await sql`
      UPDATE thread_memberships SET updated_at = ${reply.created_at},
        unread_replies = unread_replies + CASE WHEN ${counts} THEN 1 ELSE 0 END,
        unread_mentions = unread_mentions + CASE WHEN ${counts} AND ${mentionedHere} THEN 1 ELSE 0 END
      WHERE root_id = ${rootId}`.execute(this.db);
  }

  async follow(rootId: string, channelId: string, userIds: readonly string[], at: number, mode: 'always' | 'if_new'): Promise<string[]> {
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return [];
    const values = sql.join(ids.map((id) => sql`(${id}, ${rootId}, ${channelId}, 1, 0, 0, 0, 0, ${at})`));
    const { rows } = await sql<{ user_id: string }>`
      INSERT INTO thread_memberships (user_id, root_id, channel_id, following, last_viewed_seq, last_viewed_at, unread_replies, unread_mentions, updated_at)
      VALUES ${values}
      ON CONFLICT (user_id, root_id) ${mode === 'if_new' ? sql`DO NOTHING` : sql`DO UPDATE SET following = 1 WHERE thread_memberships.following = 0`}
      RETURNING user_id`.execute(this.db);
    const changed = rows.map((r) => r.user_id);
    if (changed.length > 0) await this.recount(rootId, changed);
    return changed;
  }

  async setFollowing(userId: string, rootId: string, channelId: string, following: boolean, at: number): Promise<boolean> {
    const f = following ? 1 : 0;
    const { rows } = await sql<{ user_id: string }>`
      INSERT INTO thread_memberships (user_id, root_id, channel_id, following, last_viewed_seq, last_viewed_at, unread_replies, unread_mentions, updated_at)
      VALUES (${userId}, ${rootId}, ${channelId}, ${f}, 0, 0, 0, 0, ${at})
      ON CONFLICT (user_id, root_id) DO UPDATE SET following = ${f} WHERE thread_memberships.following <> ${f}
      RETURNING user_id`.execute(this.db);
    if (rows.length === 0) return false;
    if (following) await this.recount(rootId, [userId]);
    return true;
  }

  async markRead(userId: string, rootId: string, channelId: string, at: number, throughSeq?: number): Promise<ThreadMembership> {
    let seq = throughSeq;
    if (seq === undefined) {
      const { rows } = await sql<{ s: number | null }>`
        SELECT COALESCE((SELECT MAX(seq) FROM posts WHERE root_post_id = ${rootId}), (SELECT seq FROM posts WHERE id = ${rootId})) AS s`.execute(this.db);
      seq = num(rows[0]?.s ?? 0);
    }
    await sql`
      INSERT INTO thread_memberships (user_id, root_id, channel_id, following, last_viewed_seq, last_viewed_at, unread_replies, unread_mentions, updated_at)
      VALUES (${userId}, ${rootId}, ${channelId}, 0, ${seq}, ${at}, 0, 0, ${at})
      ON CONFLICT (user_id, root_id) DO UPDATE SET last_viewed_seq = ${seq}, last_viewed_at = ${at}`.execute(this.db);
    await this.recount(rootId, [userId]);
    return (await this.get(userId, rootId))!;
  }

  async recount(rootId: string, userIds?: readonly string[]): Promise<void> {
    if (userIds !== undefined && userIds.length === 0) return;
    // `tm` names the row being updated (an alias in the UPDATE works on both databases).
    await sql`
      UPDATE thread_memberships AS tm SET unread_replies = ${UNREAD_REPLIES}, unread_mentions = ${UNREAD_MENTIONS}
      WHERE tm.root_id = ${rootId} ${userIds === undefined ? sql`` : sql`AND tm.user_id IN (${sql.join([...new Set(userIds)])})`}`.execute(this.db);
  }

  async followers(rootId: string): Promise<ThreadMembership[]> {
    const rows = await this.db.selectFrom('thread_memberships').selectAll().where('root_id', '=', rootId).where('following', '=', 1).orderBy('user_id').execute();
    return rows.map(membership);
  }

  async list(userId: string, opts: { channelIds: readonly string[]; before?: ThreadCursor | undefined; limit: number; unreadOnly?: boolean }): Promise<ThreadMembership[]> {
    if (opts.channelIds.length === 0) return [];
    const b = opts.before;
    const { rows } = await sql<ThreadMembership>`
      SELECT tm.* FROM thread_memberships tm JOIN posts r ON r.id = tm.root_id
      WHERE tm.user_id = ${userId} AND tm.following = 1 AND r.deleted_at IS NULL
        AND tm.channel_id IN (${sql.join([...new Set(opts.channelIds)])})
        ${opts.unreadOnly ? sql`AND tm.unread_replies > 0` : sql``}
        ${b === undefined ? sql`` : sql`AND (tm.updated_at < ${b.updated_at} OR (tm.updated_at = ${b.updated_at} AND r.seq < ${b.root_seq}))`}
      ORDER BY tm.updated_at DESC, r.seq DESC
      LIMIT ${opts.limit}`.execute(this.db);
    return rows.map(membership);
  }

  async totals(userId: string): Promise<ThreadTotals[]> {
    const { rows } = await sql<ThreadTotals>`
      SELECT tm.channel_id AS channel_id, c.team_id AS team_id, COUNT(*) AS threads,
        SUM(CASE WHEN tm.unread_replies > 0 THEN 1 ELSE 0 END) AS unread_threads, SUM(tm.unread_mentions) AS unread_mentions
      FROM thread_memberships tm JOIN posts r ON r.id = tm.root_id JOIN channels c ON c.id = tm.channel_id
      WHERE tm.user_id = ${userId} AND tm.following = 1 AND r.deleted_at IS NULL
      GROUP BY tm.channel_id, c.team_id
      ORDER BY tm.channel_id`.execute(this.db);
    return rows.map((r) => ({ channel_id: r.channel_id, team_id: r.team_id, threads: num(r.threads), unread_threads: num(r.unread_threads), unread_mentions: num(r.unread_mentions) }));
  }

  async collapsed(userId: string): Promise<boolean | undefined> {
    const row = await this.db.selectFrom('thread_settings').select('collapsed_threads').where('user_id', '=', userId).executeTakeFirst();
    return row === undefined ? undefined : num(row.collapsed_threads) === 1;
  }

  async setCollapsed(userId: string, collapsed: boolean, at: number): Promise<void> {
    const v = collapsed ? 1 : 0;
    await sql`INSERT INTO thread_settings (user_id, collapsed_threads, updated_at) VALUES (${userId}, ${v}, ${at})
              ON CONFLICT (user_id) DO UPDATE SET collapsed_threads = ${v}, updated_at = ${at}`.execute(this.db);
  }
}
