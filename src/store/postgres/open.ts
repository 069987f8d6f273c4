/** PostgreSQL through a `pg` pool. BIGINT and COUNT(*) come back as JS numbers (ids are text). */
import pg from 'pg';
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import type { Database } from '../schema.js';

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
  readonly log?: (event: LogEvent) => void;
}

export function openPostgres(options: PostgresOpenOptions): { db: Kysely<Database>; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize, types, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(options.log ? { log: options.log } : {}) });
  return { db, pool };
}
