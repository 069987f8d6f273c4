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
  /** `token`: the session behind a personal access token (access_tokens row of the same id). */
  readonly kind: 'password' | 'sso' | 'bot' | 'token';
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
  /** On a thread root: the ids of its most recent repliers, newest first (JSON array text, a few at most). */
  readonly reply_participants: string;
  readonly client_msg_id: string | null;
  /** 1 when the post mentions @channel/@all (everyone in the channel). */
  readonly mention_all: number;
}

/** A user's place in a thread (a root post): whether they follow it, how far they have read it, what is unread. */
export interface ThreadMembership {
  readonly user_id: string;
  readonly root_id: string;
  readonly channel_id: string;
  /** 1 when it is in the user's Threads list. */
  readonly following: number;
  /** The user's read position in the thread (a post seq). */
  readonly last_viewed_seq: number;
  readonly last_viewed_at: number;
  readonly unread_replies: number;
  readonly unread_mentions: number;
  /** The thread's last activity: the list's order. */
  readonly updated_at: number;
}

export interface Reaction {
  readonly post_id: string;
  readonly user_id: string;
  readonly emoji_name: string;
  readonly created_at: number;
}

/** A file shared in a channel (metadata; the bytes are in BlobStorage under `storage_key`). */
/**
 * The link preview of a post (migration 10, table `post_previews`): what the page at its
 * first link says about itself, fetched by the server after the post committed. At most one
 * per post. `dismissed` = 1: the author removed it; the row stays (with the link it was for,
 * and no content) so a fetch still in flight cannot put it back; an edit that changes the
 * first link replaces the row.
 */
export interface PostPreview {
  readonly post_id: string;
  /** The link as written in the post (what the author linked, not where redirects led). */
  readonly url: string;
  readonly title: string | null;
  readonly description: string | null;
  readonly site_name: string | null;
  /** The stored image (storage key under `previews/`), a WebP made by the server, or null. */
  readonly image_key: string | null;
  readonly image_width: number | null;
  readonly image_height: number | null;
  readonly dismissed: number;
  readonly created_at: number;
}

/**
 * An image of a post's Slack attachment (migration 17, table `post_attachment_images`): the
 * attachment's `image_url` or `thumb_url`, fetched by the server after the post committed
 * (services/attachment-images.ts) and kept as a WebP the server made, never the remote bytes.
 * Only the server writes these rows: the storage key is never something a client can set.
 */
export interface AttachmentImage {
  readonly post_id: string;
  /** The attachment's position in the post's `props.attachments` (0-based). */
  readonly attachment_index: number;
  /** Which of the attachment's URLs: `image` (image_url) or `thumb` (thumb_url). */
  readonly kind: AttachmentImageKind;
  /** The stored WebP (storage key under `previews/`, as a link preview's image). */
  readonly image_key: string;
  readonly width: number;
  readonly height: number;
  readonly created_at: number;
}

export type AttachmentImageKind = 'image' | 'thumb';

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

/** A custom emoji: a name usable as `:name:` and as a reaction, and its image (WebP, at most 128 × 128). */
export interface CustomEmoji {
  readonly id: string;
  /** `^[a-z0-9_+-]{1,64}$`, never a standard emoji name, unique among live custom emoji. */
  readonly name: string;
  readonly creator_id: string;
  /** The image in the files storage (server-generated key under `emoji/`). */
  readonly storage_key: string;
  readonly created_at: number;
  /** Set when deleted: the name is free again; the stored image is removed after the commit. */
  readonly deleted_at: number | null;
}

/** A personal access token (its secret is never stored: `token_hash` is its SHA-256). */
export interface AccessToken {
  /** Also the id of the `sessions` row (kind `token`) the token authenticates as. */
  readonly id: string;
  readonly user_id: string;
  readonly token_hash: string;
  readonly description: string;
  readonly created_by: string;
  readonly created_at: number;
  readonly last_used_at: number | null;
}

/** A bot account: a `users` row with is_bot = 1, owned by a person. */
export interface Bot {
  readonly user_id: string;
  readonly owner_id: string;
  readonly description: string;
  readonly created_at: number;
  readonly updated_at: number;
}

/** A team's custom slash command; `token_sealed` is the request token sealed with SecretBox (store/sealed.ts COMMAND_TOKEN). */
export interface Command {
  readonly id: string;
  readonly team_id: string;
  readonly creator_id: string;
  readonly trigger_word: string;
  readonly url: string;
  readonly method: 'POST' | 'GET';
  readonly token_sealed: string;
  readonly auto_complete: number;
  readonly auto_complete_hint: string;
  readonly auto_complete_desc: string;
  readonly display_name: string;
  readonly description: string;
  readonly created_at: number;
  readonly updated_at: number;
  readonly deleted_at: number | null;
}
