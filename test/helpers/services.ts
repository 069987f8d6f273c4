/**
 * Where the tests find PostgreSQL and Redis. They must be running: a test that needs them
 * fails with a clear message instead of skipping.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';

export const PG_ADMIN_URL = process.env.RUSTCHAT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.RUSTCHAT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function checkPostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(`PostgreSQL is required by the tests and is not reachable at ${PG_ADMIN_URL} (${(err as Error).message}). Start it (see README "Running the tests") or set RUSTCHAT_TEST_PG_URL.`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function checkRedis(): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Redis is required by the tests and is not reachable at ${REDIS_URL} (${(err as Error).message}). Start it (see README "Running the tests") or set RUSTCHAT_TEST_REDIS_URL.`);
  } finally {
    redis.disconnect();
  }
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** A fresh, empty PostgreSQL database; `drop()` removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `rc_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is required by this test and is not reachable at ${PG_ADMIN_URL}: ${err.message}`);
  });
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(PG_ADMIN_URL, name),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
