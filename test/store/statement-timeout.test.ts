/**
 * RUSTCHAT_DATABASE_STATEMENT_TIMEOUT_MS on PostgreSQL: a request whose statement waits on a
 * lock held too long is cancelled and answered 503 (the JSON envelope, nothing half-written,
 * logged as an error), instead of holding a pooled connection for ever; the migrations and the background search
 * indexing are not limited (they may take long on a large database, or wait for another node).
 */
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/postgres/open.js';
import { Search } from '../../src/store/kysely/search.js';
import { searchDocument } from '../../src/domain/search.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { envelope, twoInAChannel } from '../helpers/factories.js';
import { createTestDatabase } from '../helpers/services.js';

const TIMEOUT_MS = 300;

/** A second connection that holds `lockSql`'s row locks until `release()`. */
async function holdLock(url: string, lockSql: string, params: unknown[] = []): Promise<{ release: () => Promise<void> }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('BEGIN');
  await c.query(lockSql, params);
  return {
    release: async () => {
      await c.query('ROLLBACK');
      await c.end();
    },
  };
}

describe('statement timeout (PostgreSQL)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startApp('postgres', { databaseUrl: db.url, env: { RUSTCHAT_DATABASE_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS) } });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('answers 503 when a post waits on a lock held too long, writes nothing, and posts once the lock is gone', async () => {
    const { alice, channel } = await twoInAChannel(t.api);
    // Someone else (a stuck transaction) holds the channel row that a post locks.
    const lock = await holdLock(db.url, 'SELECT id FROM channels WHERE id = $1 FOR UPDATE', [channel.id]);
    const started = Date.now();
    let res;
    try {
      res = await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: 'behind a stuck lock' }, alice.token);
    } finally {
      await lock.release();
    }
    expect(envelope(res)).toMatchObject({ status: 503, contentType: 'application/json' });
    expect(Date.now() - started).toBeLessThan(10_000);
    // Logged as an error (a query that is always too slow must not hide among outage warnings).
    const logged = t.logs.lines.map((l) => JSON.parse(l) as { level: string; msg: string; err?: { message?: string } }).filter((e) => e.err?.message === 'canceling statement due to statement timeout');
    expect(logged.map((e) => [e.level, e.msg])).toEqual([['error', 'database statement timed out (RUSTCHAT_DATABASE_STATEMENT_TIMEOUT_MS)']]);
    const page = await t.api.get(`/api/v1/channels/${channel.id}/posts`, alice.token);
    expect(page.body.messages.map((p: { message: string }) => p.message)).not.toContain('behind a stuck lock');
    const again = await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: 'after the lock' }, alice.token);
    expect(again.status).toBe(201);
  });

  it('does not limit the migrations, which may wait or run long', async () => {
    const fresh = await createTestDatabase();
    const { db: kdb } = openPostgres({ url: fresh.url, poolSize: 1, statementTimeoutMs: 100 });
    try {
      // The limit is on: a slow statement outside a migration is cancelled (57014).
      await expect(sql`SELECT pg_sleep(0.4)`.execute(kdb)).rejects.toMatchObject({ code: '57014' });
      const report = await migrate(kdb, 'postgres', [{ version: 1, name: 'slow', sql: 'SELECT pg_sleep(0.4);\nCREATE TABLE slow_done (id INTEGER);' }]);
      expect(report.applied).toEqual([1]);
    } finally {
      await kdb.destroy();
      await fresh.drop();
    }
  });

  it('does not limit the background search indexing, which waits for another node\'s batch', async () => {
    const { db: kdb } = openPostgres({ url: db.url, poolSize: 1, statementTimeoutMs: 100 });
    try {
      // Another node holds the indexing state while it works on its batch.
      const lock = await holdLock(db.url, 'SELECT pending_through FROM search_backfill FOR UPDATE');
      const released = new Promise<void>((resolve) => setTimeout(() => void lock.release().then(resolve), 400));
      const done = await new Search(kdb, 'postgres').backfill(10, searchDocument);
      await released;
      expect(done).toMatchObject({ indexed: 0, remaining: 0 });
    } finally {
      await kdb.destroy();
    }
  });
});
