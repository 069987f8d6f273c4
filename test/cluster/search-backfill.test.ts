/**
 * The background indexing of posts from before search existed (services/search.ts
 * backfillSearchIndex) on a machine with several workers: it is a write like any other (on the
 * embedded database it joins a group-commit batch and so waits for the process's write turn),
 * and only one process of the machine runs it (worker 0), instead of every worker queueing for
 * the same rows and the same lock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pino from 'pino';
import { searchDocument } from '../../src/domain/search.js';
import { backfillSearchIndex } from '../../src/services/search.js';
import type { ServiceDeps } from '../../src/services/context.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { strongSecret } from '../helpers/app.js';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';
import { newChannel, newPost, newTeam, newUser, rawQuery } from '../helpers/store.js';

/** Stores `count` posts without index entries and marks them pending, as migration 7 leaves a database. */
async function legacyPosts(store: Store, count: number): Promise<void> {
  const user = await store.users.create(newUser());
  const team = newTeam(user.id);
  await store.teams.create(team);
  const channel = newChannel(user.id, team.id);
  await store.channels.create(channel);
  for (let done = 0; done < count; done += 1_000) {
    await store.transaction(async (tx) => {
      for (let i = done; i < Math.min(count, done + 1_000); i++) await tx.posts.create(newPost(channel.id, user.id, { message: `legacy walrus ${i}` }));
    });
  }
  const db = (store as unknown as { options: { db: never } }).options.db;
  await sql`UPDATE search_backfill SET pending_through = (SELECT MAX(seq) FROM posts)`.execute(db);
}

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'rustchat-backfill-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('search backfill (embedded database)', () => {
  it('writes through the store\'s write path, taking the write turn for each batch and giving it back', async () => {
    let asked = 0;
    let released = 0;
    const dataDir = tempDir();
    const { store } = await openStore({ databaseUrl: undefined, poolSize: 1,
      dataDir,
      writeTurn: async () => {
        asked++;
        return () => void released++;
      },
    });
    try {
      await legacyPosts(store, 1_200);
      const before = asked;
      const indexed = await backfillSearchIndex({ store, logger: pino({ level: 'silent' }) } as unknown as ServiceDeps, searchDocument);
      expect(indexed).toBe(1_200);
      // 500 posts a batch: three batches, each in its own turn.
      expect(asked - before).toBeGreaterThanOrEqual(3);
      expect(released).toBe(asked);
    } finally {
      await store.close();
    }
    const [row] = await rawQuery<{ n: number }>({ dataDir, databaseUrl: undefined }, 'SELECT COUNT(*) AS n FROM post_search');
    expect(row!.n).toBe(1_200);
  });

  describe('with two workers', () => {
    let server: ServerProcess | undefined;
    afterAll(async () => {
      if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) await server.kill('SIGTERM');
    }, 60_000);

    it('is run by worker 0 alone, to the end, without a failed batch', async () => {
      const dataDir = tempDir();
      // Four batches (a process that runs the indexing says so first, at debug level, even if
      // another has already finished it).
      const COUNT = 2_000;
      const { store } = await openStore({ databaseUrl: undefined, poolSize: 1, dataDir });
      try {
        await legacyPosts(store, COUNT);
      } finally {
        await store.close();
      }
      server = await startServerProcess({
        RUSTCHAT_WORKERS: '2',
        RUSTCHAT_DATA_DIR: dataDir,
        RUSTCHAT_JWT_SECRET: strongSecret(),
        RUSTCHAT_ENCRYPTION_KEY: strongSecret(),
        RUSTCHAT_SERVER_HOST: '127.0.0.1',
        RUSTCHAT_SERVER_PORT: '0',
        RUSTCHAT_METRICS_PORT: '0',
        // The debug line each process that runs the indexing writes when it starts looking.
        RUSTCHAT_LOG_LEVEL: 'debug',
      });
      const s = server;
      const entries = (): Array<Record<string, unknown>> => s.lines.flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
      const waitFor = async (done: () => boolean): Promise<void> => {
        const deadline = Date.now() + 60_000;
        while (!done()) {
          if (Date.now() > deadline) throw new Error(`not within 60 s:\n${s.lines.join('\n')}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await waitFor(() => entries().some((e) => e.msg === 'search: existing posts indexed'));
      await waitFor(() => entries().filter((e) => e.msg === 'cluster: worker serving').length === 2);
      const searchLines = entries().filter((e) => String(e.msg).startsWith('search:'));
      expect(searchLines.length).toBeGreaterThan(2);
      expect(searchLines[0]!.msg).toBe('search: looking for posts written before search existed');
      expect(new Set(searchLines.map((e) => e.worker))).toEqual(new Set([0]));
      expect(searchLines.filter((e) => String(e.msg).includes('stopped'))).toEqual([]);
      expect(entries().filter((e) => e.msg === 'cluster: worker serving').map((e) => e.worker).sort()).toEqual([0, 1]);
      const [indexed] = await rawQuery<{ n: number }>({ dataDir, databaseUrl: undefined }, 'SELECT COUNT(*) AS n FROM post_search');
      expect(indexed!.n).toBe(COUNT);
      const [pending] = await rawQuery<{ p: number }>({ dataDir, databaseUrl: undefined }, 'SELECT pending_through AS p FROM search_backfill');
      expect(pending!.p).toBe(0);
    }, 120_000);
  });
});
