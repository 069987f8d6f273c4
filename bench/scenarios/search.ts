/**
 * `search`: C concurrent clients, each a seeded person with a token, search posts
 * (`GET /api/v1/search/posts?q=&team_id=&per_page=20`) for D seconds with a mix of queries
 * (one common word, a rare word, two words, a "phrase", a prefix*, word -excluded, from:@user,
 * in:~channel, after:/before: a date, #hashtag) on a database of N posts seeded through the
 * store, each with its search document (so the seeding rate includes indexing). Queries per
 * second, latency per query kind, errors, the server's CPU.
 *
 * Baseline, measured in the same run on the same database with the same queries at the same
 * concurrency: the engine's own query on the same index, without authorization and without
 * the API. SQLite: better-sqlite3, a read-only connection to the server's file,
 *   SELECT p.* FROM post_search JOIN posts p ON p.seq = post_search.rowid
 *   WHERE post_search MATCH ? ORDER BY p.seq DESC LIMIT 20
 * with the MATCH string built from parseSearchQuery's clauses as the store builds it (excluded
 * words with FTS5's own NOT). PostgreSQL (`pg`): the same join on `post_search ps` with
 * `ps.<column> @@ $n::tsquery` per index column. The operators' filters (from:, in:, dates)
 * are plain conditions on `p` with the ids resolved beforehand.
 */
import { statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { BenchContext } from '../lib/context.js';
import { Corpus, prng, Zipf } from '../lib/corpus.js';
import { HttpClient } from '../lib/http.js';
import { seed, seedPosts, type PostSeedResult, type Seeded } from '../lib/seed.js';
import { CpuMeter, cpuSeconds, machineBusySeconds, pidsNamed } from '../lib/server.js';
import { nowMs, round, summarize, type Summary } from '../lib/stats.js';
import { printTable } from '../lib/table.js';
import { parseSearchQuery, type SearchClause, type SearchColumn } from '../../src/domain/search.js';
import { SEARCH_COUNT_CAP } from '../../src/store/search.js';

const DAY_MS = 86_400_000;
const PAGE = 20;
const KINDS = ['common', 'rare', 'two_words', 'phrase', 'prefix', 'excluded', 'from', 'in', 'date', 'hashtag'] as const;
type Kind = (typeof KINDS)[number];

export interface Query {
  readonly kind: Kind;
  readonly q: string;
}

/** Who is where: the seeded people, their channels, and what the queries draw from. */
export interface World {
  readonly seeded: Seeded;
  readonly corpus: Corpus;
  /** Channel indexes of each person. */
  readonly channelsOf: readonly (readonly number[])[];
  /** Adjacent word pairs taken from seeded posts (for phrases that exist). */
  readonly pairs: readonly string[];
  readonly from: number;
  readonly to: number;
}

interface Measured {
  readonly queries: number;
  readonly errors: number;
  readonly seconds: number;
  readonly per_second: number;
  /** As a client sees it, queueing included (for the SQLite baseline: while the other logical clients take their turns). */
  readonly latency_ms: Summary;
  readonly per_kind: Record<Kind, { latency_ms: Summary; mean_results: number; mean_total?: number }>;
  readonly first_error?: string;
}

/** A person's (client's) stream of queries: the same sequence for the baseline and RustChat. */
function queryStream(world: World, client: number, user: number): () => Query {
  const random = prng(0x5eed + client);
  const { corpus } = world;
  const mine = world.channelsOf[user]!;
  let n = client;
  const day = (t: number): string => new Date(t).toISOString().slice(0, 10);
  return () => {
    const kind = KINDS[n++ % KINDS.length]!;
    const common = (): string => corpus.wordInRanks(random, 10, 60);
    const usual = (): string => corpus.wordInRanks(random, 10, 300);
    switch (kind) {
      case 'common':
        return { kind, q: common() };
      case 'rare':
        return { kind, q: corpus.wordInRanks(random, 1500, corpus.words.length) };
      case 'two_words':
        return { kind, q: `${corpus.wordInRanks(random, 10, 200)} ${corpus.wordInRanks(random, 200, 1500)}` };
      case 'phrase':
        return { kind, q: `"${world.pairs[Math.floor(random() * world.pairs.length)]!}"` };
      case 'prefix': {
        let w = corpus.wordInRanks(random, 60, 1000);
        while (w.length < 5) w = corpus.wordInRanks(random, 60, 1000);
        return { kind, q: `${w.slice(0, 3 + Math.floor(random() * 2))}*` };
      }
      case 'excluded': {
        const a = common();
        let b = common();
        while (b === a) b = common();
        return { kind, q: `${a} -${b}` };
      }
      case 'from':
        return { kind, q: `from:@${world.seeded.users[Math.floor(random() * world.seeded.users.length)]!.username} ${usual()}` };
      case 'in':
        return { kind, q: `in:~bench-${mine[Math.floor(random() * mine.length)]!} ${usual()}` };
      case 'date': {
        const at = world.from + random() * (world.to - world.from);
        return { kind, q: `${random() < 0.5 ? 'after' : 'before'}:${day(at)} ${usual()}` };
      }
      case 'hashtag':
        return { kind, q: `#${corpus.hashtag(random)}` };
    }
  };
}

/** Runs `clients` loops of `op` for `seconds` (after `warmup` seconds not counted); op answers results (and total) or an error. */
async function drive(
  clients: number,
  warmup: number,
  seconds: number,
  streamOf: (c: number) => () => Query,
  op: (c: number, query: Query) => Promise<{ results: number; total?: number } | { error: string }>,
  onMeasureStart: () => void,
): Promise<Measured> {
  const latencies: number[] = [];
  const byKind = new Map<Kind, { latencies: number[]; results: number; total: number; counted: number }>(KINDS.map((k) => [k, { latencies: [], results: 0, total: 0, counted: 0 }]));
  let errors = 0;
  let firstError: string | undefined;
  let measuring = false;
  let t0 = nowMs();
  const deadline = t0 + (warmup + seconds) * 1000;
  const begin = (): void => {
    measuring = true;
    t0 = nowMs();
    onMeasureStart();
  };
  const timer = warmup > 0 ? setTimeout(begin, warmup * 1000) : undefined;
  if (timer === undefined) begin();
  let ok = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_v, c) => {
      const next = streamOf(c);
      while (nowMs() < deadline) {
        const query = next();
        const counted = measuring;
        const s = nowMs();
        const r = await op(c, query);
        if (!counted) continue;
        if ('error' in r) {
          errors++;
          firstError ??= `${query.q}: ${r.error}`;
          continue;
        }
        const ms = nowMs() - s;
        ok++;
        latencies.push(ms);
        const k = byKind.get(query.kind)!;
        k.latencies.push(ms);
        k.results += r.results;
        if (r.total !== undefined) {
          k.total += r.total;
          k.counted++;
        }
      }
    }),
  );
  clearTimeout(timer);
  const elapsed = (nowMs() - t0) / 1000;
  const perKind = Object.fromEntries(KINDS.map((kind) => {
    const k = byKind.get(kind)!;
    const n = k.latencies.length;
    return [kind, { latency_ms: summarize(k.latencies), mean_results: n === 0 ? 0 : round(k.results / n, 1), ...(k.counted > 0 ? { mean_total: round(k.total / k.counted, 1) } : {}) }];
  })) as Measured['per_kind'];
  return { queries: ok, errors, seconds: round(elapsed), per_second: round(ok / elapsed, 1), latency_ms: summarize(latencies), per_kind: perKind, ...(firstError === undefined ? {} : { first_error: firstError.slice(0, 300) }) };
}

/** What a parsed query becomes for the bare engine: text conditions and the operators' filters. */
interface BareQuery {
  readonly positive: readonly SearchClause[];
  readonly negative: readonly SearchClause[];
  readonly userIds: readonly string[] | undefined;
  readonly channelIds: readonly string[] | undefined;
  readonly createdFrom: number | undefined;
  readonly createdBefore: number | undefined;
}

