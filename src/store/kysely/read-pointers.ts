/** ReadPointerStore over Kysely: channel members' read pointers and the unread counts measured from them. */
import { sql } from 'kysely';
import type { Channel } from '../../domain/entities.js';
import type { ReadPointerStore, UnreadRow } from '../read-pointers.js';
import { num, type Db } from './shared.js';

export class ReadPointers implements ReadPointerStore {
  constructor(private readonly db: Db) {}
  async setLastViewed(channelId: string, userId: string, seq: number, at: number, allowBackwards = false): Promise<void> {
    await sql`UPDATE channel_members SET last_viewed_seq = ${seq}, last_viewed_at = ${at}
              WHERE channel_id = ${channelId} AND user_id = ${userId} ${allowBackwards ? sql`` : sql`AND last_viewed_seq < ${seq}`}`.execute(this.db);
  }
  /**
   * Mentions: explicit @mentions of the user plus @channel/@all posts by others. In direct
   * and group channels every message is addressed to the user, so each unread one counts as
   * a mention (as in Slack and Mattermost: the red badge).
   */
  async unreads(userId: string, channelId?: string, opts: { rootsOnly?: boolean } = {}): Promise<UnreadRow[]> {
    const roots = (alias: string) => (opts.rootsOnly ? sql`AND ${sql.ref(`${alias}.root_post_id`)} IS NULL` : sql``);
    const mentions = opts.rootsOnly
      ? sql`(SELECT COUNT(*) FROM post_mentions pm JOIN posts pr ON pr.id = pm.post_id
            WHERE pm.user_id = cm.user_id AND pm.channel_id = cm.channel_id AND pm.seq > cm.last_viewed_seq AND pr.root_post_id IS NULL)`
      : sql`(SELECT COUNT(*) FROM post_mentions pm WHERE pm.user_id = cm.user_id AND pm.channel_id = cm.channel_id AND pm.seq > cm.last_viewed_seq)`;
    const { rows } = await sql<UnreadRow & { channel_type: Channel['type'] }>`
      SELECT cm.channel_id AS channel_id, c.team_id AS team_id, c.type AS channel_type, cm.last_viewed_seq AS last_viewed_seq, c.last_post_seq AS last_post_seq,
        (SELECT COUNT(*) FROM posts p WHERE p.channel_id = cm.channel_id AND p.seq > cm.last_viewed_seq
            AND p.deleted_at IS NULL AND p.user_id <> cm.user_id ${roots('p')}) AS unread_count,
        ${mentions}
        + (SELECT COUNT(*) FROM posts p2 WHERE p2.channel_id = cm.channel_id AND p2.seq > cm.last_viewed_seq AND p2.mention_all = 1
            AND p2.deleted_at IS NULL AND p2.user_id <> cm.user_id ${roots('p2')}) AS mention_count
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
}
