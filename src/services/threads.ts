/**
 * Followed threads (collapsed reply threads, as in Mattermost): the caller's list of followed
 * threads with unread replies and mentions, following by hand, marking a thread read, and the
 * preference to collapse replies out of the channel's post list.
 *
 * Who follows a thread without asking: the root's author and the people the root mentions
 * (once it gets its first reply, unless they unfollowed it before), whoever replies, and
 * whoever a reply @mentions by name. Those
 * writes happen in the reply's own transaction (`trackReply`, called by PostService), with the
 * thread events queued on it, so they leave only after the commit.
 *
 * Every route answers through Access: a thread is its root post (Access.post, so a thread in a
 * channel the caller cannot read is a 404 like an unknown id), the list keeps only threads in
 * channels the caller may read now (Access.canReadChannel), and thread events reach only
 * followers who may read the channel (Access.readersAmong).
 */
import type { Post } from '../domain/entities.js';
import { badRequest, invalid } from '../domain/errors.js';
import { isUuid } from '../domain/ids.js';
import { parseMentions, resolveMentionNames } from '../domain/mentions.js';
import { threadView, type PostView, type ThreadView } from '../domain/presenters.js';
import type { Store, ThreadMembership, Tx } from '../store/store.js';
import type { Access } from './access.js';
import type { CallContext, ServiceDeps } from './context.js';
import type { PostService } from './posts.js';

export interface ThreadListQuery {
  readonly team_id?: string | undefined;
  /** The root id of the last thread of the previous page. */
  readonly before?: string | undefined;
  readonly per_page?: number | undefined;
  readonly unread?: boolean | undefined;
}

export interface ThreadList {
  readonly threads: ThreadView[];
  readonly has_more: boolean;
  /** Pass as `before` for the next page; null on the last. */
  readonly next_before: string | null;
  /** Over every followed thread the caller can read (in the team, when one is given): */
  readonly total: number;
  readonly total_unread_threads: number;
  readonly total_unread_mentions: number;
}

export interface ThreadPreferences {
  /** true (the default): replies stay out of channel post lists; false: they show inline. */
  readonly collapsed_threads: boolean;
}

type ViewOf = (post: Post, store: Store) => Promise<PostView>;

/** Whether the user keeps replies out of channel lists and channel unread counts (the preference; on by default). */
export async function collapsedThreads(store: Store, userId: string): Promise<boolean> {
  return (await store.threads.collapsed(userId)) ?? true;
}

/** A membership for a thread the user has no row for yet (never followed, never read). */
function noMembership(userId: string, root: Post): ThreadMembership {
  return { user_id: userId, root_id: root.id, channel_id: root.channel_id, following: 0, last_viewed_seq: 0, last_viewed_at: 0, unread_replies: 0, unread_mentions: 0, updated_at: 0 };
}

/**
 * Queues `thread_updated` for each follower of the thread who may read its channel, with that
 * follower's own counts (inside the write that changed the thread: sent after its commit).
 * `followedNow`: followers who just started following (told first, `thread_follow_changed`).
 */
export async function publishThreadUpdated(tx: Tx, access: Access, viewOf: ViewOf, rootId: string, followedNow: readonly string[] = []): Promise<void> {
  const root = await tx.posts.get(rootId);
  if (root === undefined || root.deleted_at !== null) return;
  const followers = await tx.threads.followers(rootId);
  if (followers.length === 0) return;
  const readers = new Set(await access.readersAmong(root.channel_id, followers.map((f) => f.user_id), tx));
  if (readers.size === 0) return;
  for (const userId of followedNow) {
    if (readers.has(userId)) tx.publish({ event: 'thread_follow_changed', data: { thread_id: rootId, channel_id: root.channel_id, following: true }, broadcast: { user_id: userId } });
  }
  const view = await viewOf(root, tx);
  for (const m of followers) {
    if (readers.has(m.user_id)) tx.publish({ event: 'thread_updated', data: { thread: threadView(m, view) }, broadcast: { user_id: m.user_id } });
  }
}

/**
 * A new reply, inside its transaction (after the post, its mentions and the root's counters
 * are written): counts for those who follow the thread, the automatic follows, the replier's
 * read position, and the thread events.
 */
export async function trackReply(
  tx: Tx, access: Access, viewOf: ViewOf,
  reply: Post, root: { readonly authorId: string; readonly message: string }, mentions: { readonly counted: readonly string[]; readonly named: readonly string[]; readonly all: boolean },
  firstReply: boolean,
): Promise<void> {
  const rootId = reply.root_post_id!;
  const channelId = reply.channel_id;
  const at = reply.created_at;
  await tx.threads.replied(rootId, reply, mentions.counted, mentions.all);
  const followed = await tx.threads.follow(rootId, channelId, [reply.user_id, ...mentions.named], at, 'always');
  // The thread starts with its first reply: its root's author follows it, and so do the people
  // the root mentioned by name (not everyone @here reached: that would make a whole channel follow).
  const starters = [root.authorId, ...(firstReply ? await namedInRoot(tx, rootId, root.message) : [])].filter((id) => id !== reply.user_id);
  followed.push(...(await tx.threads.follow(rootId, channelId, starters, at, 'if_new')));
  await tx.threads.markRead(reply.user_id, rootId, channelId, at, reply.seq);
  await publishThreadUpdated(tx, access, viewOf, rootId, followed);
}

