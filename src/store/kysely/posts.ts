/** PostStore over Kysely: posts, their mentions and thread counters (reactions and saved posts in their own files). */
import { sql } from 'kysely';
import type { Post, Reaction } from '../../domain/entities.js';
import { NotFound, isForeignKeyViolation, unique } from '../errors.js';
import type { Dialect } from '../migrations.js';
import type { EventStamps } from '../outbox.js';
import type { NewPost, PostPage, PostStore } from '../posts.js';
import type { SearchDocument } from '../search.js';
import { ReadPointers } from './read-pointers.js';
import { channelToken, removeIndex, teamTokenOf, tsvectorLiteral, writeIndex } from './search.js';
import { Reactions } from './reactions.js';
import { SavedPosts } from './saved-posts.js';
import { num, type Db } from './shared.js';

/** How many of a thread's most recent repliers its root lists. */
export const MAX_PARTICIPANTS = 5;

function parseIds(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export class Posts implements PostStore {
  private readonly reactions: Reactions;
  private readonly saved: SavedPosts;
  /** `stamps`: the write's outbox, told which channel event number each new post took. */
  constructor(private readonly db: Db, private readonly dialect: Dialect, private readonly stamps?: EventStamps) {
    this.reactions = new Reactions(db);
    this.saved = new SavedPosts(db);
  }
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
   *
   * The channel's `event_seq` goes up by one in the UPDATE that records its last post (no
   * extra statement): under the same lock, so those numbers follow commit order too, and
   * without gaps, so a node that sees number n+1 before n knows to wait for n (see
   * store/outbox.ts and realtime/bus/ordered.ts).
   */
  async create(post: NewPost, options: { readBy?: string; search?: SearchDocument } = {}): Promise<Post> {
    const p = post;
    if (this.dialect === 'postgres') return { ...post, reply_participants: '[]', seq: await this.createPostgres(p, options.readBy, options.search) };
    if (!this.db.isTransaction) return this.db.transaction().execute((trx) => new Posts(trx, this.dialect, this.stamps).create(post, options));
    // Hot path: plain SQL (the query builder costs more than SQLite spends running it).
    const { rows } = await this.channelMustExist(p.channel_id, unique(sql<{ seq: number }>`
      INSERT INTO posts (id, channel_id, user_id, root_post_id, message, props, file_ids, is_pinned, created_at, edited_at, deleted_at,
                         reply_count, last_reply_at, client_msg_id, mention_all)
      VALUES (${p.id}, ${p.channel_id}, ${p.user_id}, ${p.root_post_id}, ${p.message}, ${p.props}, ${p.file_ids}, ${p.is_pinned}, ${p.created_at},
              ${p.edited_at}, ${p.deleted_at}, ${p.reply_count}, ${p.last_reply_at}, ${p.client_msg_id}, ${p.mention_all})
      RETURNING seq`.execute(this.db)));
    const seq = num(rows[0]!.seq);
    const channel = await sql<{ event_seq: number }>`
      UPDATE channels SET event_seq = event_seq + 1, last_post_at = CASE WHEN last_post_seq < ${seq} THEN ${p.created_at} ELSE last_post_at END,
                          last_post_seq = MAX(last_post_seq, ${seq})
      WHERE id = ${p.channel_id} RETURNING event_seq`.execute(this.db);
    if (channel.rows[0] !== undefined) this.stamps?.taken(p.channel_id, num(channel.rows[0].event_seq));
    if (options.readBy !== undefined) await new ReadPointers(this.db).setLastViewed(p.channel_id, options.readBy, seq, p.created_at);
    if (options.search !== undefined) {
      await sql`INSERT INTO post_search (rowid, words, stems, tags, chan) VALUES (${seq}, ${options.search.words}, ${options.search.stems}, ${options.search.tags}, ${channelToken(p.channel_id)})`.execute(this.db);
    }
    return { ...post, reply_participants: '[]', seq };
  }

  /**
   * SQLite refuses a post whose channel is gone with a foreign-key error: the same NotFound
   * PostgreSQL gives (checked only after a failure, so the hot path pays nothing).
   */
  private async channelMustExist<T>(channelId: string, insert: Promise<T>): Promise<T> {
    try {
      return await insert;
    } catch (err) {
      if (isForeignKeyViolation(err) && (await this.db.selectFrom('channels').select('id').where('id', '=', channelId).executeTakeFirst()) === undefined) {
        throw new NotFound('channel', err);
      }
      throw err;
    }
  }

  /**
   * The PostgreSQL insert as ONE statement (one round trip, atomic even outside a
   * transaction): `lock` takes the channel row (FOR UPDATE) and the INSERT draws its rows from
   * `lock`, so the seq is taken only once the lock is held; the channel's last post and the
   * author's read pointer follow from the inserted row.
   */
  private async createPostgres(p: NewPost, readBy: string | undefined, search: SearchDocument | undefined): Promise<number> {
    const { rows } = await unique(sql<{ seq: string | number; event_seq: string | number | null }>`
      WITH lock AS (SELECT id, type, team_id FROM channels WHERE id = ${p.channel_id} FOR UPDATE),
      ins AS (
        INSERT INTO posts (id, channel_id, user_id, root_post_id, message, props, file_ids, is_pinned, created_at, edited_at, deleted_at,
                           reply_count, last_reply_at, client_msg_id, mention_all)
        SELECT ${p.id}::text, lock.id, ${p.user_id}::text, ${p.root_post_id}::text, ${p.message}::text, ${p.props}::text, ${p.file_ids}::text,
               ${p.is_pinned}::smallint, ${p.created_at}::bigint, ${p.edited_at}::bigint, ${p.deleted_at}::bigint, ${p.reply_count}::integer,
               ${p.last_reply_at}::bigint, ${p.client_msg_id}::text, ${p.mention_all}::smallint
        FROM lock
        RETURNING seq),
      last_post AS (
        UPDATE channels SET event_seq = channels.event_seq + 1, last_post_seq = GREATEST(channels.last_post_seq, ins.seq),
               last_post_at = CASE WHEN channels.last_post_seq < ins.seq THEN ${p.created_at}::bigint ELSE channels.last_post_at END
        FROM ins WHERE channels.id = ${p.channel_id}
        RETURNING channels.event_seq)
      ${readBy === undefined ? sql`` : sql`, read_pointer AS (
        UPDATE channel_members SET last_viewed_seq = ins.seq, last_viewed_at = ${p.created_at}::bigint FROM ins
        WHERE channel_members.channel_id = ${p.channel_id} AND channel_members.user_id = ${readBy} AND channel_members.last_viewed_seq < ins.seq)`}
      ${search === undefined ? sql`` : sql`, indexed AS (
        INSERT INTO post_search (seq, words, stems, tags, chan, channel_id)
        SELECT ins.seq, ${tsvectorLiteral(search.words)}::tsvector, ${tsvectorLiteral(search.stems)}::tsvector, ${tsvectorLiteral(search.tags)}::tsvector,
               ${tsvectorLiteral(channelToken(p.channel_id))}::tsvector || ${teamTokenOf('lock')}, ${p.channel_id}::text FROM ins, lock)`}
      SELECT seq, (SELECT event_seq FROM last_post) AS event_seq FROM ins`.execute(this.db));
    // The channel was deleted after the caller's access check: the post has nowhere to go.
    if (rows[0] === undefined) throw new NotFound('channel');
    if (rows[0].event_seq !== null) this.stamps?.taken(p.channel_id, num(rows[0].event_seq));
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
  async updateMessage(id: string, message: string, mentionAll: boolean, editedAt: number, search?: SearchDocument): Promise<Post | undefined> {
    await this.db.updateTable('posts').set({ message, mention_all: mentionAll ? 1 : 0, edited_at: editedAt }).where('id', '=', id).where('deleted_at', 'is', null).execute();
    const post = await this.get(id);
    if (post !== undefined && post.deleted_at === null && search !== undefined) await writeIndex(this.db, this.dialect, num(post.seq), post.channel_id, search);
    return post;
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
    await removeIndex(this.db, this.dialect, ids);
    return ids;
  }
  async touchThread(rootId: string, delta: number, lastReplyAt: number | null, replier?: string): Promise<void> {
    if (delta > 0) {
      // The replier moves to the front of the root's participants (within the channel's write lock on PostgreSQL, see `create`).
      const root = replier === undefined ? undefined : await this.db.selectFrom('posts').select('reply_participants').where('id', '=', rootId).executeTakeFirst();
      const participants = root === undefined ? undefined : JSON.stringify([replier, ...parseIds(root.reply_participants).filter((id) => id !== replier)].slice(0, MAX_PARTICIPANTS));
      await this.db.updateTable('posts')
        .set((eb) => ({ reply_count: eb('reply_count', '+', delta), last_reply_at: lastReplyAt, ...(participants === undefined ? {} : { reply_participants: participants }) }))
        .where('id', '=', rootId).execute();
      return;
    }
    // A reply went away: recount from the live replies so the numbers can never drift.
    const { rows } = await sql<{ n: number; last: number | null }>`
      SELECT COUNT(*) AS n, MAX(created_at) AS last FROM posts WHERE root_post_id = ${rootId} AND deleted_at IS NULL`.execute(this.db);
    const r = rows[0]!;
    const recent = await sql<{ user_id: string }>`
      SELECT user_id FROM posts WHERE root_post_id = ${rootId} AND deleted_at IS NULL GROUP BY user_id ORDER BY MAX(seq) DESC LIMIT ${MAX_PARTICIPANTS}`.execute(this.db);
    await this.db.updateTable('posts')
      .set({ reply_count: num(r.n), last_reply_at: r.last === null ? null : num(r.last), reply_participants: JSON.stringify(recent.rows.map((p) => p.user_id)) })
      .where('id', '=', rootId).execute();
  }
  async setPinned(id: string, pinned: boolean): Promise<Post | undefined> {
    await this.db.updateTable('posts').set({ is_pinned: pinned ? 1 : 0 }).where('id', '=', id).where('deleted_at', 'is', null).execute();
    return this.get(id);
  }
  async setFileIds(id: string, fileIds: string): Promise<Post | undefined> {
    await this.db.updateTable('posts').set({ file_ids: fileIds }).where('id', '=', id).where('deleted_at', 'is', null).execute();
    return this.get(id);
  }
  async listChannel(channelId: string, opts: { before?: number | undefined; after?: number | undefined; limit: number; pinnedOnly?: boolean; rootsOnly?: boolean }): Promise<PostPage> {
    let q = this.db.selectFrom('posts').selectAll().where('channel_id', '=', channelId).where('deleted_at', 'is', null);
    if (opts.rootsOnly) q = q.where('root_post_id', 'is', null);
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
  async mentionedBy(postId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('post_mentions').select('user_id').where('post_id', '=', postId).orderBy('user_id').execute();
    return rows.map((r) => r.user_id);
  }
  async seqBefore(channelId: string, seq: number): Promise<number> {
    const r = await this.db.selectFrom('posts').select('seq').where('channel_id', '=', channelId).where('seq', '<', seq).where('deleted_at', 'is', null).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return r === undefined ? 0 : num(r.seq);
  }
  addReaction(reaction: Reaction): Promise<boolean> {
    return this.reactions.addReaction(reaction);
  }
  removeReaction(postId: string, userId: string, emoji: string): Promise<boolean> {
    return this.reactions.removeReaction(postId, userId, emoji);
  }
  reactionsFor(postIds: readonly string[]): Promise<Reaction[]> {
    return this.reactions.reactionsFor(postIds);
  }
  save(userId: string, postId: string, at: number): Promise<boolean> {
    return this.saved.save(userId, postId, at);
  }
  unsave(userId: string, postId: string): Promise<boolean> {
    return this.saved.unsave(userId, postId);
  }
  listSaved(userId: string, offset: number, limit: number): Promise<Post[]> {
    return this.saved.listSaved(userId, offset, limit);
  }
}
