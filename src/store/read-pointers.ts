/** Storage of read pointers (how far each member has read a channel) and the unread counts they give. */

export interface UnreadRow {
  readonly channel_id: string;
  readonly team_id: string | null;
  readonly last_viewed_seq: number;
  readonly last_post_seq: number;
  readonly unread_count: number;
  readonly mention_count: number;
}

/** Part of ChannelStore: a read pointer belongs to a channel membership. */
export interface ReadPointerStore {
  /** Moves the read pointer (never backwards unless `allowBackwards`). */
  setLastViewed(channelId: string, userId: string, seq: number, at: number, allowBackwards?: boolean): Promise<void>;
  /**
   * Unread and mention counts for one membership, or all of a user's (channelId omitted).
   * Unread: live posts by others after the read pointer. Mentions: @user and @channel/@all
   * among those; in direct and group channels every unread post is a mention.
   * `rootsOnly` (collapsed threads): replies count in their thread instead (store/threads.ts), not here.
   */
  unreads(userId: string, channelId?: string, opts?: { rootsOnly?: boolean }): Promise<UnreadRow[]>;
  /** Marks every channel of the user read; returns the channel ids that changed. */
  markAllRead(userId: string, at: number): Promise<string[]>;
}
