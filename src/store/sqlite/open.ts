/**
 * The embedded database: SQLite through better-sqlite3, in WAL mode with
 * `synchronous=FULL` so that every acknowledged commit is on disk before we answer.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type LogEvent, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { Database } from '../schema.js';

export interface SqliteOpenOptions {
  /** Directory holding `rustchat.db`; `:memory:` for tests of pure logic only. */
  readonly dataDir: string;
  readonly log?: (event: LogEvent) => void;
}

export function openSqlite(options: SqliteOpenOptions): { db: Kysely<Database>; raw: BetterSqlite3.Database } {
  let file = ':memory:';
  if (options.dataDir !== ':memory:') {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    file = join(options.dataDir, 'rustchat.db');
    ownerOnly(file);
  }
  const raw = new BetterSqlite3(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  // Reads through a memory map and a 64 MiB page cache; durability is unchanged (FULL above).
  raw.pragma('mmap_size = 268435456');
  raw.pragma('cache_size = -65536');
  raw.pragma('temp_store = MEMORY');
  // SQLite's built-in lower() folds ASCII only; PostgreSQL's folds all of Unicode. User
  // search compares lower(name) with a lower-cased query, so both must fold the same way.
  raw.function('lower', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v));
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(raw) }), ...(options.log ? { log: options.log } : {}) });
  return { db, raw };
}

/**
 * The database holds password hashes, sessions and sealed secrets: readable by the owner only,
 * like the development secrets. Creating the file 0600 before SQLite opens it is enough for
 * new files (SQLite gives -wal and -shm the mode of the database file); chmod fixes the files
 * of a data directory created before this rule.
 */
function ownerOnly(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

/**
 * Kysely prepares every query afresh; compiling SQL in SQLite costs more than running a
 * small query. Queries are built from a fixed set of shapes, so prepared statements are
 * cached by their SQL text (bounded, oldest dropped first).
 */
export function cachingStatements(raw: BetterSqlite3.Database, max = 500): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => raw.close(),
    prepare(text: string): SqliteStatement {
      // Kysely opens transactions with a deferred `begin`. Every transaction here writes, and
      // with several worker processes on one file a deferred one that read first could not
      // take the write lock once another process had committed (SQLITE_BUSY at once, no
      // waiting): IMMEDIATE takes the write lock at BEGIN, waiting up to busy_timeout.
      const sqlText = text === 'begin' ? 'begin immediate' : text;
      let stmt = cache.get(sqlText);
      if (stmt === undefined) {
        stmt = raw.prepare(sqlText);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sqlText, stmt);
      }
      return stmt;
    },
  };
}
