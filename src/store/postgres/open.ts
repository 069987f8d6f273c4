/** PostgreSQL through a `pg` pool. BIGINT and COUNT(*) come back as JS numbers (ids are text). */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { Kysely, PostgresDialect, type LogEvent, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type { Database } from '../schema.js';
import { UNNAMED_STATEMENT } from '../kysely/shared.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** Per-pool type parsers (not the global pg.types) so nothing else in the process changes. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format) as (v: string) => unknown;
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PostgresOpenOptions {
  readonly url: string;
  readonly poolSize: number;
  /** Cancels a statement that runs longer (PostgreSQL's statement_timeout; 0 or unset: never). */
  readonly statementTimeoutMs?: number;
  readonly log?: (event: LogEvent) => void;
}

export function openPostgres(options: PostgresOpenOptions): { db: Kysely<Database>; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize, types, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const timeout = Math.trunc(options.statementTimeoutMs ?? 0);
  // Set on each new connection, not as a startup parameter (`statement_timeout` in the pool's
  // options): PgBouncer refuses startup parameters it does not know. Queued before anything the
  // pool's user sends on it. (A failure means a broken connection: its next query fails too.)
  if (timeout > 0) pool.on('connect', (client) => void client.query(`SET statement_timeout = ${timeout}`).catch(() => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingStatements(pool) }), ...(options.log ? { log: options.log } : {}) });
  return { db, pool };
}

/**
 * Kysely sends every query unnamed, so PostgreSQL parses and plans it each time; for our
 * multi-join reads planning costs more than executing. Naming each distinct query text
 * (by its hash) makes `pg` prepare it once per connection and reuse the plan. Statements
 * that take no parameters (BEGIN, COMMIT, DDL) stay unnamed, and so do those that start with
 * UNNAMED_STATEMENT (search: planned with its values each time).
 */
function preparingStatements(pool: pg.Pool): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (text: string): string => {
    let name = names.get(text);
    if (name === undefined) {
      name = `rc_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      if (names.size < 5000) names.set(text, name);
    }
    return name;
  };
  return {
    // Kysely 0.29 reads the pool's options and Client class to open a control connection
    // when it cancels a query; hand it the real ones.
    options: pool.options,
    Client: (pool as unknown as { Client: PostgresPool['Client'] }).Client,
    end: () => pool.end(),
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      // While a client is checked out the pool stops listening for its errors, so a connection
      // lost between two queries (the database restarting, a network cut) would be an uncaught
      // 'error' event and end the process. The query in flight or the next one fails with the
      // error instead (answered 503), and release() drops the broken client from the pool.
      const ignoreLost = (): void => undefined;
      client.on('error', ignoreLost);
      const wrapped = {
        query(textOrCursor: unknown, parameters?: ReadonlyArray<unknown>): unknown {
          if (typeof textOrCursor === 'string' && parameters !== undefined && parameters.length > 0 && !textOrCursor.startsWith(UNNAMED_STATEMENT)) {
            return client.query({ name: nameOf(textOrCursor), text: textOrCursor, values: parameters as unknown[] });
          }
          return (client.query as (a: unknown, b?: unknown) => unknown)(textOrCursor, parameters);
        },
        release: (destroy?: boolean) => {
          client.off('error', ignoreLost);
          client.release(destroy);
        },
        // Kysely 0.29 cancels an aborted query by the backend's process id.
        get processID(): number | undefined {
          return (client as unknown as { processID?: number }).processID;
        },
      };
      return wrapped as PostgresPoolClient;
    },
  };
}
