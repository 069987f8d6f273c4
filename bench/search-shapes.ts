/**
 * `npx tsx bench/search-shapes.ts [--quick] [--posts n] [--per-client n]`: where the time of a
 * post search goes in SQLite, statement by statement. Seeds the `search` scenario's database
 * (same knobs), runs the scenario's query mix through SearchStore.posts, captures every
 * statement it sends and times each alone on a read-only connection, one query at a time,
 * next to the bare baseline query:
 *
 *   base            the scenario's baseline: ... ORDER BY p.seq DESC LIMIT 20
 *   base_fts_order  the same ordered by the FTS cursor (rowid = seq): ORDER BY post_search.rowid DESC
 *   rc_scope        RustChat's readable-channel list (the read scope, with the team filter)
 *   rc_page         RustChat's page statement, as sent
 *   rc_count        RustChat's count (capped at SEARCH_COUNT_CAP; absent when the page was the whole answer: 0)
 *   rc_all          SearchStore.posts as a whole (all its statements and the JavaScript around them)
 *
 * Mean and p99 milliseconds per query kind. A diagnostic for bench/README.md, not a scenario.
 *
 * With `--postgres` the same queries on PostgreSQL, SearchStore.posts as a whole (rc_all)
 * against the scenario's bare baseline statement (base), one at a time, and the ratio of
 * their summed means (the scenario's ratio without HTTP and concurrency).
 */
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { BenchContext, parseArgs } from './lib/context.js';
import { summarize } from './lib/stats.js';
import { printTable } from './lib/table.js';
import pg from 'pg';
import { bareQuery, clientsOf, postgresStatement, seedSearchData, type SearchSetup, type World } from './scenarios/search.js';
import { parseSearchQuery, type ParsedSearch, type SearchClause } from '../src/domain/search.js';
import type { PostQuery } from '../src/store/search.js';
import { openStore } from '../src/store/open.js';

const VARIANTS = ['base', 'base_fts_order', 'rc_scope', 'rc_page', 'rc_count', 'rc_all'] as const;
const CLIENTS = 16;

const fts5 = (c: SearchClause): string => `${c.column} : "${c.atom.tokens.join(' ')}"${c.atom.prefix ? ' *' : ''}`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--per-client');
  const perClient = at >= 0 ? Number(argv.splice(at, 2)[1]) : 10;
  const ctx = new BenchContext(parseArgs(['search', ...argv]));
  try {
    const setup = await seedSearchData(ctx);
    if (ctx.options.postgres) return await postgresShapes(setup, perClient);
    let captured: Array<{ sql: string; params: readonly unknown[] }> = [];
    const { store } = await openStore({ databaseUrl: undefined, dataDir: setup.dataDir, poolSize: 1, log: (e) => { if (e.level === 'query') captured.push({ sql: e.query.sql, params: e.query.parameters }); } });
    const db = new BetterSqlite3(join(setup.dataDir, 'rustchat.db'), { readonly: true });
    db.pragma('mmap_size = 268435456');
    db.pragma('cache_size = -65536');
    db.pragma('temp_store = MEMORY');
    const statements = new Map<string, BetterSqlite3.Statement>();
    const time = (text: string, params: readonly unknown[]): number => {
      let stmt = statements.get(text);
      if (stmt === undefined) statements.set(text, (stmt = db.prepare(text)));
      const t0 = performance.now();
      stmt.all(...params);
      return performance.now() - t0;
    };
    const samples = new Map<string, number[]>();
    const add = (kind: string, variant: string, ms: number): void => {
      const key = `${kind} ${variant}`;
      samples.set(key, [...(samples.get(key) ?? []), ms]);
    };
    await eachQuery(setup.world, perClient, async (kind, _q, parsed, query) => {
      const from = query.userIds ?? [];
      const inChannels = query.channelIds ?? [];
      captured = [];
      const t0 = performance.now();
      await store.search.posts(query, { order: 'newest', offset: 0, limit: 20 });
      add(kind, 'rc_all', performance.now() - t0);
      const text = (st: { sql: string }): string => st.sql.replace('/* unnamed */', '').trim();
      const scopeSt = captured.find((st) => text(st).startsWith('SELECT r.channel_id'));
      const page = captured.find((st) => text(st).startsWith('SELECT p.*'))!;
      const count = captured.find((st) => text(st).startsWith('SELECT COUNT'));
      add(kind, 'rc_scope', scopeSt === undefined ? 0 : time(scopeSt.sql, scopeSt.params));
      add(kind, 'rc_page', time(page.sql, page.params));
      add(kind, 'rc_count', count === undefined ? 0 : time(count.sql, count.params));
      const positive = parsed.clauses.filter((x) => !x.negated);
      const negative = parsed.clauses.filter((x) => x.negated);
      const match = `(${positive.map(fts5).join(' AND ')})${negative.length > 0 ? ` NOT (${negative.map(fts5).join(' OR ')})` : ''}`;
      const filters: string[] = [];
      const values: unknown[] = [];
      const bind = (v: unknown): string => {
        values.push(v);
        return '?';
      };
      if (from.length > 0) filters.push(`p.user_id IN (${from.map(bind).join(', ')})`);
      if (inChannels.length > 0) filters.push(`p.channel_id IN (${inChannels.map(bind).join(', ')})`);
      if (parsed.createdFrom !== undefined) filters.push(`p.created_at >= ${bind(parsed.createdFrom)}`);
      if (parsed.createdBefore !== undefined) filters.push(`p.created_at < ${bind(parsed.createdBefore)}`);
      const rest = filters.map((f) => ` AND ${f}`).join('');
      const join = 'FROM post_search JOIN posts p ON p.seq = post_search.rowid WHERE post_search MATCH ?';
      add(kind, 'base', time(`SELECT p.* ${join}${rest} ORDER BY p.seq DESC LIMIT 20`, [match, ...values]));
      add(kind, 'base_fts_order', time(`SELECT p.* ${join}${rest} ORDER BY post_search.rowid DESC LIMIT 20`, [match, ...values]));
    });
    await store.close();
    db.close();
    const kinds = [...new Set([...samples.keys()].map((k) => k.split(' ')[0]!)), 'all'];
    printTable(`SQLite time per statement, ms: mean (p99); ${perClient} queries per kind and client, ${CLIENTS} clients, one at a time`, kinds.map((kind) => ({
      kind,
      ...Object.fromEntries(VARIANTS.map((v) => {
        const values = kind === 'all' ? [...samples].filter(([k]) => k.endsWith(` ${v}`)).flatMap(([, list]) => list) : samples.get(`${kind} ${v}`) ?? [];
        const s = summarize(values);
        return [v, `${s.mean} (${s.p99})`];
      })),
    })));
  } finally {
    await ctx.cleanup();
  }
}