/** Who the root mentioned by @name (among those its mention rows counted: members, active, at the time). */
async function namedInRoot(tx: Tx, rootId: string, message: string): Promise<string[]> {
  const parsed = parseMentions(message);
  if (parsed.usernames.length === 0) return [];
  const found = await tx.users.getByUsernames(parsed.usernames);
  const names = new Set(resolveMentionNames(message, new Set(found.map((u) => u.username))));
  const named = new Set(found.filter((u) => names.has(u.username)).map((u) => u.id));
  return (await tx.posts.mentionedBy(rootId)).filter((id) => named.has(id));
}

export class ThreadService {
  constructor(private readonly deps: ServiceDeps, private readonly access: Access, private readonly posts: PostService) {}

  /** The thread of a root post the caller may read; a reply's id is refused (400), a hidden or unknown post is a 404. */
  private async root(ctx: CallContext, rootId: string): Promise<Post> {
    const { post } = await this.access.post(ctx, rootId);
    if (post.root_post_id !== null) throw badRequest('This post is a reply: a thread is named by its root post', { root_post_id: post.root_post_id });
    return post;
  }

  private async view(userId: string, root: Post, store: Store = this.deps.store): Promise<ThreadView> {
    const m = (await store.threads.get(userId, root.id)) ?? noMembership(userId, root);
    return threadView(m, await this.posts.view(root, store));
  }

  async get(ctx: CallContext, rootId: string): Promise<ThreadView> {
    const root = await this.root(ctx, rootId);
    return this.view(ctx.actor.userId, root);
  }

  /** The caller's followed threads in channels they may read now, newest activity first. */
  async list(ctx: CallContext, q: ThreadListQuery): Promise<ThreadList> {
    const userId = ctx.actor.userId;
    if (q.team_id !== undefined) await this.access.team(ctx, q.team_id, 'read');
    const limit = Math.min(Math.max(q.per_page ?? 25, 1), 100);
    const readable: string[] = [];
    let total = 0;
    let unreadThreads = 0;
    let unreadMentions = 0;
    for (const t of await this.deps.store.threads.totals(userId)) {
      // A team's list also holds direct and group messages (they belong to no team), as in Mattermost.
      if (q.team_id !== undefined && t.team_id !== null && t.team_id !== q.team_id) continue;
      if (!(await this.access.canReadChannel(ctx, t.channel_id))) continue;
      readable.push(t.channel_id);
      total += t.threads;
      unreadThreads += t.unread_threads;
      unreadMentions += t.unread_mentions;
    }
    let before: { updated_at: number; root_seq: number } | undefined;
    if (q.before !== undefined) {
      const m = isUuid(q.before) ? await this.deps.store.threads.get(userId, q.before) : undefined;
      const root = m === undefined ? undefined : await this.deps.store.posts.get(q.before);
      if (m === undefined || root === undefined) throw invalid('before', 'before must be the id of a thread from the previous page');
      before = { updated_at: m.updated_at, root_seq: root.seq };
    }
    const rows = await this.deps.store.threads.list(userId, { channelIds: readable, before, limit: limit + 1, unreadOnly: q.unread === true });
    const page = rows.slice(0, limit);
    const roots = new Map((await this.deps.store.posts.getMany(page.map((m) => m.root_id))).map((p) => [p.id, p]));
    const views = new Map((await this.posts.views([...roots.values()])).map((v) => [v.id, v]));
    const threads = page.flatMap((m) => {
      const v = views.get(m.root_id);
      return v === undefined ? [] : [threadView(m, v)];
    });
    const hasMore = rows.length > limit;
    return {
      threads, has_more: hasMore, next_before: hasMore ? (page.at(-1)?.root_id ?? null) : null,
      total, total_unread_threads: unreadThreads, total_unread_mentions: unreadMentions,
    };
  }

  async setFollowing(ctx: CallContext, rootId: string, following: boolean): Promise<ThreadView> {
    const root = await this.root(ctx, rootId);
    const userId = ctx.actor.userId;
    return this.deps.store.transaction(async (tx) => {
      if (await tx.threads.setFollowing(userId, root.id, root.channel_id, following, root.last_reply_at ?? root.created_at)) {
        tx.publish({ event: 'thread_follow_changed', data: { thread_id: root.id, channel_id: root.channel_id, following }, broadcast: { user_id: userId } });
      }
      return this.view(userId, root, tx);
    });
  }

  /** Marks the thread read up to its newest reply, on every device of the caller. */
  async markRead(ctx: CallContext, rootId: string): Promise<ThreadView> {
    const root = await this.root(ctx, rootId);
    const userId = ctx.actor.userId;
    return this.deps.store.transaction(async (tx) => {
      const m = await tx.threads.markRead(userId, root.id, root.channel_id, this.deps.clock());
      tx.publish({
        event: 'thread_read_changed',
        data: { thread_id: root.id, channel_id: root.channel_id, last_viewed_at: m.last_viewed_at, unread_replies: m.unread_replies, unread_mentions: m.unread_mentions },
        broadcast: { user_id: userId },
      });
      return threadView(m, await this.posts.view(root, tx));
    });
  }

  async preferences(ctx: CallContext): Promise<ThreadPreferences> {
    return { collapsed_threads: await collapsedThreads(this.deps.store, ctx.actor.userId) };
  }

  async setPreferences(ctx: CallContext, prefs: ThreadPreferences): Promise<ThreadPreferences> {
    await this.deps.store.threads.setCollapsed(ctx.actor.userId, prefs.collapsed_threads, this.deps.clock());
    return prefs;
  }
}
