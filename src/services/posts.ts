/**
 * Posts: create (idempotent per client_msg_id), edit, soft delete, threads, reactions, pins,
 * saved posts, mentions and the read-pointer moves that go with them. Every read goes
 * through Access.channel or Access.post (which also answers ownership: POST_POLICY), including
 * the lists (saved posts are filtered by current access).
 */
import { randomUUID } from 'node:crypto';
import type { AttachmentImage, FileInfo, Post, PostPreview, Reaction } from '../domain/entities.js';
import { firstLink } from '../domain/link-preview.js';
import { badRequest, invalid, notFound } from '../domain/errors.js';
import { isUuid } from '../domain/ids.js';
import { parseMentions, resolveMentionNames } from '../domain/mentions.js';
import type { ChannelContext } from '../domain/policy.js';
import { postView, reactionView, type PostView } from '../domain/presenters.js';
import { validateEmoji, validateMessage } from '../domain/rules.js';
import { searchDocument } from '../domain/search.js';
import type { Metrics } from '../observability/metrics.js';
import { NotFound, UniqueViolation } from '../store/errors.js';
import type { NewPost, Store, Tx } from '../store/store.js';
import type { Access } from './access.js';
import { knownEmoji } from './emoji.js';
import type { FileService } from './files.js';
import { clampPage, type CallContext, type PresenceReader, type ServiceDeps } from './context.js';
import type { NotifyHooks } from './notifications.js';
import { collapsedThreads, publishThreadUpdated, trackReply } from './threads.js';

export interface PostInput {
  readonly message: string;
  readonly root_post_id?: string | undefined;
  readonly file_ids?: readonly string[] | undefined;
  readonly props?: Readonly<Record<string, unknown>> | undefined;
  readonly client_msg_id?: string | undefined;
  /** The sender confirmed a @channel/@all/@here in a big channel (services/notifications.ts). */
  readonly confirm_channel_mention?: boolean | undefined;
}

export interface ChannelPage {
  readonly messages: PostView[];
  readonly has_more: boolean;
  readonly read_state: { readonly last_read_seq: number; readonly first_unread_seq: number | null } | null;
}

export interface ThreadPage {
  readonly order: string[];
  readonly posts: Record<string, PostView>;
  readonly next_cursor: string | null;
}

const MAX_PROPS_BYTES = 8 * 1024;
/**
 * Props keys only the server sets: `from_*`, `override_*`, `system_*` (webhooks, bots, system
 * messages), `webhook_id`, and `attachments` (Slack attachments: only a webhook's, cleaned by
 * services/webhooks.ts, so a client cannot store a javascript: link, or an image URL that
 * other clients would draw and the server would fetch: services/attachment-images.ts).
 */
export const RESERVED_PROPS = /^(from_|override_|system_|webhook_id$|attachments$)/;

function checkProps(props: Readonly<Record<string, unknown>> | undefined): string {
  if (props === undefined) return '{}';
  const text = JSON.stringify(props);
  if (Buffer.byteLength(text) > MAX_PROPS_BYTES) throw invalid('props', `props must be at most ${MAX_PROPS_BYTES} bytes of JSON`);
  for (const key of Object.keys(props)) {
    // Keys the server sets itself (webhooks, bots, system messages) cannot be forged by clients.
    if (RESERVED_PROPS.test(key)) throw invalid('props', `props.${key} is reserved`);
  }
  return text;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const by = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = by.get(k);
    if (list) list.push(item);
    else by.set(k, [item]);
  }
  return by;
}

/** `file_ids` of a new post: distinct ids; the store checks that each is the author's unattached upload to this channel. */
function checkFileIds(ids: readonly string[] | undefined): string[] {
  if (ids === undefined || ids.length === 0) return [];
  if (ids.length > MAX_FILES_PER_POST) throw invalid('file_ids', `A post can have at most ${MAX_FILES_PER_POST} files`);
  if (new Set(ids).size !== ids.length) throw invalid('file_ids', 'file_ids lists a file twice');
  if (!ids.every(isUuid)) throw invalid('file_ids', 'file_ids must be ids of uploaded files');
  return [...ids];
}

export const MAX_FILES_PER_POST = 10;

/**
 * What a server-side caller (webhooks) adds to a post it makes through `create`: props the
 * server sets (clients cannot: `checkProps` refuses their reserved keys), and whether the post
 * may have no text (a webhook post made of attachments).
 */