export function bareQuery(world: World, q: string): BareQuery {
  const parsed = parseSearchQuery(q);
  const byName = (names: readonly string[], all: ReadonlyMap<string, string>): string[] | undefined => names.length === 0 ? undefined : names.flatMap((n) => all.get(n) ?? []);
  return {
    positive: parsed.clauses.filter((c) => !c.negated),
    negative: parsed.clauses.filter((c) => c.negated),
    userIds: byName(parsed.from, usernames(world)),
    channelIds: byName(parsed.inChannels, channelNames(world)),
    createdFrom: parsed.createdFrom,
    createdBefore: parsed.createdBefore,
  };
}

const usernameCache = new WeakMap<World, Map<string, string>>();
function usernames(world: World): Map<string, string> {
  let m = usernameCache.get(world);
  if (m === undefined) usernameCache.set(world, (m = new Map(world.seeded.users.map((u) => [u.username, u.id]))));
  return m;
}
const channelNameCache = new WeakMap<World, Map<string, string>>();
function channelNames(world: World): Map<string, string> {
  let m = channelNameCache.get(world);
  if (m === undefined) channelNameCache.set(world, (m = new Map(world.seeded.channelIds.map((id, n) => [`bench-${n}`, id]))));
  return m;
}

/** The operators' filters as conditions on `p` with placeholders (`?` or `$n`), and their values. */
function filters(b: BareQuery, placeholder: (value: unknown) => string): string {
  const out: string[] = [];
  const inList = (column: string, ids: readonly string[]): string => ids.length === 0 ? '1 = 0' : `${column} IN (${ids.map((id) => placeholder(id)).join(', ')})`;
  if (b.userIds !== undefined) out.push(inList('p.user_id', b.userIds));
  if (b.channelIds !== undefined) out.push(inList('p.channel_id', b.channelIds));
  if (b.createdFrom !== undefined) out.push(`p.created_at >= ${placeholder(b.createdFrom)}`);
  if (b.createdBefore !== undefined) out.push(`p.created_at < ${placeholder(b.createdBefore)}`);
  return out.map((c) => ` AND ${c}`).join('');
}

/** One FTS5 clause, as store/kysely/search.ts writes it. */
function fts5(c: SearchClause): string {
  return `${c.column} : "${c.atom.tokens.join(' ')}"${c.atom.prefix ? ' *' : ''}`;
}

/** One tsquery clause, as store/kysely/search.ts writes it. */
function tsquery(c: SearchClause): string {
  const parts = c.atom.tokens.map((t, i) => `'${t}'${c.atom.prefix && i === c.atom.tokens.length - 1 ? ':*' : ''}`);
  return parts.length === 1 ? parts[0]! : `(${parts.join(' <-> ')})`;
}

function sqliteStatement(b: BareQuery): { text: string; values: unknown[] } {
  if (b.positive.length === 0) throw new Error('the baseline needs a positive clause');
  const values: unknown[] = [];
  const match = `(${b.positive.map(fts5).join(' AND ')})${b.negative.length > 0 ? ` NOT (${b.negative.map(fts5).join(' OR ')})` : ''}`;
  values.push(match);
  const rest = filters(b, (v) => {
    values.push(v);
    return '?';
  });
  return { text: `SELECT p.* FROM post_search JOIN posts p ON p.seq = post_search.rowid WHERE post_search MATCH ?${rest} ORDER BY p.seq DESC LIMIT ${PAGE}`, values };
}

