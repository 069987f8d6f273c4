/**
 * The Store over Kysely: one implementation for both dialects, composed of one sub-store per
 * entity (users.ts, channels.ts, posts.ts, ...). Dialect-specific setup (opening, pragmas,
 * pools) lives in store/sqlite and store/postgres; the only dialect branches in the
 * sub-stores are the few SQL spellings that differ. This file owns the transaction boundary.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../migrations.js';
import type { Database } from '../schema.js';
import { GroupCommit } from '../group-commit.js';
import type { SealedValueStore } from '../sealed.js';
import type { SsoStore } from '../sso.js';
import type { AuditStore, ChannelStore, PasswordResetStore, PostStore, SessionStore, Store, TeamStore, UserStore } from '../store.js';
import { Audit } from './audit.js';
import { Channels } from './channels.js';
import { PasswordResets } from './password-resets.js';
import { Posts } from './posts.js';
import { KyselySealedValueStore } from './sealed.js';
import { Sessions } from './sessions.js';
import type { Db } from './shared.js';
import { KyselySsoStore } from './sso.js';
import { Teams } from './teams.js';
import { Users } from './users.js';

export interface KyselyStoreOptions {
  readonly dialect: Dialect;
  readonly db: Kysely<Database>;
  /** Batch concurrent transactions into one commit (see store/group-commit.ts). */
  readonly groupCommit?: boolean;
  /** Extra cleanup (closing the driver) after Kysely is destroyed. */
  readonly onClose?: () => Promise<void> | void;
}

export class KyselyStore implements Store {
  readonly dialect: Dialect;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly teams: TeamStore;
  readonly channels: ChannelStore;
  readonly posts: PostStore;
  readonly audit: AuditStore;
  readonly sso: SsoStore;
  readonly sealed: SealedValueStore;
  readonly passwordResets: PasswordResetStore;

  private readonly committer: GroupCommit<Store> | undefined;

  constructor(
    private readonly options: KyselyStoreOptions,
    private readonly db: Db = options.db,
    private readonly inTransaction = false,
  ) {
    this.committer = !inTransaction && options.groupCommit ? new GroupCommit<Store>(options.db, (trx) => new KyselyStore(options, trx, true)) : undefined;
    this.dialect = options.dialect;
    this.users = new Users(db, options.dialect);
    this.sessions = new Sessions(db);
    this.teams = new Teams(db, options.dialect);
    this.channels = new Channels(db);
    this.posts = new Posts(db, options.dialect);
    this.audit = new Audit(db);
    this.sso = new KyselySsoStore(db);
    this.sealed = new KyselySealedValueStore(db);
    this.passwordResets = new PasswordResets(db, options.dialect);
  }

  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    if (this.committer !== undefined) return this.committer.run(fn);
    return this.options.db.transaction().execute((trx) => fn(new KyselyStore(this.options, trx, true)));
  }

  write<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    return this.committer !== undefined ? this.committer.run(fn) : fn(this);
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.options.db.destroy();
    await this.options.onClose?.();
  }
}
