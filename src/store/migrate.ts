/**
 * Applies pending migrations in one transaction. On PostgreSQL an advisory lock makes
 * nodes that start together take turns; SQLite serialises writers by itself.
 */
import { sql, type Kysely } from 'kysely';
import { MIGRATIONS, renderStatements, type Dialect, type Migration } from './migrations.js';
import type { Database } from './schema.js';

export interface MigrationReport {
  readonly applied: readonly number[];
  readonly current: number;
}

export async function migrate(db: Kysely<Database>, dialect: Dialect, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  return db.transaction().execute(async (trx) => {
    // Migrations (and the wait for another node's) may take long on a large database: the
    // requests' statement timeout (RUSTCHAT_DATABASE_STATEMENT_TIMEOUT_MS) does not apply.
    if (dialect === 'postgres') await sql`SET LOCAL statement_timeout = 0`.execute(trx);
    // The lock comes first: even `CREATE TABLE IF NOT EXISTS` races between two nodes
    // starting on an empty database (both see no table, the second fails on pg_type).
    if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(727274)`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`.execute(trx);
    const done = new Set((await trx.selectFrom('schema_migrations').select('version').execute()).map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      for (const statement of renderStatements(m, dialect)) await sql.raw(statement).execute(trx);
      await trx.insertInto('schema_migrations').values({ version: m.version, name: m.name, applied_at: Date.now() }).execute();
      applied.push(m.version);
    }
    const current = Math.max(0, ...done, ...applied);
    return { applied, current };
  });
}
