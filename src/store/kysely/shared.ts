/** What the per-entity stores share: the connection-or-transaction type and the few helpers both dialects need. */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from '../migrations.js';
import type { Database } from '../schema.js';

/** The database or the transaction a sub-store runs its statements on. */
export type Db = Kysely<Database> | Transaction<Database>;

/** A LIKE pattern matching `q` anywhere, lower-cased, with `\\`, `%` and `_` escaped (use with ESCAPE '\\'). */
export function likePattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** PostgreSQL may hand back BIGINT/COUNT as strings (or numbers through our type parser); SQLite as numbers. */
export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/**
 * Order of names shown to people (team and channel display names): case-insensitive and
 * numeric-aware, the same on both databases. Sorting these short, unpaged lists here rather
 * than in SQL keeps the result independent of the PostgreSQL collation a deployment uses
 * (SQLite compares bytes, `en_US.UTF-8` ignores case and punctuation).
 */
const nameCollator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
export function byDisplayName<T extends { display_name: string; id: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => nameCollator.compare(a.display_name, b.display_name) || (a.display_name < b.display_name ? -1 : a.display_name > b.display_name ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** ORDER BY a column in byte order on both databases (PostgreSQL would otherwise use the database collation). */
export function bytewise(dialect: Dialect, column: string) {
  return dialect === 'postgres' ? sql`${sql.ref(column)} COLLATE "C"` : sql`${sql.ref(column)}`;
}

/**
 * A statement whose text starts with this is sent unnamed on PostgreSQL (not prepared and
 * reused per connection, store/postgres/open.ts): for statements whose text varies per
 * caller, or whose best plan depends on the values (full-text search).
 */
export const UNNAMED_STATEMENT = '/* unnamed */';