export function postgresStatement(b: BareQuery): { text: string; values: unknown[] } {
  if (b.positive.length === 0) throw new Error('the baseline needs a positive clause');
  const values: unknown[] = [];
  const param = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  const columns: SearchColumn[] = ['words', 'stems', 'tags'];
  const conditions: string[] = [];
  for (const col of columns) {
    const mine = b.positive.filter((c) => c.column === col);
    if (mine.length > 0) conditions.push(`ps.${col} @@ ${param(mine.map(tsquery).join(' & '))}::tsquery`);
  }
  const excluded = columns.flatMap((col) => {
    const mine = b.negative.filter((c) => c.column === col);
    return mine.length === 0 ? [] : [`ps.${col} @@ ${param(mine.map(tsquery).join(' | '))}::tsquery`];
  });
  if (excluded.length > 0) conditions.push(`NOT (${excluded.join(' OR ')})`);
  const rest = filters(b, param);
  return { text: `SELECT p.* FROM post_search ps JOIN posts p ON p.seq = ps.seq WHERE ${conditions.join(' AND ')}${rest} ORDER BY p.seq DESC LIMIT ${PAGE}`, values };
}

interface Side extends Measured {
  /** CPU per query, in ms: for RustChat the server's (and PostgreSQL's), for the baseline this process's (and PostgreSQL's). */
  readonly cpu_ms_per_query: number;
  readonly cores: number;
  readonly db_cores?: number;
  readonly client_cores?: number;
  readonly process_cores?: readonly number[];
  readonly machine_cores: number;
  /** One client alone afterwards, the same queries: a search's own latency, no queueing behind others. */
  readonly one_client: Measured;
}

/** The load of a run: C clients for D seconds after a warm-up, then one client alone. */
interface Load {
  readonly clients: number;
  readonly warmup: number;
  readonly seconds: number;
  readonly oneClientSeconds: number;
  readonly streamOf: (c: number) => () => Query;
}

type Op = (c: number, query: Query) => Promise<{ results: number; total?: number } | { error: string }>;

function processCores(since: NodeJS.CpuUsage, seconds: number): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6 / seconds;
}

/** The load through `op`: `meter` restarts when measuring starts and answers the CPU used (server/db, this process) afterwards. */
async function run(load: Load, op: Op, meter: { reset(): void; read(seconds: number): Used }): Promise<Side> {
  const m = await drive(load.clients, load.warmup, load.seconds, load.streamOf, op, () => meter.reset());
  const used = meter.read(m.seconds);
  const oneClient = await drive(1, 0, load.oneClientSeconds, load.streamOf, op, () => undefined);
  const cpuMs = m.queries === 0 ? 0 : round((used.cores * m.seconds * 1000) / m.queries, 3);
  return {
    ...m, cores: round(used.cores), ...(used.db_cores === undefined ? {} : { db_cores: round(used.db_cores) }), client_cores: round(used.client_cores),
    ...(used.process_cores === undefined ? {} : { process_cores: used.process_cores }), machine_cores: round(used.machine_cores), cpu_ms_per_query: cpuMs, one_client: oneClient,
  };
}

interface Used {
  readonly cores: number;
  readonly db_cores?: number;
  readonly client_cores: number;
  /** Each server process (a primary and its workers), in order of process id. */
  readonly process_cores?: readonly number[];
  /** The whole machine (every process, ours and others'): on a shared machine, what others took shows here. */
  readonly machine_cores: number;
}

/** `cores` of a side: what `pids` used, plus PostgreSQL's, plus this process when it is the one doing the work (the SQLite baseline). */
function cpuMeter(pids: () => readonly number[], dbPids: () => readonly number[], thisProcessWorks: boolean): { reset(): void; read(seconds: number): Used } {
  const main = new CpuMeter(pids);
  const db = new CpuMeter(dbPids);
  let perProcess: Array<[number, number]> = [];
  let machine = 0;
  let cpu = process.cpuUsage();
  return {
    reset() {
      main.reset();
      db.reset();
      perProcess = pids().map((pid) => [pid, cpuSeconds(pid)]);
      machine = machineBusySeconds();
      cpu = process.cpuUsage();
    },
    read(seconds) {
      const client = processCores(cpu, seconds);
      const dbCores = dbPids().length === 0 ? undefined : db.cores();
      return {
        cores: main.cores() + (dbCores ?? 0) + (thisProcessWorks ? client : 0),
        ...(dbCores === undefined ? {} : { db_cores: dbCores }),
        client_cores: client,
        ...(perProcess.length === 0 ? {} : { process_cores: perProcess.sort((a, b) => a[0] - b[0]).map(([pid, start]) => round((cpuSeconds(pid) - start) / seconds)) }),
        machine_cores: (machineBusySeconds() - machine) / seconds,
      };
    },
  };
}

