/**
 * PostgreSQL only (SQLite has one writer at a time, so the race cannot happen there): two
 * posts in one channel must commit in seq order. A BEFORE INSERT trigger holds the first
 * insert right after it drew its seq (NEW already has it) and before the rest of its
 * statement runs, until the test lets go: exactly the window where a second writer could
 * take a higher seq and commit first, unless the channel lock was taken before the seq.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newChannel, newPost, newTeam, newUser, openTestStore, type TestStore } from '../helpers/store.js';

const LOCK_KEY = 727_001;

describe('post commit order on PostgreSQL', () => {
  let t: TestStore;
  let admin: pg.Client;
  beforeAll(async () => {
    t = await openTestStore('postgres');
    admin = new pg.Client({ connectionString: t.location.databaseUrl });
    await admin.connect();
    await admin.query(`
      CREATE FUNCTION rc_test_hold() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.message = 'held' THEN PERFORM pg_advisory_xact_lock(${LOCK_KEY}); END IF;
        RETURN NEW;
      END $$`);
    await admin.query('CREATE TRIGGER rc_test_hold BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION rc_test_hold()');
  });
  afterAll(async () => {
    await admin?.end();
    await t?.close();
  });

  async function waiting(): Promise<number> {
    const r = await admin.query<{ n: string }>(
      'SELECT COUNT(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()',
    );
    return Number(r.rows[0]!.n);
  }
  async function until(check: () => Promise<boolean>): Promise<void> {
    const end = Date.now() + 15_000;
    while (!(await check())) {
      if (Date.now() > end) throw new Error('condition not reached in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('a second writer cannot commit a higher seq while a lower one is still open', async () => {
    const { store } = t;
    const a = await store.users.create(newUser());
    const team = newTeam(a.id);
    await store.teams.create(team);
    const channel = newChannel(a.id, team.id);
    await store.channels.create(channel);

    await admin.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    const first = store.posts.create(newPost(channel.id, a.id, { message: 'held' }));
    await until(async () => (await waiting()) >= 1); // the first insert is parked in its trigger

    let secondDone = false;
    const second = store.posts.create(newPost(channel.id, a.id, { message: 'free' })).then((p) => {
      secondDone = true;
      return p;
    });
    await until(async () => secondDone || (await waiting()) >= 2);
    const committedAheadOfFirst = secondDone;
    await admin.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
    const [p1, p2] = await Promise.all([first, second]);

    expect(committedAheadOfFirst).toBe(false);
    expect(p2.seq).toBeGreaterThan(p1.seq);
    expect((await store.channels.get(channel.id))?.last_post_seq).toBe(p2.seq);
  });
});
