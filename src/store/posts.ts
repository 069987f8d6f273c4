/** Storage of posts and their mentions; reactions and saved posts are part of it (store/reactions.ts, store/saved-posts.ts). */
import type { Post } from '../domain/entities.js';
import type { ReactionStore } from './reactions.js';
import type { SearchDocument } from './search.js';
import type { SavedPostStore } from './saved-posts.js';

/** A post to insert: its seq comes from the database, a new post has no repliers yet. */
export type NewPost = Omit<Post, 'seq' | 'reply_participants'>;

export interface PostPage {
  readonly posts: Post[];
  readonly hasMore: boolean;
}

export interface PostStore extends ReactionStore, SavedPostStore {
  /**
   * Inserts the post and returns it with its global `seq`; within a channel, seq order is
   * commit order. Throws UniqueViolation on a repeated client_msg_id, and NotFound when the
   * channel is gone (deleted after the caller's access check). `readBy`: also moves that
   * member's read pointer up to the new post, in the same atomic step. Takes the channel's
   * next event number for the write's events (store/outbox.ts), in the same statement.
   * `search`: the post's index entry, written in the same atomic step.
   */
  create(post: NewPost, options?: { readBy?: string; search?: SearchDocument }): Promise<Post>;
  get(id: string): Promise<Post | undefined>;
  getByClientMsgId(userId: string, clientMsgId: string): Promise<Post | undefined>;
  getMany(ids: readonly string[]): Promise<Post[]>;
  /** `search`: the new index entry (an edited word stops matching in the same transaction). */
  updateMessage(id: string, message: string, mentionAll: boolean, editedAt: number, search?: SearchDocument): Promise<Post | undefined>;
  /** Soft-deletes the post (and, for a root post, its replies) and their index entries; returns the ids deleted. */
  softDelete(id: string, at: number): Promise<string[]>;
  /**
   * Bumps (delta 1) or lowers (delta -1) the root's reply count and sets its last reply time.
   * Bumping with `replier` also puts them first in the root's `reply_participants`; lowering
   * recounts count, time and participants from the live replies.
   */
  touchThread(rootId: string, delta: number, lastReplyAt: number | null, replier?: string): Promise<void>;
  setPinned(id: string, pinned: boolean): Promise<Post | undefined>;
  /** Replaces the post's list of attached file ids (a JSON array), when a file leaves it. */
  setFileIds(id: string, fileIds: string): Promise<Post | undefined>;
  /** Live posts of a channel, newest first. `before`/`after` are exclusive seq bounds; `rootsOnly`: no replies (collapsed threads). */
  listChannel(channelId: string, opts: { before?: number | undefined; after?: number | undefined; limit: number; pinnedOnly?: boolean; rootsOnly?: boolean }): Promise<PostPage>;
  /** Live replies of a thread in order, after the `afterSeq` cursor. */
  listThread(rootId: string, afterSeq: number, limit: number): Promise<PostPage>;
  replaceMentions(postId: string, channelId: string, seq: number, userIds: readonly string[]): Promise<void>;
  /** The users a post mentions by name or @here (what replaceMentions recorded). */
  mentionedBy(postId: string): Promise<string[]>;
  /** The seq of the newest live post at or before `seq` in the channel; 0 when none. */
  seqBefore(channelId: string, seq: number): Promise<number>;
}
