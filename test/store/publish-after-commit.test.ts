/**
 * Publish after commit, as part of the write path (store/outbox.ts, store/group-commit.ts):
 * events queued on a transaction reach the bus only after the COMMIT holding them, never
 * when it rolls back, once per committed job under group commit, and in commit order.
 *
 * "After the commit" is shown two ways, on both databases: the order of what happened (the
 * driver's own log of COMMIT/ROLLBACK next to the bus receiving the event), and a subscriber
 * that reads the row back on a connection of its own when the event arrives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RealtimeEvent } from '../../src/domain/events.js';
import { createLogger } from '../../src/observability/logger.js';
import { LocalBus } from '../../src/realtime/bus/local.js';
import { OrderedBus } from '../../src/realtime/bus/ordered.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { STORES } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/services.js';
import { newChannel, newPost, newTeam, newUser, openTestStore, type TestStore } from '../helpers/store.js';

/** An event naming a user row, so the subscriber can look for that row. */
const aboutUser = (userId: string): RealtimeEvent<'user_added'> => ({
  event: 'user_added',
  data: { user_id: userId, channel_id: '', team_id: null, added_by: userId },
  broadcast: { user_id: userId },
});

describe.each(STORES)('publish after commit (%s)', (kind) => {
  let store: Store;
  let dataDir: string;
  let dropDb: (() => Promise<void>) | undefined;
  let reader: { visible(userId: string): Promise<boolean>; close(): Promise<void> };
  /** What happened, in order: the driver's COMMIT/ROLLBACK/user INSERT and the bus receiving events. */
  let timeline: string[] = [];
  /** For each event received: was its row visible to another connection at that moment? */
  let seen: Array<Promise<{ userId: string; visible: boolean }>> = [];
  /** The channel order stamp of each channel_viewed event received. */
  let stamps: Array<[number, number] | undefined> = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rustchat-outbox-'));
    let databaseUrl: string | undefined;
    if (kind === 'postgres') {
      const db = await createTestDatabase();
      databaseUrl = db.url;
      dropDb = db.drop;
    }
    // What the app has in front of its hub: the bus, reordered per channel. A gap never skips
    // here (60 s): an order that holds, holds because the stamps are right.
    const bus = new OrderedBus(new LocalBus(), { logger: createLogger('silent'), gapMs: 60_000 });
    bus.subscribe({
      onEvent(event) {
        if (event.event === 'user_added') {
          const userId = event.data.user_id;
          timeline.push(`event ${userId}`);
          seen.push(reader.visible(userId).then((visible) => ({ userId, visible })));
        } else if (event.event === 'channel_viewed') {
          timeline.push(`seq ${event.data.last_viewed_seq}`);
          stamps.push(event.order === undefined ? undefined : [event.order.from, event.order.to]);
        }
      },
      onControl(message) {
        timeline.push(`control ${message.kind}`);
      },
    });
    ({ store } = await openStore({
      databaseUrl,
      dataDir,
      poolSize: 4,
      events: bus,
      log: (e) => {
        if (e.level !== 'query') return;
        const text = e.query.sql.trim().toLowerCase();
        if (text === 'commit' || text === 'rollback') timeline.push(text);
        else if (/^insert into "?users"?/.test(text)) timeline.push('insert');
      },
    }));
    if (kind === 'sqlite') {
      // better-sqlite3 answers synchronously: the row's visibility is read at the very moment the event arrives.
      const raw = new BetterSqlite3(join(dataDir, 'rustchat.db'), { readonly: true, fileMustExist: true });
      const stmt = raw.prepare('SELECT 1 FROM users WHERE id = ?');
      reader = { visible: (id) => Promise.resolve(stmt.get(id) !== undefined), close: async () => void raw.close() };
    } else {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      reader = { visible: async (id) => (await client.query('SELECT 1 FROM users WHERE id = $1', [id])).rowCount === 1, close: () => client.end() };
    }
  });

  afterAll(async () => {
    await reader?.close();
    await store?.close();
    await dropDb?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    timeline = [];
    seen = [];
    stamps = [];
  });

  it('hands a transaction\'s events to the bus after its COMMIT, before the transaction resolves', async () => {
    const u = newUser();
    await store.transaction(async (tx) => {
      await tx.users.create(u);
      tx.publish(aboutUser(u.id));
      // More work after queueing: an event published at once would arrive before the COMMIT.
      await tx.users.get(u.id);
    });
    expect(timeline).toEqual(['insert', 'commit', `event ${u.id}`]);
    expect(await Promise.all(seen)).toEqual([{ userId: u.id, visible: true }]);
  });

  it('publishes nothing from a transaction that rolls back', async () => {
    const u = newUser();
    await expect(store.transaction(async (tx) => {
      await tx.users.create(u);
      tx.publish(aboutUser(u.id));
      tx.control({ kind: 'user_deactivated', userId: u.id });
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    // A write after it: once its event is in, anything the rolled-back one queued would be too.
    const sentinel = newUser();
    await store.transaction(async (tx) => {
      await tx.users.create(sentinel);
      tx.publish(aboutUser(sentinel.id));
    });
    expect(timeline).toEqual(['insert', 'rollback', 'insert', 'commit', `event ${sentinel.id}`]);
    expect(await store.users.get(u.id)).toBeUndefined();
  });

  it('hands a write\'s events over once the write has committed', async () => {
    const u = newUser();
    await store.write(async (tx) => {
      await tx.users.create(u);
      tx.publish(aboutUser(u.id));
    });
    // SQLite: the group commit's COMMIT; PostgreSQL: the INSERT is its own (autocommit) transaction.
    expect(timeline).toEqual(kind === 'sqlite' ? ['insert', 'commit', `event ${u.id}`] : ['insert', `event ${u.id}`]);
    expect(await Promise.all(seen)).toEqual([{ userId: u.id, visible: true }]);
  });

  it('under group commit, publishes each committed job once, in job order, and nothing of the failed one', async () => {
    const users = Array.from({ length: 12 }, () => newUser());
    // Started on the same tick, so on SQLite they share one batch: the failure rolls the
    // whole batch back and every other job is replayed and committed alone.
    const results = await Promise.allSettled(users.map((u, i) => store.write(async (tx) => {
      await tx.users.create(u);
      tx.publish(aboutUser(u.id));
      if (i === 5) throw new Error('job 5 fails');
    })));
    expect(results.map((r) => r.status)).toEqual(users.map((_u, i) => (i === 5 ? 'rejected' : 'fulfilled')));
    const published = timeline.filter((line) => line.startsWith('event ')).map((line) => line.slice('event '.length));
    const committed = users.filter((_u, i) => i !== 5).map((u) => u.id);
    if (kind === 'sqlite') {
      expect(published).toEqual(committed);
      expect(timeline).toContain('rollback');
    } else {
      // Separate connections: each write commits on its own, in whatever order they finish.
      expect([...published].sort()).toEqual([...committed].sort());
    }
    const checks = await Promise.all(seen);
    expect(checks.every((c) => c.visible)).toBe(true);
    // On SQLite the failed job's INSERT was rolled back with it. (On PostgreSQL `write` is one
    // autocommit statement, so a job must not fail after it: its row stays, its event is dropped.)
    if (kind === 'sqlite') expect(await store.users.get(users[5]!.id)).toBeUndefined();
  });

  // Group commit settles its jobs in commit order; PostgreSQL's concurrent writers commit on
  // separate connections, whose answers Node may read in either order, so there the bus can
  // receive a channel's events swapped. Each post's write stamps its events with the channel's
  // next event number (taken under the channel row lock, so in commit order), and the ordered
  // bus in front of the subscribers puts them back in that order.
  it('keeps a channel\'s events in the order of its posts', async () => {
    const author = await store.users.create(newUser());
    const team = newTeam(author.id);
    await store.teams.create(team);
    const channel = newChannel(author.id, team.id);
    await store.channels.create(channel);
    timeline = [];
    stamps = [];
    const posts = await Promise.all(Array.from({ length: 16 }, () => store.write(async (tx) => {
      const post = await tx.posts.create(newPost(channel.id, author.id));
      tx.publish({ event: 'channel_viewed', data: { channel_id: channel.id, last_viewed_seq: post.seq }, broadcast: { channel_id: channel.id } });
      return post;
    })));
    const order = timeline.filter((line) => line.startsWith('seq ')).map((line) => Number(line.slice(4)));
    expect(order).toHaveLength(posts.length);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // One number per post, no gaps, in the same order as the posts' seq.
    expect(stamps).toEqual(posts.map((_p, i) => [i + 1, i + 1]));
    expect((await store.channels.get(channel.id))?.event_seq).toBe(posts.length);
  });

  it('stamps every event of a write to the channel with the numbers it took, and no event of another channel', async () => {
    const author = await store.users.create(newUser());
    const team = newTeam(author.id);
    await store.teams.create(team);
    const channel = newChannel(author.id, team.id);
    const other = newChannel(author.id, team.id);
    await store.channels.create(channel);
    await store.channels.create(other);
    // Two posts and an edit's number in one transaction: the write's events to the channel carry 1..3.
    const viewed = (c: string) => ({ event: 'channel_viewed' as const, data: { channel_id: c, last_viewed_seq: 0 }, broadcast: { channel_id: c } });
    stamps = [];
    await store.transaction(async (tx) => {
      await tx.posts.create(newPost(channel.id, author.id));
      await tx.posts.create(newPost(channel.id, author.id));
      await tx.channels.takeEventSeq(channel.id);
      tx.publish(viewed(channel.id));
      tx.publish(viewed(other.id));
      tx.publish(viewed(channel.id));
    });
    expect(stamps).toEqual([[1, 3], undefined, [1, 3]]);
  });

  it('refuses to publish outside a transaction or write', () => {
    const root = store as unknown as { publish(e: RealtimeEvent): void };
    expect(() => root.publish(aboutUser(randomUUID()))).toThrow(/transaction or write/);
  });
});

describe.each(STORES)('a subscriber that throws after the commit (%s)', (kind) => {
  let t: TestStore;
  const received: string[] = [];
  const reported: unknown[] = [];
  let failNext = false;
  const publisher = {
    publish(event: RealtimeEvent) {
      if (failNext) {
        failNext = false;
        throw new Error('subscriber broke');
      }
      if (event.event === 'user_added') received.push(event.data.user_id);
    },
    control() {},
  };

  beforeAll(async () => {
    t = await openTestStore(kind, { events: publisher, onEventError: (err) => reported.push(err) });
  });
  afterAll(async () => t?.close());

  // The write has committed: its caller must hear "done" (a retry would write twice); the
  // failure is reported, and the write's other events still go out.
  it.each(['transaction', 'write'] as const)('%s: resolves, keeps the row, reports the error and delivers the rest', async (method) => {
    const first = newUser();
    const second = newUser();
    reported.length = 0;
    failNext = true;
    const value = await t.store[method](async (tx) => {
      await tx.users.create(first);
      tx.publish(aboutUser(first.id));
      await tx.users.create(second);
      tx.publish(aboutUser(second.id));
      return 'done';
    });
    expect(value).toBe('done');
    expect(await t.store.users.get(first.id)).toBeDefined();
    expect(await t.store.users.get(second.id)).toBeDefined();
    expect(reported).toHaveLength(1);
    expect((reported[0] as Error).message).toBe('subscriber broke');
    expect(received).toContain(second.id);
    expect(received).not.toContain(first.id);
  });
});
