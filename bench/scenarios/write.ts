/**
 * `write`: C concurrent clients create posts over HTTP for D seconds; acknowledged (201,
 * durably committed) posts per second. Baseline, measured in the same run: the raw driver
 * inserting the same rows at the same concurrency with the same durability, one
 * transaction per row (better-sqlite3 in WAL with synchronous=FULL, or pg autocommit).
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { BenchContext } from '../lib/context.js';
import { HttpClient } from '../lib/http.js';
import { seed } from '../lib/seed.js';
import { CpuMeter } from '../lib/server.js';
import { nowMs, round, summarize } from '../lib/stats.js';
import { printTable } from '../lib/table.js';
import { openStore } from '../../src/store/open.js';

interface Rate {
  readonly acked: number;
  readonly errors: number;
  readonly seconds: number;
  readonly per_second: number;
  readonly latency_ms: ReturnType<typeof summarize>;
}

const INSERT_COLUMNS = ['id', 'channel_id', 'user_id', 'root_post_id', 'message', 'props', 'file_ids', 'is_pinned', 'created_at', 'client_msg_id', 'mention_all', 'reply_count'];

function postRow(channelId: string, userId: string, n: number): unknown[] {
  return [randomUUID(), channelId, userId, null, `bench message ${n}`, '{}', '[]', 0, Date.now(), null, 0, 0];
}

async function baselineSqlite(ctx: BenchContext, clients: number, seconds: number): Promise<Rate> {
  const dir = ctx.tempDir('write-base');
  const seeded = await seed({ dataDir: dir, jwtSecret: ctx.jwtSecret, users: clients, channels: 8 });
  const db = new BetterSqlite3(join(dir, 'rustchat.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const insert = db.prepare(`INSERT INTO posts (${INSERT_COLUMNS.join(',')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(',')})`);
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const latencies: number[] = [];
  let acked = 0;
  const deadline = nowMs() + seconds * 1000;
  // "Concurrency" for a synchronous driver: C logical clients taking turns, as they would in one process.
  const loops = Array.from({ length: clients }, async (_v, c) => {
    while (nowMs() < deadline) {
      const t0 = nowMs();
      begin.run();
      insert.run(...postRow(seeded.channelIds[c % seeded.channelIds.length]!, seeded.users[c]!.id, acked));
      commit.run();
      latencies.push(nowMs() - t0);
      acked++;
      await new Promise<void>((r) => setImmediate(r));
    }
  });
  const t0 = nowMs();
  await Promise.all(loops);
  const elapsed = (nowMs() - t0) / 1000;
  db.close();
  return { acked, errors: 0, seconds: round(elapsed), per_second: round(acked / elapsed), latency_ms: summarize(latencies) };
}

async function baselinePostgres(ctx: BenchContext, clients: number, seconds: number): Promise<Rate> {
  const url = await ctx.database();
  const seeded = await seed({ dataDir: ctx.tempDir('write-base'), databaseUrl: url, jwtSecret: ctx.jwtSecret, users: clients, channels: 8 });
  const pool = new pg.Pool({ connectionString: url, max: clients });
  const text = `INSERT INTO posts (${INSERT_COLUMNS.join(',')}) VALUES (${INSERT_COLUMNS.map((_c, i) => `$${i + 1}`).join(',')})`;
  const latencies: number[] = [];
  let acked = 0;
  const deadline = nowMs() + seconds * 1000;
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: clients }, async (_v, c) => {
      while (nowMs() < deadline) {
        const s = nowMs();
        await pool.query(text, postRow(seeded.channelIds[c % seeded.channelIds.length]!, seeded.users[c]!.id, acked));
        latencies.push(nowMs() - s);
        acked++;
      }
    }),
  );
  const elapsed = (nowMs() - t0) / 1000;
  await pool.end();
  return { acked, errors: 0, seconds: round(elapsed), per_second: round(acked / elapsed), latency_ms: summarize(latencies) };
}

async function rustchat(ctx: BenchContext, clients: number, seconds: number): Promise<Rate & { server_rss_mb: number; server_cores: number; client_cores: number }> {
  const dataDir = ctx.tempDir('write');
  const databaseUrl = ctx.options.postgres ? await ctx.database() : undefined;
  const seeded = await seed({ dataDir, databaseUrl, jwtSecret: ctx.jwtSecret, users: clients, channels: ctx.knob('channels', 8, 8) });
  // With --nodes, client c talks to node c mod nodes.
  const servers = await ctx.startNodes(dataDir, databaseUrl);
  const https = servers.map((s) => new HttpClient(s.url, Math.ceil(clients / servers.length)));
  const httpFor = (c: number): HttpClient => https[c % https.length]!;
  const latencies: number[] = [];
  let acked = 0;
  let errors = 0;
  // Warm up the JIT and the connection pool before measuring.
  await Promise.all(seeded.users.slice(0, clients).map((u, c) => httpFor(c).send('POST', `/api/v1/channels/${seeded.channelIds[c % seeded.channelIds.length]}/posts`, u.token, { message: 'warmup' })));
  const serverCpu = new CpuMeter(() => servers.flatMap((s) => s.pids()));
  const clientCpu = process.cpuUsage();
  serverCpu.reset();
  const deadline = nowMs() + seconds * 1000;
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: clients }, async (_v, c) => {
      const user = seeded.users[c]!;
      const path = `/api/v1/channels/${seeded.channelIds[c % seeded.channelIds.length]}/posts`;
      let n = 0;
      while (nowMs() < deadline) {
        const s = nowMs();
        const res = await httpFor(c).send('POST', path, user.token, { message: `bench message ${c}-${n++}` });
        if (res.status === 201) {
          acked++;
          latencies.push(nowMs() - s);
        } else errors++;
      }
    }),
  );
  const elapsed = (nowMs() - t0) / 1000;
  // Cores busy while measuring: the server, and this process (the HTTP clients).
  const serverCores = round(serverCpu.cores(), 2);
  const used = process.cpuUsage(clientCpu);
  const clientCores = round((used.user + used.system) / 1e6 / elapsed, 2);
  const rss = servers.reduce((sum, s) => sum + s.rss(), 0);
  for (const h of https) h.close();
  for (const s of servers) await s.stop();
  return { acked, errors, seconds: round(elapsed), per_second: round(acked / elapsed), latency_ms: summarize(latencies), server_rss_mb: round(rss / 2 ** 20, 1), server_cores: serverCores, client_cores: clientCores };
}

export async function writeScenario(ctx: BenchContext): Promise<Record<string, unknown>> {
  const clients = ctx.knob('clients', 64, 8);
  const seconds = ctx.knob('seconds', 20, 3);
  const database = ctx.options.postgres ? 'postgres' : 'sqlite';
  // Make sure the schema exists before the baseline (openStore migrates).
  const probe = await openStore({ databaseUrl: undefined, dataDir: ctx.tempDir('probe'), poolSize: 1 });
  await probe.store.close();

  const baseline = ctx.options.postgres ? await baselinePostgres(ctx, clients, seconds) : await baselineSqlite(ctx, clients, seconds);
  const ours = await rustchat(ctx, clients, seconds);
  const ratio = round(ours.per_second / baseline.per_second, 3);
  printTable(`write: ${clients} clients, ${seconds}s, ${database}`, [
    { system: `raw ${database} driver (baseline)`, 'acked/s': baseline.per_second, acked: baseline.acked, errors: baseline.errors, 'p50 ms': baseline.latency_ms.p50, 'p99 ms': baseline.latency_ms.p99 },
    { system: 'rustchat HTTP', 'acked/s': ours.per_second, acked: ours.acked, errors: ours.errors, 'p50 ms': ours.latency_ms.p50, 'p99 ms': ours.latency_ms.p99 },
  ]);
  console.log(`cores busy during the RustChat run: server ${ours.server_cores}, HTTP clients ${ours.client_cores} (of ${cpus().length})`);
  console.log(`ratio rustchat/baseline = ${ratio} (target ≥ 1.0)`);
  return {
    parameters: { clients, seconds, database, nodes: ctx.options.nodes },
    baseline: { name: `raw ${database} driver, one transaction per row`, ...baseline },
    rustchat: ours,
    ratio,
    target: { ratio_min: 1.0 },
    met: ratio >= 1.0 && ours.errors === 0,
  };
}
