/**
 * `startup`: cold start to ready on the embedded database, and idle memory.
 *
 * The server is built once (`tsc` into bench/results/build/, like `npm start` builds dist/)
 * and run with plain `node` — no tsx — so the figure is what `npm start` users see after the
 * build: from spawning the process to the first 200 from /api/v1/health/ready, polled every
 * 5 ms. Two data directories: a fresh one (migrations run, secrets given) and one holding a
 * database of --db-mb megabytes (default 1,024) of posts. Each is started --runs times
 * (default 5) and the median is reported; RSS is read after --idle seconds at rest, per process
 * of the server's tree (with RUSTCHAT_WORKERS > 1, the default on a multi-core machine, a
 * primary and its workers: the target is per process, the table also gives their sum).
 * `--workers n` sets RUSTCHAT_WORKERS; `--profile` leaves a .cpuprofile per start.
 *
 * Baseline, same run, same files: bench/lib/bare-startup.mjs — load better-sqlite3, open the
 * database in WAL mode, one query, listen (the least any server on this database must do).
 */
import { spawn, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { BenchContext } from '../lib/context.js';
import { seed } from '../lib/seed.js';
import { REPO_ROOT, freePort, processTree, rssBytes } from '../lib/server.js';
import { round } from '../lib/stats.js';
import { printTable } from '../lib/table.js';

const BUILD_DIR = join(REPO_ROOT, 'bench', 'results', 'build');

interface Start {
  readonly ready_ms: number;
  /** Resident memory of the largest process (the target is per process). */
  readonly rss_mb: number;
  /** ...and of the whole tree (a primary and its workers, RUSTCHAT_WORKERS). */
  readonly rss_total_mb: number;
  readonly processes: number;
}

interface Summary {
  readonly runs: readonly Start[];
  readonly median_ready_ms: number;
  readonly max_ready_ms: number;
  readonly median_rss_mb: number;
  readonly median_rss_total_mb: number;
  readonly processes: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function summary(runs: readonly Start[]): Summary {
  return {
    runs,
    median_ready_ms: round(median(runs.map((r) => r.ready_ms)), 1),
    max_ready_ms: round(Math.max(...runs.map((r) => r.ready_ms)), 1),
    median_rss_mb: round(median(runs.map((r) => r.rss_mb)), 1),
    median_rss_total_mb: round(median(runs.map((r) => r.rss_total_mb)), 1),
    processes: Math.max(...runs.map((r) => r.processes)),
  };
}

/** Spawns `args`, polls `url` every 5 ms until it answers 200, waits `idleS`, reads the RSS of its process tree, stops it. */
async function timeStart(args: readonly string[], env: Record<string, string>, url: string, idleS: number): Promise<Start> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<never>((_r, reject) => child.once('exit', (code) => reject(new Error(`process exited with ${code} before ready:\n${stderr}`))));
  exited.catch(() => undefined);
  try {
    const deadline = t0 + 60_000;
    for (;;) {
      const ok = await Promise.race([fetch(url).then((r) => r.ok, () => false), exited]);
      if (ok) break;
      if (performance.now() > deadline) throw new Error(`not ready within 60 s:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const readyMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, idleS * 1000));
    const rss = processTree(child.pid!).map((pid) => rssBytes(pid)).filter((b) => b > 0);
    return { ready_ms: round(readyMs, 1), rss_mb: round(Math.max(...rss) / 2 ** 20, 1), rss_total_mb: round(rss.reduce((a, b) => a + b, 0) / 2 ** 20, 1), processes: rss.length };
  } finally {
    if (child.exitCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    }
  }
}

/** Fills the posts table of an existing RustChat database until the file holds `mb` megabytes. */
function fillDatabase(file: string, channelIds: readonly string[], userIds: readonly string[], mb: number): number {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insert = db.prepare('INSERT INTO posts (id, channel_id, user_id, message, created_at) VALUES (?, ?, ?, ?, ?)');
  const body = 'lorem ipsum dolor sit amet, consectetur adipiscing elit; '.repeat(16);
  const batch = db.transaction((from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      insert.run(randomUUID(), channelIds[i % channelIds.length], userIds[i % userIds.length], `${i} ${body}`, 1_700_000_000_000 + i);
    }
  });
  let rows = 0;
  const target = mb * 2 ** 20;
  const size = (): number => db.pragma('page_count', { simple: true }) as number * (db.pragma('page_size', { simple: true }) as number);
  while (size() < target) {
    batch(rows, 20_000);
    rows += 20_000;
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return rows;
}

export async function startupScenario(ctx: BenchContext): Promise<Record<string, unknown>> {
  if (ctx.options.postgres) throw new Error('startup measures the embedded database only');
  const runs = ctx.knob('runs', 5, 2);
  const dbMb = ctx.knob('db-mb', 1024, 32);
  const idleS = ctx.knob('idle', 2, 0.5);

  console.log('building the server (tsc) into bench/results/build ...');
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], { cwd: REPO_ROOT, stdio: 'inherit' });
  const cli = join(BUILD_DIR, 'src', 'cli.js');

  const rustchat = async (dataDir: string): Promise<Start> => {
    const port = await freePort();
    const env = { ...ctx.serverEnv(dataDir, undefined), RUSTCHAT_SERVER_HOST: '127.0.0.1', RUSTCHAT_SERVER_PORT: String(port), RUSTCHAT_METRICS_PORT: '0', RUSTCHAT_LOG_LEVEL: 'warn' };
    // --profile: each start leaves a .cpuprofile in bench/results/ (what a cold start spends its time on).
    const nodeArgs = ctx.options.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(REPO_ROOT, 'bench', 'results')}`] : [];
    return timeStart([...nodeArgs, cli, 'serve'], env, `http://127.0.0.1:${port}/api/v1/health/ready`, idleS);
  };
  const bare = async (dataDir: string): Promise<Start> => {
    const port = await freePort();
    return timeStart([join(REPO_ROOT, 'bench', 'lib', 'bare-startup.mjs'), join(dataDir, 'rustchat.db'), String(port)], {}, `http://127.0.0.1:${port}/`, idleS);
  };

  // Fresh: a new empty data directory for every run (migrations included in the time).
  const fresh: Start[] = [];
  const freshBare: Start[] = [];
  for (let i = 0; i < runs; i++) {
    fresh.push(await rustchat(ctx.tempDir('startup-fresh')));
    freshBare.push(await bare(ctx.tempDir('startup-fresh-bare')));
  }

  // Existing: one database of dbMb megabytes, started `runs` times (the OS page cache is warm
  // after the fill, as on a server that restarts; the file is not re-read from disk each time).
  console.log(`filling a ${dbMb} MB database ...`);
  const dir = ctx.tempDir('startup-big');
  const seeded = await seed({ dataDir: dir, jwtSecret: ctx.jwtSecret, users: 50, channels: 20 });
  const file = join(dir, 'rustchat.db');
  const rows = fillDatabase(file, seeded.channelIds, seeded.users.map((u) => u.id), dbMb);
  const fileMb = round(statSync(file).size / 2 ** 20, 0);
  const existing: Start[] = [];
  const existingBare: Start[] = [];
  for (let i = 0; i < runs; i++) {
    existing.push(await rustchat(dir));
    existingBare.push(await bare(dir));
  }

  const r = { fresh: summary(fresh), existing: summary(existing) };
  const b = { fresh: summary(freshBare), existing: summary(existingBare) };
  const ratio = round(r.existing.median_ready_ms / Math.max(1, b.existing.median_ready_ms), 2);
  const met = r.fresh.median_ready_ms <= 1000 && r.existing.median_ready_ms <= 2000 && r.fresh.median_rss_mb <= 150 && r.existing.median_rss_mb <= 150;

  const workers = ctx.options.workers === undefined ? 'RUSTCHAT_WORKERS default' : `RUSTCHAT_WORKERS=${ctx.options.workers}`;
  printTable(`startup: embedded SQLite, median of ${runs} starts; existing database ${fileMb} MB (${rows} posts); ${workers}`, [
    { system: 'bare node + better-sqlite3 (baseline)', 'fresh ms': b.fresh.median_ready_ms, 'existing ms': b.existing.median_ready_ms, 'idle RSS MB (largest process)': b.existing.median_rss_mb, processes: 1, 'all processes MB': b.existing.median_rss_total_mb },
    { system: 'rustchat (built, plain node)', 'fresh ms': r.fresh.median_ready_ms, 'existing ms': r.existing.median_ready_ms, 'idle RSS MB (largest process)': r.existing.median_rss_mb, processes: r.existing.processes, 'all processes MB': r.existing.median_rss_total_mb },
  ]);
  console.log(`targets: fresh ≤ 1000 ms, existing ≤ 2000 ms, idle RSS ≤ 150 MB per process → ${met ? 'met' : 'MISSED'}; ratio to the bare start (existing) = ${ratio}`);

  return {
    params: { runs, db_mb: dbMb, idle_s: idleS, database_file_mb: fileMb, posts: rows, workers: ctx.options.workers ?? 'default' },
    baseline: { name: 'bare node + better-sqlite3 + http.listen', ...b },
    rustchat: r,
    ratio,
    target: { fresh_ms: 1000, existing_ms: 2000, rss_mb: 150 },
    met,
  };
}
