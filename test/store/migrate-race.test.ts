/**
 * Nodes that start together on an empty PostgreSQL database take turns migrating: every
 * one succeeds and the schema is applied exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openPostgres } from '../../src/store/postgres/open.js';
import { createTestDatabase } from '../helpers/services.js';

describe('concurrent migration (postgres)', () => {
  const drops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const d of drops) await d();
  });

  it('four nodes migrating one fresh database at once all succeed, and each version is applied once', async () => {
    for (let round = 0; round < 3; round++) {
      const database = await createTestDatabase();
      drops.push(database.drop);
      const nodes = Array.from({ length: 4 }, () => openPostgres({ url: database.url, poolSize: 2 }).db);
      try {
        const reports = await Promise.all(nodes.map((db) => migrate(db, 'postgres')));
        const applied = reports.flatMap((r) => r.applied);
        expect(applied.sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
        const { rows } = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM schema_migrations`.execute(nodes[0]!);
        expect(Number(rows[0]!.n)).toBe(MIGRATIONS.length);
      } finally {
        await Promise.all(nodes.map((db) => db.destroy()));
      }
    }
  });
});
