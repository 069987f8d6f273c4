/**
 * Rows as the store returns them. Columns are snake_case so rows flow to presenters
 * without a mapping layer; times are milliseconds since the epoch; flags are 0/1.
 */
export type SystemRole = 'system_admin' | 'system_user';
export type TeamRole = 'team_admin' | 'member';
export type ChannelRole = 'channel_admin' | 'member';
export type TeamType = 'open' | 'invite';
export type ChannelType = 'public' | 'private' | 'direct' | 'group';

export interface User {
  readonly id: string;
  readonly username: string;
  readonly email: string;
  readonly password_hash: string | null;
  readonly display_name: string;
  readonly first_name: string;
  readonly last_name: string;
  readonly nickname: string;
  readonly position: string;
  readonly avatar_url: string | null;
  /** Storage key of the uploaded avatar (its sizes are derived keys); null: initials. */
  readonly avatar_key: string | null;
  readonly is_bot: number;
  readonly role: SystemRole;
  readonly status_text: string;
  readonly status_emoji: string;
  readonly timezone: string;
  /** When the custom status ends (null: kept until changed); an expired one reads as empty. */
  readonly status_expires_at: number | null;
  readonly email_verified: number;
  readonly created_at: number;
  readonly updated_at: number;
  readonly deactivated_at: number | null;
}

export interface Session {
  readonly id: string;
  readonly user_id: string;
  readonly kind: 'password' | 'sso' | 'bot';
  readonly created_at: number;
  readonly expires_at: number;
  readonly revoked_at: number | null;
  readonly user_agent: string;
  readonly ip: string;
}

export interface Team {
  readonly id: string;
  readonly name: string;
  readonly display_name: string;
  readonly description: string;
  readonly type: TeamType;
  readonly creator_id: string;
  readonly created_at: number;
  readonly updated_at: number;
  readonly archived_at: number | null;
}

export interface TeamMember {
  readonly team_id: string;
  readonly user_id: string;
  readonly role: TeamRole;
  readonly created_at: number;
}

export interface Channel {
  readonly id: string;
  readonly team_id: string | null;
  readonly type: ChannelType;
  readonly name: string;
  readonly display_name: string;
  readonly purpose: string;
  readonly header: string;
  readonly creator_id: string;
  readonly created_at: number;
  readonly updated_at: number;
  readonly archived_at: number | null;
  readonly last_post_at: number;
  readonly last_post_seq: number;
  /**
   * How many ordered real-time events the channel has published: each write that publishes
   * one takes the next number (posts/channels stores), which its events carry so that every
   * node delivers them in commit order (realtime/bus/ordered.ts). 0 for a new channel.
   */
  readonly event_seq: number;
  /** Sorted member ids for direct/group channels (their uniqueness key); null otherwise. */
  readonly member_key: string | null;
}

export interface ChannelMember {
  readonly channel_id: string;
  readonly user_id: string;
  readonly role: ChannelRole;
  readonly last_viewed_seq: number;
  readonly last_viewed_at: number;
  readonly created_at: number;
}

export interface Post {
  readonly seq: number;
  readonly id: string;
  readonly channel_id: string;
  readonly user_id: string;
  readonly root_post_id: string | null;
  readonly message: string;
  /** JSON object text. */
  readonly props: string;
  /** JSON array text. */
  readonly file_ids: string;
  readonly is_pinned: number;
  readonly created_at: number;
  readonly edited_at: number | null;
  readonly deleted_at: number | null;
  readonly reply_count: number;
  readonly last_reply_at: number | null;
  readonly client_msg_id: string | null;
  /** 1 when the post mentions @channel/@all (everyone in the channel). */
  readonly mention_all: number;
}

export interface Reaction {
  readonly post_id: string;
  readonly user_id: string;
  readonly emoji_name: string;
  readonly created_at: number;
}

/** A file shared in a channel (metadata; the bytes are in BlobStorage under `storage_key`). */
export interface FileInfo {
  readonly id: string;
  /** The uploader. */
  readonly user_id: string;
  /** The channel it was uploaded to; it can only be attached to a post there. */
  readonly channel_id: string;
  /** Null until a post attaches it. */
  readonly post_id: string | null;
  readonly name: string;
  /** Detected from the bytes, never taken from the client. */
  readonly mime_type: string;
  readonly size: number;
  readonly width: number | null;
  readonly height: number | null;
  /** 1: a thumbnail and a preview exist (derived keys `thumb`, `preview`). */
  readonly has_preview: number;
  readonly storage_key: string;
  readonly created_at: number;
  /** Set when its post was deleted: the row goes once the stored objects are gone. */
  readonly deleted_at: number | null;
}
