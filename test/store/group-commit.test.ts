/**
 * Group commit (src/store/group-commit.ts) keeps the promises of separate transactions:
 * each job is atomic, a failing job does not take the others down, and nothing resolves
 * before its COMMIT. Run on both databases.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { GroupCommit } from '../../src/store/group-commit.js';
import { openPostgres } from '../../src/store/postgres/open.js';
import { openSqlite } from '../../src/store/sqlite/open.js';
import { migrate } from '../../src/store/migrate.js';
import { createTestDatabase } from '../helpers/services.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';

const now = Date.now();
const user = (id: string, username: string) => ({
  id, username, email: `${username}@example.com`, password_hash: null, display_name: '', first_name: '', last_name: '', nickname: '', position: '',
  avatar_url: null, is_bot: 0, role: 'system_user' as const, status_text: '', status_emoji: '', timezone: '', email_verified: 0, created_at: now, updated_at: now, deactivated_at: null,
});

describe.each(['sqlite', 'postgres'] as const)('group commit (%s)', (kind) => {
  let db: Kysely<Database>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (kind === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'gc-'));
      db = openSqlite({ dataDir: dir }).db;
      cleanup = async () => {
        await db.destroy();
        rmSync(dir, { recursive: true, force: true });
      };
    } else {
      const pg = await createTestDatabase();
      db = openPostgres({ url: pg.url, poolSize: 4 }).db;
      cleanup = async () => {
        await db.destroy();
        await pg.drop();
      };
    }
    await migrate(db, kind);
  });
  afterAll(async () => cleanup?.());

  const count = async (prefix: string): Promise<number> => {
    const { rows } = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM users WHERE username LIKE ${`${prefix}%`}`.execute(db);
    return Number(rows[0]!.n);
  };

  it('batches concurrent jobs; a failing job is rolled back alone', async () => {
    const gc = new GroupCommit(db, (trx) => trx);
    const prefix = `gc${randomUUID().slice(0, 6)}`;
    const jobs = Array.from({ length: 20 }, (_v, i) =>
      gc.run(async (trx) => {
        await trx.insertInto('users').values(user(randomUUID(), `${prefix}${i}`)).execute();
        if (i % 5 === 3) {
          // A second write, then a failure: both writes of this job must disappear.
          await trx.insertInto('users').values(user(randomUUID(), `${prefix}x${i}`)).execute();
          throw new Error(`job ${i} fails`);
        }
        return i;
      }),
    );
    const results = await Promise.allSettled(jobs);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(4);
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r).value)).toHaveLength(16);
    expect(await count(prefix)).toBe(16);
    expect(await count(`${prefix}x`)).toBe(0);
  });

  it('a database error in one job (unique violation) leaves the batch usable', async () => {
    const gc = new GroupCommit(db, (trx) => trx);
    const prefix = `gu${randomUUID().slice(0, 6)}`;
    const results = await Promise.allSettled([
      gc.run((trx) => trx.insertInto('users').values(user(randomUUID(), `${prefix}a`)).execute()),
      gc.run((trx) => trx.insertInto('users').values(user(randomUUID(), `${prefix}a`)).execute()),
      gc.run((trx) => trx.insertInto('users').values(user(randomUUID(), `${prefix}b`)).execute()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await count(prefix)).toBe(2);
  });

  it('resolves a job only after its writes are committed and visible to other connections', async () => {
    const gc = new GroupCommit(db, (trx) => trx);
    const prefix = `gv${randomUUID().slice(0, 6)}`;
    const seen = await Promise.all(
      Array.from({ length: 5 }, (_v, i) =>
        gc.run((trx) => trx.insertInto('users').values(user(randomUUID(), `${prefix}${i}`)).execute()).then(() => count(`${prefix}${i}`)),
      ),
    );
    expect(seen).toEqual([1, 1, 1, 1, 1]);
  });

  it('waits for its write turn before opening a transaction; what arrives meanwhile joins the batch; the turn goes back once, after the commit', async () => {
    const asked: Array<() => void> = [];
    const log: string[] = [];
    const prefix = `gt${randomUUID().slice(0, 6)}`;
    const gc = new GroupCommit(db, (trx) => trx, () => undefined, () => new Promise<() => void>((resolve) => {
      log.push('asked');
      asked.push(() => resolve(() => void count(prefix).then((n) => log.push(`released after ${n} rows`))));
    }));
    let settled = 0;
    const first = gc.run((trx) => trx.insertInto('users').values(user(randomUUID(), `${prefix}0`)).execute()).then(() => settled++);
    await new Promise((r) => setImmediate(r));
    expect(asked).toHaveLength(1);
    // Not granted yet: nothing written, nothing answered; more jobs queue behind the wait.
    const more = [1, 2].map((i) => gc.run((trx) => trx.insertInto('users').values(user(randomUUID(), `${prefix}${i}`)).execute()).then(() => settled++));
    await new Promise((r) => setTimeout(r, 20));
    expect(await count(prefix)).toBe(0);
    expect(settled).toBe(0);
    asked[0]!();
    await Promise.all([first, ...more]);
    expect(await count(prefix)).toBe(3);
    // One turn for the three jobs, given back once, after their commit.
    await vi.waitFor(() => expect(log).toEqual(['asked', 'released after 3 rows']));
  });

  it('gives the turn back when the batch fails and is replayed, and writes without a turn that cannot be had', async () => {
    let released = 0;
    const prefix = `gf${randomUUID().slice(0, 6)}`;
    const gc = new GroupCommit(db, (trx) => trx, () => undefined, async () => () => void released++);
    const results = await Promise.allSettled([
      gc.run((trx) => trx.insertInto('users').values(user(randomUUID(), `${prefix}a`)).execute()),
      gc.run(async () => {
        throw new Error('this job fails');
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    await vi.waitFor(() => expect(released).toBe(1));
    const broken = new GroupCommit(db, (trx) => trx, () => undefined, () => Promise.reject(new Error('no primary')));
    await broken.run((trx) => trx.insertInto('users').values(user(randomUUID(), `${prefix}b`)).execute());
    expect(await count(prefix)).toBe(2);
  });
});