async function baselineSqlite(world: World, dataDir: string, load: Load): Promise<Side & { query_ms: Summary }> {
  const db = new BetterSqlite3(join(dataDir, 'rustchat.db'), { readonly: true });
  // The server's read settings (src/store/sqlite/open.ts), so the engine works with the same cache.
  db.pragma('mmap_size = 268435456');
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  const statements = new Map<string, BetterSqlite3.Statement>();
  const own: number[] = [];
  let recording = false;
  const meter = cpuMeter(() => [], () => [], true);
  const side = await run(load, async (_c, query) => {
    // Taking turns: a logical client waits while the others run theirs (its latency includes that).
    await new Promise<void>((r) => setImmediate(r));
    try {
      const { text, values } = sqliteStatement(bareQuery(world, query.q));
      let stmt = statements.get(text);
      if (stmt === undefined) statements.set(text, (stmt = db.prepare(text)));
      const s = nowMs();
      const rows = stmt.all(...values);
      if (recording) own.push(nowMs() - s);
      return { results: rows.length };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }, {
    reset() {
      recording = true;
      meter.reset();
    },
    read(seconds) {
      recording = false;
      return meter.read(seconds);
    },
  });
  db.close();
  return { ...side, query_ms: summarize(own) };
}

async function baselinePostgres(world: World, databaseUrl: string, load: Load): Promise<Side> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: load.clients });
  // The client's own work (building the statement, pg's protocol) counts as the baseline's too.
  const side = await run(load, async (_c, query) => {
    try {
      const { text, values } = postgresStatement(bareQuery(world, query.q));
      const { rows } = await pool.query(text, values);
      return { results: rows.length };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }, cpuMeter(() => [], () => pidsNamed(['postgres']), true));
  await pool.end();
  return side;
}