export interface ServerPostOptions {
  readonly props?: Readonly<Record<string, unknown>>;
  readonly allowEmpty?: boolean;
  /**
   * A webhook's post: nobody is there to answer the @channel confirmation (its creator chose the
   * text when setting it up). Never for a post made on someone's behalf who could be asked (a
   * slash command's answer asks its caller, like any post).
   */
  readonly noChannelMentionConfirm?: boolean;
}

/** Told after a post committed (outgoing webhooks); never awaited, never able to fail the post. */
export type PostCreatedListener = (post: PostView, channel: ChannelContext, author: { readonly userId: string; readonly username: string }) => void;

/** What posts need of the link preview service (services/link-previews.ts). */
export interface PreviewHooks {
  /** After the commit: fetch a preview of the post's first link, in the background. */
  schedule(post: { readonly id: string; readonly message: string }): void;
  /** After the commit: remove the images of preview rows the write deleted. */
  forget(rows: readonly PostPreview[]): Promise<void>;
}

/** What posts need of the attachment image service (services/attachment-images.ts). */
export interface AttachmentImageHooks {
  /** After the commit: fetch the images of the post's `props.attachments`, in the background. */
  schedule(post: { readonly id: string; readonly user_id: string; readonly props: Readonly<Record<string, unknown>> }): void;
  /** After the commit: remove the objects of the rows the write deleted. */
  forget(rows: readonly AttachmentImage[]): Promise<void>;
}

/** Whether a post's props (JSON text) may hold attachments: only those posts' images are looked up. */
const mayHaveAttachments = (props: string): boolean => props.includes('"attachments"');

