/**
 * The store contract: one suite, written once per entity (a file each in this directory),
 * run against the embedded SQLite store and the PostgreSQL store. Every behaviour a service
 * relies on is pinned here, so the two implementations cannot drift apart (ordering, case
 * folding, uniqueness, counting, transactions and commit order included).
 *
 * Each file calls `contract(kind)` inside `describe.each(STORES)`: it opens a fresh store
 * of that kind before the file's tests and closes it after, and hands back what the tests
 * use. `store` and `t` are stand-ins that forward to the store opened in `beforeAll`, so a
 * test can name them although the store does not exist yet when the describe block runs.
 */
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { StoreKind } from '../../helpers/app.js';
import { newChannel, newTeam, newUser, openTestStore, type TestStore } from '../../helpers/store.js';
import type { Store } from '../../../src/store/store.js';

export interface Contract {
  readonly store: Store;
  readonly t: TestStore;
  /** A stored user. */
  readonly user: (overrides?: Parameters<typeof newUser>[0]) => ReturnType<Store['users']['create']>;
  /** A team with `memberCount` users (the first is team admin), and a public channel everyone is in. */
  readonly world: (memberCount?: number) => Promise<World>;
  /**
   * Runs `first` in a transaction and holds that transaction open (then runs `then` in it);
   * meanwhile starts `second` and waits until it has either finished or is blocked behind
   * the first. Reports whether it finished while the first was still open.
   */
  readonly secondWaitsForFirst: <A, B>(first: (tx: Store) => Promise<A>, second: () => Promise<B>, then?: (tx: Store) => Promise<unknown>) => Promise<{ finishedWhileFirstOpen: boolean; first: A; second: B }>;
}

export interface World {
  readonly users: Awaited<ReturnType<Store['users']['create']>>[];
  readonly team: ReturnType<typeof newTeam>;
  readonly channel: ReturnType<typeof newChannel>;
}

function forward<T extends object>(target: () => T): T {
  return new Proxy({} as T, {
    get(_stand_in, key) {
      const real = target();
      const value: unknown = Reflect.get(real, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(real) : value;
    },
  });
}

export function contract(kind: StoreKind): Contract {
  let opened: TestStore | undefined;
  beforeAll(async () => {
    opened = await openTestStore(kind);
  });
  afterAll(async () => opened?.close());
  const t = forward<TestStore>(() => {
    if (opened === undefined) throw new Error('the contract store is opened in beforeAll');
    return opened;
  });
  const store = forward<Store>(() => t.store);

  const user: Contract['user'] = (overrides = {}) => store.users.create(newUser(overrides));

  async function world(memberCount = 2): Promise<World> {
    const users = [];
    for (let i = 0; i < memberCount; i++) users.push(await user());
    const team = newTeam(users[0]!.id);
    await store.teams.create(team);
    for (const [i, u] of users.entries()) await store.teams.addMember({ team_id: team.id, user_id: u.id, role: i === 0 ? 'team_admin' : 'member', created_at: 10 + i });
    const channel = newChannel(users[0]!.id, team.id);
    await store.channels.create(channel);
    for (const [i, u] of users.entries()) {
      await store.channels.addMember({ channel_id: channel.id, user_id: u.id, role: i === 0 ? 'channel_admin' : 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 10 + i });
    }
    return { users, team, channel };
  }

  async function secondWaitsForFirst<A, B>(first: (tx: Store) => Promise<A>, second: () => Promise<B>, then?: (tx: Store) => Promise<unknown>) {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const firstStarted = new Promise<void>((r) => (started = r));
    const one = store.transaction(async (tx) => {
      const value = await first(tx);
      started();
      await gate;
      await then?.(tx);
      return value;
    });
    await firstStarted;
    let secondDone = false;
    const two = second().then((v) => {
      secondDone = true;
      return v;
    });
    await waitFor(async () => secondDone || (await blockedWriters(t)) > 0);
    const finishedWhileFirstOpen = secondDone;
    release();
    const [a, b] = await Promise.all([one, two]);
    return { finishedWhileFirstOpen, first: a, second: b };
  }

  return { store, t, user, world, secondWaitsForFirst };
}

/** Writers waiting for a lock: PostgreSQL's pg_locks; SQLite serialises in-process, so a waiter is always "blocked". */
async function blockedWriters(t: TestStore): Promise<number> {
  if (t.location.databaseUrl === undefined) return 1;
  const client = new pg.Client({ connectionString: t.location.databaseUrl });
  await client.connect();
  try {
    const r = await client.query<{ n: string }>(
      'SELECT COUNT(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()',
    );
    return Number(r.rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** Polls `check` until it holds (for states no event announces, like a lock wait inside PostgreSQL). */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