async function rustchat(ctx: BenchContext, world: World, dataDir: string, databaseUrl: string | undefined, load: Load, userOf: (c: number) => number): Promise<Side & { server_rss_mb: number }> {
  const servers = await ctx.startNodes(dataDir, databaseUrl);
  const https = servers.map((s) => new HttpClient(s.url, Math.ceil(load.clients / servers.length)));
  const teamId = world.seeded.teamId;
  const side = await run(load, async (c, query) => {
    const user = world.seeded.users[userOf(c)]!;
    try {
      const res = await https[c % https.length]!.send('GET', `/api/v1/search/posts?q=${encodeURIComponent(query.q)}&team_id=${teamId}&per_page=${PAGE}`, user.token);
      if (res.status !== 200) return { error: `HTTP ${res.status}: ${res.body.slice(0, 200)}` };
      const body = JSON.parse(res.body) as { results: unknown[]; total: number };
      return { results: body.results.length, total: body.total };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }, cpuMeter(() => servers.flatMap((s) => s.pids()), () => (databaseUrl === undefined ? [] : pidsNamed(['postgres'])), false));
  const rss = servers.reduce((sum, s) => sum + s.rss(), 0);
  for (const h of https) h.close();
  for (const s of servers) await s.stop();
  return { ...side, server_rss_mb: round(rss / 2 ** 20, 1) };
}

/** Each person's channels: one by index (so every channel has someone), the rest by popularity. */
function memberships(people: number, channels: number, perPerson: number, random: () => number): number[][] {
  const popularity = new Zipf(channels, 0.8);
  // Rank → channel, shuffled, so popular channels are public or private alike.
  const byRank = Array.from({ length: channels }, (_v, i) => i);
  for (let i = channels - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [byRank[i], byRank[j]] = [byRank[j]!, byRank[i]!];
  }
  const want = Math.min(perPerson, channels);
  return Array.from({ length: people }, (_v, u) => {
    const mine = new Set<number>([u % channels]);
    while (mine.size < want) mine.add(byRank[popularity.draw(random)]!);
    return [...mine];
  });
}

/** The seeded database of a run and what the queries are drawn from. */
export interface SearchSetup {
  readonly world: World;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly seeding: PostSeedResult & { readonly database_mb: number; readonly memberships: number };
  readonly parameters: { readonly posts: number; readonly channels: number; readonly people: number; readonly channels_per_person: number; readonly public_pct: number; readonly days: number };
}

/** Seeds people, channels and posts (through the store, indexed) per the run's knobs. */
export async function seedSearchData(ctx: BenchContext): Promise<SearchSetup> {
  const postCount = ctx.knob('posts', 1_000_000, 50_000);
  const channelCount = ctx.knob('channels', 2000, 200);
  const people = ctx.knob('people', 5000, 500);
  const perPerson = ctx.knob('channels-per-person', 20, 20);
  // Public channels are readable by every member of the team; the rest only by their members.
  const publicPct = ctx.knob('public-pct', 25, 25);
  const days = ctx.knob('days', 90, 90);
  const random = prng(20261202);

  const dataDir = ctx.tempDir('search');
  const databaseUrl = ctx.options.postgres ? await ctx.database() : undefined;
  const channelsOf = memberships(people, channelCount, perPerson, random);
  const membersOf: number[][] = Array.from({ length: channelCount }, () => []);
  channelsOf.forEach((list, u) => list.forEach((n) => membersOf[n]!.push(u)));
  const isPrivate = (n: number): boolean => n % 100 >= publicPct;
  console.log(`seeding ${people} people, ${channelCount} channels (${publicPct}% public), ${perPerson} channels each…`);
  const seeded = await seed({ dataDir, databaseUrl, jwtSecret: ctx.jwtSecret, users: people, channels: channelCount, membersOf: (n) => membersOf[n]!, privateChannel: isPrivate });

  // Posts go to a membership drawn at random: busy channels are the big ones, authors are members.
  const pairsOf: Array<[number, number]> = channelsOf.flatMap((list, u) => list.map((n): [number, number] => [u, n]));
  const corpus = new Corpus({ seed: 7 });
  const to = Date.now();
  const from = to - days * DAY_MS;
  const postRandom = prng(99);
  const stride = Math.max(1, Math.floor(postCount / 4096));
  const pairs: string[] = [];
  const progressEvery = Math.max(1, Math.floor(postCount / 20));
  let lastProgress = 0;
  console.log(`seeding ${postCount.toLocaleString('en-US')} posts through the store (with their search documents)…`);
  const seeding = await seedPosts({
    dataDir, databaseUrl, seeded, count: postCount,
    batch: ctx.options.postgres ? 2000 : 5000,
    // On PostgreSQL several transactions at a time (their own channels each); SQLite has one writer.
    parallel: ctx.options.postgres ? 4 : 1,
    post: (i) => {
      const [user, channel] = pairsOf[Math.floor(postRandom() * pairsOf.length)]!;
      const message = corpus.message(postRandom);
      if (i % stride === 0) {
        const words = message.toLowerCase().split(' ').map((w) => w.replace(/[.,?!]+$/, '')).filter((w) => /^[a-z]+$/.test(w));
        if (words.length >= 2) {
          const k = Math.floor(postRandom() * (words.length - 1));
          pairs.push(`${words[k]} ${words[k + 1]}`);
        }
      }
      return { channel, user, message, createdAt: Math.floor(from + ((i + postRandom()) * (to - from)) / postCount) };
    },
    onProgress: (done, s) => {
      if (done - lastProgress >= progressEvery || done === postCount) {
        lastProgress = done;
        console.log(`  ${done.toLocaleString('en-US')} posts, ${s.toFixed(1)} s, ${Math.round(done / s).toLocaleString('en-US')} posts/s`);
      }
    },
  });
  let databaseMb: number;
  if (databaseUrl !== undefined) {
    // What autovacuum does after a bulk load, done now: statistics for the planner, and the
    // channel rows' dead versions gone (every post updated its channel's last post: a million
    // dead tuples over 2,000 live rows make each scan of `channels` cost tens of milliseconds).
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    await c.query('VACUUM ANALYZE');
    databaseMb = Number((await c.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n')).rows[0]!.n) / 2 ** 20;
    await c.end();
  } else {
    databaseMb = statSync(join(dataDir, 'rustchat.db')).size / 2 ** 20;
  }
  console.log(`seeded in ${seeding.seconds} s: ${seeding.per_second.toLocaleString('en-US')} posts/s (indexing included; ${seeding.generate_seconds} s of it making the texts); database ${round(databaseMb, 0)} MB`);

  return {
    world: { seeded, corpus, channelsOf, pairs, from, to },
    dataDir,
    databaseUrl,
    seeding: { ...seeding, database_mb: round(databaseMb, 1), memberships: pairsOf.length },
    parameters: { posts: postCount, channels: channelCount, people, channels_per_person: perPerson, public_pct: publicPct, days },
  };
}

/** Client c: a random person, the same one (with the same queries) on both sides. */
export function clientsOf(world: World, clients: number): { userOf: (c: number) => number; streamOf: (c: number) => () => Query } {
  const random = prng(31337);
  const users = Array.from({ length: clients }, () => Math.floor(random() * world.seeded.users.length));
  return { userOf: (c) => users[c]!, streamOf: (c) => queryStream(world, c, users[c]!) };
}

export async function searchScenario(ctx: BenchContext): Promise<Record<string, unknown>> {
  const clients = ctx.knob('clients', 64, 16);
  const seconds = ctx.knob('seconds', 30, 5);
  const warmup = ctx.knob('warmup', 5, 1);
  const oneClientSeconds = ctx.knob('one-client-seconds', 15, 2);
  const database = ctx.options.postgres ? 'postgres' : 'sqlite';
  const { world, dataDir, databaseUrl, seeding, parameters } = await seedSearchData(ctx);
  const { userOf, streamOf } = clientsOf(world, clients);
  const { posts: postCount, channels: channelCount, people } = parameters;
  const load: Load = { clients, warmup, seconds, oneClientSeconds, streamOf };

  console.log(`baseline: the bare ${database} query, ${clients} clients, ${seconds} s, then one client ${oneClientSeconds} s…`);
  const baseline: Side & { query_ms?: Summary } = databaseUrl === undefined ? await baselineSqlite(world, dataDir, load) : await baselinePostgres(world, databaseUrl, load);
  console.log(`rustchat: GET /api/v1/search/posts, ${clients} clients, ${seconds} s, then one client ${oneClientSeconds} s…`);
  const ours = await rustchat(ctx, world, dataDir, databaseUrl, load, userOf);

  const ratio = round(ours.per_second / baseline.per_second, 3);
  const p99Max = 100;
  const ratioMin = 0.5;
  const metP99 = ours.latency_ms.p99 <= p99Max;
  const metRatio = ratio >= ratioMin;
  const workers = ctx.options.workers === undefined ? `default workers (${cpus().length})` : `${ctx.options.workers} worker(s)`;
  const row = (system: string, m: Measured, side?: Side) => ({
    system, 'q/s': m.per_second, queries: m.queries, errors: m.errors, 'p50 ms': m.latency_ms.p50, 'p95 ms': m.latency_ms.p95, 'p99 ms': m.latency_ms.p99,
    cores: side?.cores ?? '', 'CPU ms/query': side?.cpu_ms_per_query ?? '',
  });
  printTable(`search: ${postCount.toLocaleString('en-US')} posts, ${channelCount} channels, ${people} people; ${clients} clients, ${seconds} s (then one client, ${oneClientSeconds} s); ${database}; ${workers}`, [
    row(`bare ${database} query (baseline)`, baseline, baseline),
    row('rustchat HTTP', ours, ours),
    row('  baseline, one client', baseline.one_client),
    row('  rustchat, one client', ours.one_client),
  ]);
  printTable(`per query kind, ${clients} clients (rows: returned, mean; total: RustChat's count of readable matches, capped at ${SEARCH_COUNT_CAP.toLocaleString('en-US')}), then one client`, KINDS.map((k) => {
    const b = baseline.per_kind[k];
    const r = ours.per_kind[k];
    return {
      kind: k, 'base p50': b.latency_ms.p50, 'base p99': b.latency_ms.p99, 'base rows': b.mean_results,
      'rc p50': r.latency_ms.p50, 'rc p99': r.latency_ms.p99, 'rc rows': r.mean_results, 'rc total': r.mean_total ?? '', 'rc queries': r.latency_ms.count,
      '1 client: base p50': baseline.one_client.per_kind[k].latency_ms.p50, 'base p99 ': baseline.one_client.per_kind[k].latency_ms.p99,
      'rc p50 ': ours.one_client.per_kind[k].latency_ms.p50, 'rc p99 ': ours.one_client.per_kind[k].latency_ms.p99,
    };
  }));
  if (baseline.query_ms !== undefined) console.log(`baseline engine time per query (the statement alone, ${clients} clients): p50 ${baseline.query_ms.p50} ms, p99 ${baseline.query_ms.p99} ms, mean ${baseline.query_ms.mean} ms`);
  const dbNote = (side: Side): string => (side.db_cores === undefined ? '' : `, of which PostgreSQL ${side.db_cores}`);
  console.log(`cores while measuring: RustChat ${ours.cores} (server${ours.db_cores === undefined ? '' : ' + PostgreSQL'}${dbNote(ours)}; per server process ${ours.process_cores?.join(' / ') ?? '?'}), its HTTP clients ${ours.client_cores}, the whole machine ${ours.machine_cores}; baseline ${baseline.cores} (this process${baseline.db_cores === undefined ? '' : ' + PostgreSQL'}${dbNote(baseline)}), the whole machine ${baseline.machine_cores} (of ${cpus().length})`);
  if (ours.first_error !== undefined) console.log(`first RustChat error: ${ours.first_error}`);
  if (baseline.first_error !== undefined) console.log(`first baseline error: ${baseline.first_error}`);
  console.log(`seeding: ${seeding.per_second.toLocaleString('en-US')} posts/s (${seeding.seconds} s for ${postCount.toLocaleString('en-US')}, indexing included)`);
  console.log(`ratio rustchat/baseline = ${ratio} (target ≥ ${ratioMin}: ${metRatio ? 'met' : 'missed'}); p99 ${ours.latency_ms.p99} ms at ${clients} clients (target ≤ ${p99Max} ms on the embedded database: ${database === 'sqlite' ? (metP99 ? 'met' : 'missed') : 'not applicable'}), ${ours.one_client.latency_ms.p99} ms with one client`);

  return {
    parameters: { ...parameters, clients, seconds, warmup_s: warmup, one_client_seconds: oneClientSeconds, per_page: PAGE, database, nodes: ctx.options.nodes, query_kinds: KINDS },
    seeding,
    baseline: {
      name: database === 'sqlite'
        ? `better-sqlite3 read-only: SELECT p.* FROM post_search JOIN posts p ON p.seq = post_search.rowid WHERE post_search MATCH ? [operator filters] ORDER BY p.seq DESC LIMIT ${PAGE}; ${clients} logical clients taking turns`
        : `pg: SELECT p.* FROM post_search ps JOIN posts p ON p.seq = ps.seq WHERE ps.<col> @@ $n::tsquery ... [operator filters] ORDER BY p.seq DESC LIMIT ${PAGE}; pool of ${clients}`,
      ...baseline,
    },
    rustchat: ours,
    ratio,
    target: { ratio_min: ratioMin, p99_ms_max: p99Max, p99_applies_to: `sqlite, ${clients} clients` },
    met_ratio: metRatio,
    met_p99: database === 'sqlite' ? metP99 : null,
    met: metRatio && (database !== 'sqlite' || metP99) && ours.errors === 0,
  };
}
