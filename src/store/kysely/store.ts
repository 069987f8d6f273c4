/**
 * The Store over Kysely: one implementation for both dialects, composed of one sub-store per
 * entity (users.ts, channels.ts, posts.ts, ...). Dialect-specific setup (opening, pragmas,
 * pools) lives in store/sqlite and store/postgres; the only dialect branches in the
 * sub-stores are the few SQL spellings that differ. This file owns the transaction boundary.
 */
import { sql, type Kysely } from 'kysely';
import { NO_EVENTS, type ControlMessage, type EventPublisher, type RealtimeEvent } from '../../domain/events.js';
import type { Dialect } from '../migrations.js';
import type { Database } from '../schema.js';
import { GroupCommit } from '../group-commit.js';
import { Outbox } from '../outbox.js';
import type { SealedValueStore } from '../sealed.js';
import type { SsoStore } from '../sso.js';
import type { SearchStore } from '../search.js';
import type { AuditStore, ChannelStore, CustomEmojiStore, FileStore, PasswordResetStore, PostStore, SessionStore, TeamStore, Tx, UserStore, PreviewStore, ThreadStore } from '../store.js';
import { AccessTokens, Bots } from './access-tokens.js';
import { Audit } from './audit.js';
import { Commands } from './commands.js';
import type { AccessTokenStore, BotStore } from '../access-tokens.js';
import type { CommandStore } from '../commands.js';
import { Channels } from './channels.js';
import { CustomEmojis } from './custom-emoji.js';
import { Files } from './files.js';
import { PasswordResets } from './password-resets.js';
import { Posts } from './posts.js';
import { Previews } from './previews.js';
import { AttachmentImages } from './attachment-images.js';
import type { AttachmentImageStore } from '../attachment-images.js';
import { Search } from './search.js';
import { KyselySealedValueStore } from './sealed.js';
import { Sessions } from './sessions.js';
import { Sidebars } from './sidebars.js';
import { Notifications } from './notifications.js';
import type { NotificationStore } from '../notifications.js';
import type { SidebarStore } from '../sidebars.js';
import type { Db } from './shared.js';
import { KyselySsoStore } from './sso.js';
import { Teams } from './teams.js';
import { Threads } from './threads.js';
import { Users } from './users.js';
import { Webhooks } from './webhooks.js';
import type { WebhookStore } from '../webhooks.js';

export interface KyselyStoreOptions {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  /** Batch concurrent transactions into one commit (see store/group-commit.ts). */
  readonly groupCommit?: boolean;
  /** With group commit: waits for this process's turn to write (several workers on one SQLite file; cluster/write-turns.ts). */
  readonly writeTurn?: () => Promise<() => void>;
  /** Where committed writes' events go (the bus); without it they are dropped (CLI, store tests). */
  readonly events?: EventPublisher;
  /** Told when `events` throws for a committed write (the write still succeeds); default: rethrown on the next tick, as an uncaught error. */
  readonly onEventError?: (err: unknown) => void;
  /** Extra cleanup (closing the driver) after Kysely is destroyed. */
  readonly onClose?: () => Promise<void> | void;
}

/**
 * The root store (no outbox) and, for each transaction or write, a store over its
 * connection with that write's outbox (see store/outbox.ts).
 */
export class KyselyStore implements Tx {
  readonly dialect: Dialect;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly teams: TeamStore;
  readonly channels: ChannelStore;
  readonly posts: PostStore;
  readonly threads: ThreadStore;
  readonly files: FileStore;
  readonly customEmoji: CustomEmojiStore;
  readonly previews: PreviewStore;
  readonly attachmentImages: AttachmentImageStore;
  readonly search: SearchStore;
  readonly audit: AuditStore;
  readonly sso: SsoStore;
  readonly sealed: SealedValueStore;
  readonly passwordResets: PasswordResetStore;
  readonly sidebars: SidebarStore;
  readonly webhooks: WebhookStore;
  readonly accessTokens: AccessTokenStore;
  readonly bots: BotStore;
  readonly commands: CommandStore;
  readonly notifications: NotificationStore;

  private readonly committer: GroupCommit<KyselyStore> | undefined;

  constructor(
    private readonly options: KyselyStoreOptions,
    private readonly db: Db = options.db,
    private readonly inTransaction = false,
    private readonly outbox?: Outbox,
  ) {
    this.committer = outbox === undefined && options.groupCommit
      ? new GroupCommit<KyselyStore>(options.db, (trx) => new KyselyStore(options, trx, true, new Outbox()), (tx) => tx.deliver(), options.writeTurn)
      : undefined;
    this.dialect = options.dialect;
    this.users = new Users(db, options.dialect);
    this.sessions = new Sessions(db);
    this.teams = new Teams(db, options.dialect);
    this.channels = new Channels(db, outbox);
    this.posts = new Posts(db, options.dialect, outbox);
    this.threads = new Threads(db);
    this.files = new Files(db, options.dialect);
    this.customEmoji = new CustomEmojis(db, options.dialect);
    this.previews = new Previews(db);
    this.attachmentImages = new AttachmentImages(db);
    this.search = new Search(db, options.dialect);
    this.audit = new Audit(db);
    this.sso = new KyselySsoStore(db);
    this.sealed = new KyselySealedValueStore(db);
    this.passwordResets = new PasswordResets(db, options.dialect);
    this.sidebars = new Sidebars(db);
    this.webhooks = new Webhooks(db);
    this.accessTokens = new AccessTokens(db);
    this.bots = new Bots(db, options.dialect);
    this.commands = new Commands(db, options.dialect);
    this.notifications = new Notifications(db);
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    if (this.committer !== undefined) return this.committer.run(fn);
    let tx: KyselyStore | undefined;
    const value = await this.options.db.transaction().execute((trx) => fn((tx = new KyselyStore(this.options, trx, true, new Outbox()))));
    tx!.deliver();
    return value;
  }

  async write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.committer !== undefined) return this.committer.run(fn);
    // Already inside a write: its outbox leaves with the enclosing commit.
    if (this.outbox !== undefined) return fn(this);
    // Autocommit: the statement has committed once `fn` resolves.
    const tx = new KyselyStore(this.options, this.db, false, new Outbox());
    const value = await fn(tx);
    tx.deliver();
    return value;
  }

  publish(event: RealtimeEvent): void {
    this.queue().publish(event);
  }

  control(message: ControlMessage): void {
    this.queue().control(message);
  }

  private queue(): Outbox {
    // Typed away (only a Tx has publish); this guards the class itself.
    if (this.outbox === undefined) throw new Error('Events are published through a transaction or write, after its commit');
    return this.outbox;
  }

  /** Hands this write's events to the bus: call only after its COMMIT. */
  private deliver(): void {
    this.outbox?.deliver(this.options.events ?? NO_EVENTS, this.options.onEventError ?? rethrowLater);
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.options.db.destroy();
    await this.options.onClose?.();
  }
}

/** Without a handler, a failing subscriber is a bug to see: an uncaught error, not a failed write. */
function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}