export class PostService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly access: Access,
    private readonly presence: PresenceReader,
    private readonly metrics: Metrics,
    private readonly files: FileService,
    /** Link previews (scheduled after a post commits; removed with it). */
    private readonly previews: PreviewHooks,
    /** Notifications: the @channel check before a post, the decision after it. */
    private readonly notify: NotifyHooks,
    /** Attachment images (fetched after a post with attachments commits; removed with it). */
    private readonly attachmentImages: AttachmentImageHooks,
  ) {}

  private readonly createdListeners: PostCreatedListener[] = [];

  /** Calls `listener` after each new post committed (its `posted` event is out by then). */
  onCreated(listener: PostCreatedListener): void {
    this.createdListeners.push(listener);
  }

  /**
   * Views of posts with their reactions, their files' metadata (looked up only for posts that
   * have some), their link previews (only for posts with a link) and their attachment images
   * (only for posts with attachments).
   */
  private async withReactions(posts: readonly Post[], store: Store = this.deps.store): Promise<PostView[]> {
    const withFiles = posts.filter((p) => p.file_ids !== '[]').map((p) => p.id);
    const withLinks = posts.filter((p) => /https?:\/\//i.test(p.message)).map((p) => p.id);
    const withAttachments = posts.filter((p) => mayHaveAttachments(p.props)).map((p) => p.id);
    const [reactions, files, previews, images] = await Promise.all([
      store.posts.reactionsFor(posts.map((p) => p.id)), store.files.forPosts(withFiles), store.previews.forPosts(withLinks), store.attachmentImages.forPosts(withAttachments),
    ]);
    const by = groupBy(reactions, (r) => r.post_id);
    const filesBy = groupBy(files, (f) => f.post_id!);
    const previewOf = new Map(previews.map((r) => [r.post_id, r]));
    const imagesBy = groupBy(images, (r) => r.post_id);
    return posts.map((p) => postView(p, by.get(p.id) ?? [], filesBy.get(p.id) ?? [], previewOf.get(p.id), imagesBy.get(p.id) ?? []));
  }

  /** Views of several posts (reactions and files in two queries). */
  views(posts: readonly Post[]): Promise<PostView[]> {
    return this.withReactions(posts);
  }

  async view(post: Post, store: Store = this.deps.store): Promise<PostView> {
    return (await this.withReactions([post], store))[0]!;
  }

  /**
   * Resolves mentions to channel members: explicit @usernames, plus online members for @here.
   * `named`: those mentioned by name (they follow the thread of a reply that mentions them).
   */
  private async mentionTargets(store: Store, channelId: string, authorId: string, message: string): Promise<{ userIds: string[]; named: string[]; all: boolean }> {
    const parsed = parseMentions(message);
    if (parsed.all) return { userIds: [], named: [], all: true };
    const ids = new Set<string>();
    const named = new Set<string>();
    if (parsed.usernames.length > 0 || parsed.here) {
      const members = new Set(await store.channels.memberIds(channelId));
      if (parsed.usernames.length > 0) {
        const found = await store.users.getByUsernames(parsed.usernames);
        const names = new Set(resolveMentionNames(message, new Set(found.map((u) => u.username))));
        for (const u of found) {
          if (names.has(u.username) && members.has(u.id) && u.deactivated_at === null) {
            ids.add(u.id);
            named.add(u.id);
          }
        }
      }
      if (parsed.here) {
        const presence = await this.presence.presenceOf([...members]);
        for (const id of members) if (presence.get(id) === 'online') ids.add(id);
      }
    }
    ids.delete(authorId);
    named.delete(authorId);
    return { userIds: [...ids], named: [...named], all: false };
  }

  /** A new post by the caller (`server`: what a server-side caller such as a webhook adds, see ServerPostOptions). */
  async create(ctx: CallContext, channelId: string, input: PostInput, server: ServerPostOptions = {}): Promise<{ post: PostView; created: boolean }> {
    const row = await this.access.channel(ctx, channelId, 'post');
    const userId = ctx.actor.userId;
    if (input.client_msg_id !== undefined) {
      const existing = await this.deps.store.posts.getByClientMsgId(userId, input.client_msg_id);
      if (existing !== undefined) return { post: await this.replay(existing, channelId), created: false };
    }
    const fileIds = checkFileIds(input.file_ids);
    const message = validateMessage(input.message, fileIds.length > 0 || server.allowEmpty === true);
    const checked = checkProps(input.props);
    const props = server.props === undefined ? checked : JSON.stringify({ ...(JSON.parse(checked) as Record<string, unknown>), ...server.props });
    // A webhook's post cannot answer the confirmation dialog (noChannelMentionConfirm). The
    // per-account @channel flood limit still applies to it.
    await this.notify.checkChannelMention(ctx, row, message, input.confirm_channel_mention === true || server.noChannelMentionConfirm === true);
    let rootId: string | null = null;
    let rootAuthorId = '';
    let rootMessage = '';
    let firstReply = false;
    if (input.root_post_id !== undefined) {
      const root = await this.deps.store.posts.get(input.root_post_id);
      if (root === undefined || root.deleted_at !== null || root.channel_id !== channelId) throw invalid('root_post_id', 'The thread does not exist in this channel');
      rootId = root.root_post_id ?? root.id;
      const thread = root.root_post_id === null ? root : ((await this.deps.store.posts.get(rootId)) ?? root);
      rootAuthorId = thread.user_id;
      rootMessage = thread.message;
      firstReply = thread.reply_count === 0;
    }
    const now = this.deps.clock();
    const postId = randomUUID();
    // The post's search index entry, written with it.
    const search = searchDocument(message);
    const newPost = (mentionAll: boolean): NewPost => ({
      id: postId, channel_id: channelId, user_id: userId, root_post_id: rootId, message, props, file_ids: JSON.stringify(fileIds), is_pinned: 0,
      created_at: now, edited_at: null, deleted_at: null, reply_count: 0, last_reply_at: null, client_msg_id: input.client_msg_id ?? null,
      mention_all: mentionAll ? 1 : 0,
    });
    // Posting marks the channel read for its author (`readBy`).
    let view: PostView;
    let stored: Post | undefined;
    try {
      const parsed = parseMentions(message);
      if (rootId === null && fileIds.length === 0 && !parsed.all && !parsed.here && parsed.usernames.length === 0) {
        // The common case, one write: a single statement on PostgreSQL, the group commit on SQLite.
        view = await this.deps.store.write(async (tx) => this.posted(tx, row, ctx.actor.username, (stored = await tx.posts.create(newPost(false), { readBy: userId, search })), []));
      } else {
        view = await this.deps.store.transaction(async (tx) => {
          const targets = await this.mentionTargets(tx, channelId, userId, message);
          const created = await tx.posts.create(newPost(targets.all), { readBy: userId, search });
          stored = created;
          let files: FileInfo[] = [];
          if (fileIds.length > 0) {
            // All or nothing: a file that is not the author's unattached upload to this channel rolls the post back.
            const attached = await tx.files.attach(fileIds, postId, userId, channelId);
            if (attached.length !== fileIds.length) throw invalid('file_ids', 'Each file must be your own upload to this channel, not yet attached to a post');
            files = await tx.files.forPosts([postId]);
          }
          if (targets.userIds.length > 0) await tx.posts.replaceMentions(created.id, channelId, created.seq, targets.userIds);
          if (rootId !== null) await tx.posts.touchThread(rootId, 1, now, userId);
          const view = this.posted(tx, row, ctx.actor.username, created, targets.all ? await tx.channels.memberIds(channelId) : targets.userIds, files);
          // Followed threads: counts, automatic follows and thread events, after `posted` in the outbox.
          if (rootId !== null) await trackReply(tx, this.access, (p, s) => this.view(p, s), created, { authorId: rootAuthorId, message: rootMessage }, { counted: targets.userIds, named: targets.named, all: targets.all }, firstReply);
          return view;
        });
      }
    } catch (err) {
      // A retry raced its original: answer with the post that won.
      if (err instanceof UniqueViolation && input.client_msg_id !== undefined) {
        const existing = await this.deps.store.posts.getByClientMsgId(userId, input.client_msg_id);
        if (existing !== undefined) return { post: await this.replay(existing, channelId), created: false };
      }
      // The channel was deleted after the access check above.
      if (err instanceof NotFound) throw notFound('Channel');
      throw err;
    }
    this.metrics.postsCreated.inc();
    this.previews.schedule(view);
    this.attachmentImages.schedule(view);
    if (stored !== undefined) this.notify.posted(row, stored, ctx.actor.username);
    for (const listener of this.createdListeners) {
      try {
        listener(view, row, ctx.actor);
      } catch (err) {
        this.deps.logger.error({ err, post_id: view.id }, 'a post-created listener failed');
      }
    }
    return { post: view, created: true };
  }

  private async replay(existing: Post, channelId: string): Promise<PostView> {
    if (existing.channel_id !== channelId) throw badRequest('client_msg_id was already used for a post in another channel');
    if (existing.deleted_at !== null) throw notFound('Post');
    return this.view(existing);
  }

  /** Queues the `posted` event of a new post on its write; returns the post's view. */
  private posted(tx: Tx, row: ChannelContext, senderName: string, created: Post, mentioned: readonly string[], files: readonly FileInfo[] = []): PostView {
    const { channel } = row;
    const post = postView(created, [], files);
    const mentions = mentioned.filter((id) => id !== created.user_id);
    tx.publish({
      event: 'posted',
      data: {
        post,
        channel_type: channel.type,
        channel_name: channel.name,
        channel_display_name: channel.display_name,
        team_id: channel.team_id,
        sender_name: senderName,
        mentions,
      },
      broadcast: { channel_id: channel.id },
    });
    return post;
  }

  async get(ctx: CallContext, postId: string): Promise<PostView> {
    const { post } = await this.access.post(ctx, postId);
    return this.view(post);
  }

  async edit(ctx: CallContext, postId: string, message: string): Promise<PostView> {
    const { post } = await this.access.post(ctx, postId, 'edit');
    const text = validateMessage(message, post.file_ids !== '[]');
    const now = this.deps.clock();
    // Another first link: the old preview goes with the edit, a new one is fetched after it.
    const linkChanged = firstLink(post.message) !== firstLink(text);
    let dropped: PostPreview[] = [];
    const view = await this.deps.store.transaction(async (tx) => {
      const targets = await this.mentionTargets(tx, post.channel_id, post.user_id, text);
      const p = await tx.posts.updateMessage(postId, text, targets.all, now, searchDocument(text));
      if (p === undefined) return undefined;
      await tx.posts.replaceMentions(postId, post.channel_id, post.seq, targets.userIds);
      if (linkChanged) dropped = await tx.previews.deleteForPosts([postId]);
      // In the channel's commit order with its posts (an edit never overtakes its `posted`).
      await tx.channels.takeEventSeq(post.channel_id);
      const edited = await this.view(p, tx);
      tx.publish({ event: 'post_edited', data: { post: edited }, broadcast: { channel_id: post.channel_id } });
      if (post.root_post_id !== null) {
        // A mention added or removed changes the followers' unread mentions.
        await tx.threads.recount(post.root_post_id);
        await publishThreadUpdated(tx, this.access, (r, s) => this.view(r, s), post.root_post_id);
      }
      return edited;
    });
    if (view === undefined) throw notFound('Post');
    if (linkChanged) {
      await this.previews.forget(dropped);
      this.previews.schedule(view);
    }
    return view;
  }

  async delete(ctx: CallContext, postId: string): Promise<void> {
    const { post } = await this.access.post(ctx, postId, 'delete');
    const now = this.deps.clock();
    const { ids: deleted, files, previews, images } = await this.deps.store.transaction(async (tx) => {
      const ids = await tx.posts.softDelete(postId, now);
      if (ids.length === 0) return { ids, files: [], previews: [], images: [] };
      if (post.root_post_id !== null) await tx.posts.touchThread(post.root_post_id, -1, null);
      // The files of the post (and of the replies deleted with a root) go with it.
      const gone = await tx.files.markDeletedForPosts(ids, now);
      const dropped = await tx.previews.deleteForPosts(ids);
      // So do their attachment images (the objects after the commit).
      const droppedImages = await tx.attachmentImages.deleteForPosts(ids);
      await tx.channels.takeEventSeq(post.channel_id);
      tx.publish({ event: 'post_deleted', data: { post: { ...postView(post), message: '', props: {} } }, broadcast: { channel_id: post.channel_id } });
      if (post.root_post_id !== null) {
        await tx.threads.recount(post.root_post_id);
        await publishThreadUpdated(tx, this.access, (r, s) => this.view(r, s), post.root_post_id);
      }
      return { ids, files: gone, previews: dropped, images: droppedImages };
    });
    if (deleted.length === 0) throw notFound('Post');
    await this.files.removeObjects(files);
    await this.previews.forget(previews);
    await this.attachmentImages.forget(images);
  }

  /**
   * A channel's posts, newest first. `before`/`after` accept a post id or a seq. With collapsed
   * threads (`collapsed_threads`, else the caller's preference, default on) replies stay out:
   * their roots carry reply_count, last_reply_at and participants instead.
   */
  async listChannel(ctx: CallContext, channelId: string, opts: { before?: string | undefined; after?: string | undefined; limit?: number | undefined; collapsed_threads?: boolean | undefined }): Promise<ChannelPage> {
    const { member } = await this.access.channel(ctx, channelId);
    const limit = Math.min(Math.max(opts.limit ?? 60, 1), 100);
    const before = opts.before === undefined ? undefined : await this.cursorSeq(channelId, opts.before);
    const after = opts.after === undefined ? undefined : await this.cursorSeq(channelId, opts.after);
    const rootsOnly = opts.collapsed_threads ?? (await collapsedThreads(this.deps.store, ctx.actor.userId));
    const page = await this.deps.store.posts.listChannel(channelId, { before, after, limit, rootsOnly });
    let readState: ChannelPage['read_state'] = null;
    if (member !== undefined) {
      const lastRead = member.last_viewed_seq;
      // The newest page already holds every post after the read pointer when it reaches down
      // to it (or holds the whole channel): the first unread is in it, no second query.
      const oldest = page.posts.at(-1)?.seq;
      const pageHasAllUnread = before === undefined && after === undefined && (!page.hasMore || (oldest !== undefined && oldest <= lastRead));
      let firstUnread: number | null;
      if (pageHasAllUnread) {
        firstUnread = null;
        for (const p of page.posts) if (p.seq > lastRead && (firstUnread === null || p.seq < firstUnread)) firstUnread = p.seq;
      } else {
        firstUnread = (await this.deps.store.posts.listChannel(channelId, { after: lastRead, limit: 1, rootsOnly })).posts[0]?.seq ?? null;
      }
      readState = { last_read_seq: lastRead, first_unread_seq: firstUnread };
    }
    return { messages: await this.withReactions(page.posts), has_more: page.hasMore, read_state: readState };
  }

  async pinned(ctx: CallContext, channelId: string): Promise<PostView[]> {
    await this.access.channel(ctx, channelId);
    const page = await this.deps.store.posts.listChannel(channelId, { limit: 100, pinnedOnly: true });
    return this.withReactions(page.posts);
  }

  private async cursorSeq(channelId: string, cursor: string): Promise<number> {
    if (/^\d{1,15}$/.test(cursor)) return Number(cursor);
    if (isUuid(cursor)) {
      const p = await this.deps.store.posts.get(cursor);
      if (p !== undefined && p.channel_id === channelId) return p.seq;
    }
    throw badRequest('Cursor must be a post id of this channel or a sequence number');
  }

  /** The thread a post belongs to: root first, then replies in order, paged by `cursor`. */
  async thread(ctx: CallContext, postId: string, opts: { cursor?: string | undefined; limit?: number | undefined }): Promise<ThreadPage> {
    const { post } = await this.access.post(ctx, postId);
    const root = post.root_post_id === null ? post : await this.deps.store.posts.get(post.root_post_id);
    if (root === undefined || root.deleted_at !== null) throw notFound('Post');
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 200);
    let after = 0;
    if (opts.cursor !== undefined) {
      if (!/^\d{1,15}$/.test(opts.cursor)) throw badRequest('cursor must be a sequence number');
      after = Number(opts.cursor);
    }
    const page = await this.deps.store.posts.listThread(root.id, after, limit);
    const list = opts.cursor === undefined ? [root, ...page.posts] : page.posts;
    const views = await this.withReactions(list);
    const last = page.posts[page.posts.length - 1];
    return {
      order: views.map((v) => v.id),
      posts: Object.fromEntries(views.map((v) => [v.id, v])),
      next_cursor: page.hasMore && last !== undefined ? String(last.seq) : null,
    };
  }

  async react(ctx: CallContext, postId: string, emoji: string, add: boolean): Promise<PostView> {
    const { post } = await this.access.post(ctx, postId, 'react');
    // Adding needs a known emoji; removing works for any name (a custom emoji deleted since stays removable).
    const name = add ? await knownEmoji(this.deps.store, emoji) : validateEmoji(emoji);
    const reaction: Reaction = { post_id: postId, user_id: ctx.actor.userId, emoji_name: name, created_at: this.deps.clock() };
    const changed = await this.deps.store.write(async (tx) => {
      if (!(await (add ? tx.posts.addReaction(reaction) : tx.posts.removeReaction(postId, ctx.actor.userId, name)))) return false;
      tx.publish({ event: add ? 'reaction_added' : 'reaction_removed', data: { reaction: reactionView(reaction) }, broadcast: { channel_id: post.channel_id } });
      return true;
    });
    if (!changed && !add) throw notFound('Reaction');
    return this.view(post);
  }

  async pin(ctx: CallContext, postId: string, pinned: boolean): Promise<PostView> {
    await this.access.post(ctx, postId, 'pin');
    const view = await this.deps.store.write(async (tx) => {
      const updated = await tx.posts.setPinned(postId, pinned);
      if (updated === undefined) return undefined;
      await tx.channels.takeEventSeq(updated.channel_id);
      const edited = await this.view(updated, tx);
      tx.publish({ event: 'post_edited', data: { post: edited }, broadcast: { channel_id: updated.channel_id } });
      return edited;
    });
    if (view === undefined) throw notFound('Post');
    return view;
  }

  async save(ctx: CallContext, postId: string, saved: boolean): Promise<void> {
    await this.access.post(ctx, postId);
    if (saved) await this.deps.store.posts.save(ctx.actor.userId, postId, this.deps.clock());
    else if (!(await this.deps.store.posts.unsave(ctx.actor.userId, postId))) throw notFound('Saved post');
  }

  /** Saved posts in channels the caller can still read. */
  async saved(ctx: CallContext, page?: number, perPage?: number): Promise<PostView[]> {
    const { offset, limit } = clampPage(page, perPage, 100);
    const posts = await this.deps.store.posts.listSaved(ctx.actor.userId, offset, limit);
    const readable = new Map<string, boolean>();
    for (const channelId of new Set(posts.map((p) => p.channel_id))) readable.set(channelId, await this.access.canReadChannel(ctx, channelId));
    return this.withReactions(posts.filter((p) => readable.get(p.channel_id) === true));
  }

  /** Marks the channel unread from this post on (for the caller). */
  async markUnread(ctx: CallContext, postId: string): Promise<{ channel_id: string; last_viewed_seq: number; unread_count: number; mention_count: number }> {
    const { post } = await this.access.post(ctx, postId, 'mark_unread');
    const seq = await this.deps.store.posts.seqBefore(post.channel_id, post.seq);
    return this.deps.store.write(async (tx) => {
      await tx.channels.setLastViewed(post.channel_id, ctx.actor.userId, seq, this.deps.clock(), true);
      const unread = (await tx.channels.unreads(ctx.actor.userId, post.channel_id, { rootsOnly: await collapsedThreads(tx, ctx.actor.userId) }))[0]!;
      const result = { channel_id: post.channel_id, last_viewed_seq: seq, unread_count: unread.unread_count, mention_count: unread.mention_count };
      tx.publish({ event: 'post_unread', data: { ...result, post_id: postId }, broadcast: { user_id: ctx.actor.userId } });
      return result;
    });
  }
}

