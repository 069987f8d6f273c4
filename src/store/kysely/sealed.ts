/** SealedValueStore over Kysely: the column scans and compare-and-set that key rotation needs. */
import { sql } from 'kysely';
import type { SealedColumn, SealedRow, SealedValueStore } from '../sealed.js';
import type { Db } from './shared.js';

export class KyselySealedValueStore implements SealedValueStore {
  constructor(private readonly db: Db) {}

  async scan(column: SealedColumn, afterId: string, limit: number): Promise<SealedRow[]> {
    // Identifiers come from the fixed registry in store/sealed.ts, never from input.
    const { rows } = await sql<SealedRow>`
      SELECT ${sql.ref(column.idColumn)} AS id, ${sql.ref(column.column)} AS value
      FROM ${sql.table(column.table)}
      WHERE ${sql.ref(column.idColumn)} > ${afterId} AND ${sql.ref(column.column)} IS NOT NULL
      ORDER BY ${sql.ref(column.idColumn)}
      LIMIT ${limit}`.execute(this.db);
    return rows;
  }

  async replace(column: SealedColumn, id: string, expected: string, next: string): Promise<boolean> {
    const r = await sql`
      UPDATE ${sql.table(column.table)} SET ${sql.ref(column.column)} = ${next}
      WHERE ${sql.ref(column.idColumn)} = ${id} AND ${sql.ref(column.column)} = ${expected}`.execute(this.db);
    return Number(r.numAffectedRows ?? 0) > 0;
  }
}
