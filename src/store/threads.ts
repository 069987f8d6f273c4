/**
 * Storage of followed threads (collapsed reply threads): per user and thread root, whether the
 * user follows it, how far they have read it and their unread reply and mention counts; and
 * the per-user preference to collapse replies into threads.
 *
 * Counts are kept up to date by each reply (`replied`, one statement per reply, however many
 * follow); whatever can make them drift (a deleted or edited reply, a new or renewed follow)
 * recounts them from the posts (`recount`). Mentions: explicit @mentions of the user
 * (post_mentions) plus @channel/@all replies by others.
 */
import type { ThreadMembership } from '../domain/entities.js';

export type { ThreadMembership };

/** A followed thread's place in the list, for paging: (updated_at, root seq), newest first. */
export interface ThreadCursor {
  readonly updated_at: number;
  readonly root_seq: number;
}

export interface ThreadTotals {
  readonly channel_id: string;
  readonly team_id: string | null;
  /** Followed threads (with a live root) in the channel. */
  readonly threads: number;
  /** Those with unread replies. */
  readonly unread_threads: number;
  readonly unread_mentions: number;
}

export interface ThreadStore {
  get(userId: string, rootId: string): Promise<ThreadMembership | undefined>;
  /**
   * A new reply in the thread: every membership's `updated_at` becomes the reply's time; those
   * who follow it, other than its author and not already past it, get one more unread reply,
   * and one more unread mention when `mentioned` names them or `mentionAll`.
   */
  replied(rootId: string, reply: { readonly seq: number; readonly user_id: string; readonly created_at: number }, mentioned: readonly string[], mentionAll: boolean): Promise<void>;
  /**
   * Makes `userIds` follow the thread. `mode` 'always': also a user who had unfollowed it
   * (replying, being mentioned); 'if_new': only users with no membership yet (the root's
   * author when the first reply comes). New and renewed memberships are counted from the
   * posts. Returns the users who follow it now and did not before.
   */
  follow(rootId: string, channelId: string, userIds: readonly string[], at: number, mode: 'always' | 'if_new'): Promise<string[]>;
  /** Follows or unfollows by hand (creating the membership when needed); true when it changed. */
  setFollowing(userId: string, rootId: string, channelId: string, following: boolean, at: number): Promise<boolean>;
  /**
   * Marks the thread read for the user up to `throughSeq` (default: its newest reply), creating
   * a membership that is not followed when there is none. Returns the membership after it.
   */
  markRead(userId: string, rootId: string, channelId: string, at: number, throughSeq?: number): Promise<ThreadMembership>;
  /** Recounts unread replies and mentions from the posts for the thread's memberships (or only `userIds`'). */
  recount(rootId: string, userIds?: readonly string[]): Promise<void>;
  /** Memberships of the thread's followers. */
  followers(rootId: string): Promise<ThreadMembership[]>;
  /**
   * The user's followed threads whose root is live, in `channelIds` only, newest activity
   * first, strictly after `before`; `unreadOnly`: with unread replies only.
   */
  list(userId: string, opts: { channelIds: readonly string[]; before?: ThreadCursor | undefined; limit: number; unreadOnly?: boolean }): Promise<ThreadMembership[]>;
  /** Per channel: the user's followed threads (live roots), how many have unread replies, unread mentions. */
  totals(userId: string): Promise<ThreadTotals[]>;
  /** The user's preference (undefined: never set; the default is collapsed). */
  collapsed(userId: string): Promise<boolean | undefined>;
  setCollapsed(userId: string, collapsed: boolean, at: number): Promise<void>;
}
