/** Kysely table types: what the queries in store/kysely may read and write. */
import type { Generated } from 'kysely';
import type { AccessToken, AttachmentImage, Bot, Channel, ChannelMember, Command, CustomEmoji, FileInfo, Post, PostPreview, Reaction, Session, Team, TeamMember, User } from '../domain/entities.js';
import type { SidebarRow } from './sidebars.js';
import type { PushDevice, QueuedEmail } from './notifications.js';
import type { ExchangeCode, OAuthState, SsoProvider, UserIdentity } from '../domain/sso.js';
import type { IncomingWebhook, OutgoingWebhook, WebhookDelivery } from '../domain/webhooks.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface PostTable extends Omit<Mutable<Post>, 'seq' | 'reply_participants'> {
  seq: Generated<number>;
  reply_participants: Generated<string>;
}

export interface PostMentionTable {
  post_id: string;
  channel_id: string;
  user_id: string;
  seq: number;
}

export interface SavedPostTable {
  user_id: string;
  post_id: string;
  created_at: number;
}

export interface AuditTable {
  id: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string;
  ip: string;
  details: string;
  created_at: number;
}

export interface PasswordResetTokenTable {
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface ThreadMembershipTable {
  user_id: string;
  root_id: string;
  channel_id: string;
  following: number;
  last_viewed_seq: number;
  last_viewed_at: number;
  unread_replies: number;
  unread_mentions: number;
  updated_at: number;
}

export interface ThreadSettingsTable {
  user_id: string;
  collapsed_threads: number;
  updated_at: number;
}

export interface NotifyPrefsTable {
  user_id: string;
  props: string;
  /** Since migration 16; null: no schedule set. */
  dnd_schedule: string | null;
  updated_at: number;
}

export interface ChannelNotifyPropsTable {
  channel_id: string;
  user_id: string;
  props: string;
  updated_at: number;
}

export interface NotifyEmailQueueTable extends Omit<Mutable<QueuedEmail>, 'id'> {
  id: Generated<number>;
}

export interface MigrationTable {
  version: number;
  name: string;
  applied_at: number;
}

export interface Database {
  users: Mutable<User>;
  sessions: Mutable<Session>;
  teams: Mutable<Team>;
  team_members: Mutable<TeamMember>;
  channels: Mutable<Channel>;
  channel_members: Mutable<ChannelMember>;
  posts: PostTable;
  post_mentions: PostMentionTable;
  reactions: Mutable<Reaction>;
  saved_posts: SavedPostTable;
  audit_log: AuditTable;
  schema_migrations: MigrationTable;
  sso_providers: Mutable<SsoProvider>;
  user_identities: Mutable<UserIdentity>;
  oauth_states: Mutable<OAuthState>;
  oauth_exchange_codes: Mutable<ExchangeCode>;
  password_reset_tokens: PasswordResetTokenTable;
  files: Mutable<FileInfo>;
  custom_emoji: Mutable<CustomEmoji>;
  post_previews: Mutable<PostPreview>;
  post_attachment_images: Mutable<AttachmentImage>;
  thread_memberships: ThreadMembershipTable;
  thread_settings: ThreadSettingsTable;
  user_sidebars: SidebarRow;
  incoming_webhooks: Mutable<IncomingWebhook>;
  outgoing_webhooks: Mutable<OutgoingWebhook>;
  webhook_deliveries: Mutable<WebhookDelivery>;
  access_tokens: Mutable<AccessToken>;
  bots: Mutable<Bot>;
  commands: Mutable<Command>;
  notify_prefs: NotifyPrefsTable;
  channel_notify_props: ChannelNotifyPropsTable;
  notify_email_queue: NotifyEmailQueueTable;
  push_devices: Mutable<PushDevice>;
}