/**
 * The scenario's query mix, CLIENTS clients × `perClient` queries each, in order: `run` gets
 * each query's kind, text, parse and the PostQuery that the server would give SearchStore.posts.
 */
async function eachQuery(world: World, perClient: number, run: (kind: string, q: string, parsed: ParsedSearch, query: PostQuery) => Promise<void>): Promise<void> {
  const { streamOf, userOf } = clientsOf(world, CLIENTS);
  const userIds = new Map(world.seeded.users.map((u) => [u.username, u.id]));
  const channelIds = new Map(world.seeded.channelIds.map((id, n) => [`bench-${n}`, id]));
  for (let c = 0; c < CLIENTS; c++) {
    const next = streamOf(c);
    const user = world.seeded.users[userOf(c)]!;
    for (let n = 0; n < perClient; n++) {
      const { kind, q } = next();
      const parsed = parseSearchQuery(q);
      const from = parsed.from.map((u) => userIds.get(u)!);
      const inChannels = parsed.inChannels.map((name) => channelIds.get(name)!);
      await run(kind, q, parsed, {
        scope: { userId: user.id, memberAndTeamPublic: true, allTeamChannels: false }, clauses: parsed.clauses, teamId: world.seeded.teamId,
        channelIds: inChannels.length > 0 ? inChannels : undefined, userIds: from.length > 0 ? from : undefined, createdFrom: parsed.createdFrom, createdBefore: parsed.createdBefore,
      });
    }
  }
}

/** PostgreSQL: SearchStore.posts as a whole against the bare baseline statement, per kind. */
async function postgresShapes(setup: SearchSetup, perClient: number): Promise<void> {
  const { store } = await openStore({ databaseUrl: setup.databaseUrl, dataDir: setup.dataDir, poolSize: 2 });
  const client = new pg.Client({ connectionString: setup.databaseUrl });
  await client.connect();
  const { world } = setup;
  const samples = new Map<string, number[]>();
  // Two rounds of the same queries: the first warms the caches, the second is reported.
  for (let round = 0; round < 2; round++) {
    samples.clear();
    await eachQuery(world, perClient, async (kind, q, _parsed, query) => {
      let t0 = performance.now();
      await store.search.posts(query, { order: 'newest', offset: 0, limit: 20 });
      const rc = performance.now() - t0;
      const bare = postgresStatement(bareQuery(world, q));
      t0 = performance.now();
      await client.query(bare.text, bare.values);
      const base = performance.now() - t0;
      for (const [key, ms] of [[`${kind} rc_all`, rc], [`${kind} base`, base]] as const) samples.set(key, [...(samples.get(key) ?? []), ms]);
    });
  }
  await client.end();
  await store.close();
  const kinds = [...new Set([...samples.keys()].map((k) => k.split(' ')[0]!)), 'all'];
  const of = (kind: string, v: string): number[] => kind === 'all' ? [...samples].filter(([k]) => k.endsWith(` ${v}`)).flatMap(([, list]) => list) : samples.get(`${kind} ${v}`) ?? [];
  printTable(`PostgreSQL time per search, ms: mean (p99); ${perClient} queries per kind and client, ${CLIENTS} clients, one at a time`, kinds.map((kind) => {
    const base = summarize(of(kind, 'base'));
    const rc = summarize(of(kind, 'rc_all'));
    return { kind, base: `${base.mean} (${base.p99})`, rc_all: `${rc.mean} (${rc.p99})`, ratio: rc.mean === 0 ? '' : Math.round((base.mean / rc.mean) * 100) / 100 };
  }));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
