/**
 * The storage interface. Services depend on this, never on a driver. Verbs are boring on
 * purpose; every method runs inside the surrounding transaction when called on the `tx`
 * handed to `transaction()`. One sub-store per entity, each in its own file (store/users.ts,
 * store/channels.ts, ...), composed here.
 *
 * The store speaks only its own errors (store/errors.ts: UniqueViolation, NotFound); the
 * services turn them into domain errors.
 *
 * Implementations: store/kysely (one implementation over two dialects: embedded SQLite in
 * store/sqlite, PostgreSQL in store/postgres). The contract suite in test/store/contract
 * checks both.
 */
import type { AccessTokenStore, BotStore } from './access-tokens.js';
import type { AuditStore } from './audit.js';
import type { CommandStore } from './commands.js';
import type { ChannelStore } from './channels.js';
import type { CustomEmojiStore } from './custom-emoji.js';
import type { EventPublisher } from '../domain/events.js';
import type { FileStore } from './files.js';
import type { SearchStore } from './search.js';
import type { Dialect } from './migrations.js';
import type { NotificationStore } from './notifications.js';
import type { PasswordResetStore } from './password-resets.js';
import type { PostStore } from './posts.js';
import type { PreviewStore } from './previews.js';
import type { AttachmentImageStore } from './attachment-images.js';
import type { SealedValueStore } from './sealed.js';
import type { SessionStore } from './sessions.js';
import type { SidebarStore } from './sidebars.js';
import type { SsoStore } from './sso.js';
import type { TeamStore } from './teams.js';
import type { ThreadStore } from './threads.js';
import type { UserStore } from './users.js';
import type { WebhookStore } from './webhooks.js';

export type { AccessTokenStore, BotStore } from './access-tokens.js';
export type { AuditEntry, AuditStore } from './audit.js';
export type { CommandPatch, CommandStore } from './commands.js';
export type { ChannelAccessRow, ChannelStats, ChannelStore } from './channels.js';
export type { CustomEmojiStore } from './custom-emoji.js';
export type { FileStore } from './files.js';
export type { FileQuery, PostPageRequest, PostQuery, SearchDocument, SearchStore } from './search.js';
export type { NewQueuedEmail, NotificationStore, NotifyRecipientRow, PushDevice, RecipientFilter, QueuedEmail, StoredPrefs } from './notifications.js';
export type { PasswordResetStore, PasswordResetToken } from './password-resets.js';
export type { NewPost, PostPage, PostStore } from './posts.js';
export type { PreviewStore } from './previews.js';
export type { AttachmentImageStore } from './attachment-images.js';
export type { ReactionStore } from './reactions.js';
export type { ReadPointerStore, UnreadRow } from './read-pointers.js';
export type { SavedPostStore } from './saved-posts.js';
export type { SessionStore, SessionWithUser } from './sessions.js';
export type { SidebarRow, SidebarStore } from './sidebars.js';
export type { TeamStore, TeamWithMembership } from './teams.js';
export type { ThreadCursor, ThreadMembership, ThreadStore, ThreadTotals } from './threads.js';
export type { NewUser, UserPatch, UserStore } from './users.js';
export type { IncomingPatch, OutgoingPatch, WebhookStore } from './webhooks.js';

export interface Store {
  readonly dialect: Dialect;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly teams: TeamStore;
  readonly channels: ChannelStore;
  readonly posts: PostStore;
  /** Followed threads: read positions and unread counts per user and thread, and the collapsed-threads preference. */
  readonly threads: ThreadStore;
  /** Metadata of shared files. */
  readonly files: FileStore;
  /** Custom emoji (their images are in the files storage). */
  readonly customEmoji: CustomEmojiStore;
  /** Link previews of posts (one per post). */
  readonly previews: PreviewStore;
  /** Images of posts' Slack attachments, fetched by the server (any number per post). */
  readonly attachmentImages: AttachmentImageStore;
  /** Full-text search and the other searches, filtered by the caller's read scope inside the query. */
  readonly search: SearchStore;
  readonly audit: AuditStore;
  /** Single sign-on: providers, identities, login states, exchange codes. */
  readonly sso: SsoStore;
  /** Sealed secrets at rest, by column (key rotation). */
  readonly sealed: SealedValueStore;
  readonly passwordResets: PasswordResetStore;
  /** Each user's sidebar arrangement. */
  readonly sidebars: SidebarStore;
  /** Incoming and outgoing webhooks, and the outgoing ones' delivery log. */
  readonly webhooks: WebhookStore;
  /** Personal access tokens (each with a session of kind `token`). */
  readonly accessTokens: AccessTokenStore;
  /** Bot accounts and their owners. */
  readonly bots: BotStore;
  /** Custom slash commands per team. */
  readonly commands: CommandStore;
  /** Notification preferences, the e-mail notification queue and push devices. */
  readonly notifications: NotificationStore;
  /**
   * Runs `fn` in one transaction: all of it commits (durably) before the promise resolves, or none of it.
   * The events `fn` queued on `tx` are published after the commit, before the promise resolves.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs a single-statement write durably, as cheaply as the database allows: on the embedded
   * database it joins the group commit (its fsync shared with the writes running alongside);
   * elsewhere it runs as it is (one autocommit statement, no extra round trips). Events
   * queued on `tx` are published once it has committed, as with `transaction`.
   */
  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Answers when the database is reachable (readiness probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The store inside `transaction()` or `write()`: the same verbs, plus the write's outbox.
 * `publish` and `control` queue real-time events; the store hands them to the bus only after
 * the COMMIT that holds this write (in the order queued, before the write's promise
 * resolves; with group commit, after the shared COMMIT, in commit order) and drops them when
 * it rolls back. Services have no other way to reach the bus, so an event can neither
 * describe an uncommitted change nor be written somewhere a write forgot it.
 */
export interface Tx extends Store, EventPublisher {}
