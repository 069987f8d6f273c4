/** Chooses the store: PostgreSQL when a database URL is configured, the embedded SQLite otherwise. */
import type { LogEvent } from 'kysely';
import type { EventPublisher } from '../domain/events.js';
import { KyselyStore } from './kysely/store.js';
import { migrate, type MigrationReport } from './migrate.js';
import { openSqlite } from './sqlite/open.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly poolSize: number;
  /** PostgreSQL: statements are cancelled after this long (default: never; migrations never are). */
  readonly statementTimeoutMs?: number;
  /** Apply pending migrations before returning (default true). */
  readonly migrate?: boolean;
  readonly log?: (event: LogEvent) => void;
  /** Receives the events of committed writes (the bus); without it they are dropped. */
  readonly events?: EventPublisher;
  /** Told when `events` throws for a committed write (the write itself still succeeds). */
  readonly onEventError?: (err: unknown) => void;
  /** Embedded database with several worker processes: waits for this one's turn to write (cluster/write-turns.ts). */
  readonly writeTurn?: () => Promise<() => void>;
}

export async function openStore(options: OpenStoreOptions): Promise<{ store: Store; migrations: MigrationReport | undefined }> {
  const log = options.log ? { log: options.log } : {};
  if (options.databaseUrl !== undefined) {
    // `pg` loads only for PostgreSQL: the embedded database starts without it (issue #11).
    const { openPostgres } = await import('./postgres/open.js');
    const { db } = openPostgres({ url: options.databaseUrl, poolSize: options.poolSize, ...(options.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: options.statementTimeoutMs }), ...log });
    const store = new KyselyStore({ dialect: 'postgres', db, events: options.events, onEventError: options.onEventError });
    try {
      const migrations = options.migrate === false ? undefined : await migrate(db, 'postgres');
      return { store, migrations };
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  const { db, raw } = openSqlite({ dataDir: options.dataDir, ...log });
  const store = new KyselyStore({ dialect: 'sqlite', db, groupCommit: true, ...(options.writeTurn === undefined ? {} : { writeTurn: options.writeTurn }), events: options.events, onEventError: options.onEventError, onClose: () => { if (raw.open) raw.close(); } });
  try {
    const migrations = options.migrate === false ? undefined : await migrate(db, 'sqlite');
    return { store, migrations };
  } catch (err) {
    await store.close();
    throw err;
  }
}
