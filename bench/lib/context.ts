/**
 * What every scenario gets: parsed options, temporary data directories and PostgreSQL
 * databases (removed afterwards), secrets, and a results writer.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { REPO_ROOT, startServer, type ServerHandle } from './server.js';

export interface BenchOptions {
  readonly scenario: string;
  readonly quick: boolean;
  readonly postgres: boolean;
  readonly nodes: number;
  /** RUSTCHAT_WORKERS of each node (`--workers n`); undefined = the server's default (the number of cores). */
  readonly workers: number | undefined;
  /** Redis for one node too (`--redis`): events, presence and limits through Redis. */
  readonly redis: boolean;
  /** Files in S3 (`--s3`): a local s3rver that the server and the baseline both write to. */
  readonly s3: boolean;
  readonly json: string | undefined;
  readonly profile: boolean;
  /** Scenario-specific numeric knobs (--members 1000, --clients 64, --seconds 20 ...). */
  readonly knobs: Readonly<Record<string, number>>;
}

export const PG_ADMIN_URL = process.env.RUSTCHAT_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.RUSTCHAT_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function parseArgs(argv: readonly string[]): BenchOptions {
  const [scenario, ...rest] = argv;
  if (scenario === undefined || scenario.startsWith('-')) throw new Error('usage: npm run bench -- <fanout|write|connections|users|startup|files|search> [--quick] [--json <file>] [--postgres] [--redis] [--nodes 2] [--workers n] [--s3] [--profile] [--<knob> <n>]');
  let quick = false;
  let postgres = false;
  let nodes = 1;
  let workers: number | undefined;
  let redis = false;
  let s3 = false;
  let json: string | undefined;
  let profile = false;
  const knobs: Record<string, number> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--postgres') postgres = true;
    else if (arg === '--profile') profile = true;
    else if (arg === '--nodes') nodes = Number(rest[++i]);
    else if (arg === '--workers') workers = Number(rest[++i]);
    else if (arg === '--redis') redis = true;
    else if (arg === '--s3') s3 = true;
    else if (arg === '--json') json = rest[++i];
    else if (arg.startsWith('--')) {
      const value = Number(rest[++i]);
      if (!Number.isFinite(value)) throw new Error(`${arg} needs a number`);
      knobs[arg.slice(2)] = value;
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 8) throw new Error('--nodes must be 1..8');
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 64)) throw new Error('--workers must be 1..64');
  // Only `files` stores files; elsewhere --s3 would only misname the result.
  if (s3 && scenario !== 'files') throw new Error('--s3 applies to the files scenario only');
  if (nodes > 1) postgres = true;
  if (nodes > 1) redis = true;
  if (redis) postgres = true;
  return { scenario, quick, postgres, nodes, workers, redis, s3, json, profile, knobs };
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory_gb: number;
  readonly node: string;
  readonly kernel: string;
}

export function machine(): Machine {
  const c = cpus();
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, memory_gb: Math.round(totalmem() / 2 ** 30), node: process.version, kernel: release() };
}

export class BenchContext {
  private readonly cleanups: Array<() => Promise<void> | void> = [];
  readonly jwtSecret = randomBytes(48).toString('base64');
  readonly encryptionKey = randomBytes(48).toString('base64');
  readonly redisPrefix = `rcbench:${randomBytes(4).toString('hex')}:`;

  constructor(readonly options: BenchOptions) {}

  knob(name: string, normal: number, quick: number): number {
    return this.options.knobs[name] ?? (this.options.quick ? quick : normal);
  }

  tempDir(label: string): string {
    const dir = mkdtempSync(join(tmpdir(), `rustchat-bench-${label}-`));
    this.cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  async database(): Promise<string> {
    const name = `rc_bench_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    this.cleanups.push(async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    });
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${name}`;
    return u.toString();
  }

  /** Environment for a RustChat server of this run. */
  serverEnv(dataDir: string, databaseUrl: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
    return {
      RUSTCHAT_DATA_DIR: dataDir,
      RUSTCHAT_JWT_SECRET: this.jwtSecret,
      RUSTCHAT_ENCRYPTION_KEY: this.encryptionKey,
      RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
      RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE: '1000000',
      RUSTCHAT_WS_MAX_CONNECTIONS_PER_USER: '10000',
      RUSTCHAT_REDIS_PREFIX: this.redisPrefix,
      ...(databaseUrl ? { RUSTCHAT_DATABASE_URL: databaseUrl, RUSTCHAT_DATABASE_POOL_SIZE: '16' } : {}),
      ...(this.options.redis ? { RUSTCHAT_REDIS_URL: REDIS_URL } : {}),
      ...(this.options.workers === undefined ? {} : { RUSTCHAT_WORKERS: String(this.options.workers) }),
      ...extra,
    };
  }

  /**
   * Starts the run's RustChat node(s) (`--nodes`), each stopped at cleanup; with `--profile`
   * each writes a `.cpuprofile` to bench/results/.
   */
  async startNodes(dataDir: string, databaseUrl: string | undefined, extra: Record<string, string> = {}, count = this.options.nodes): Promise<ServerHandle[]> {
    const nodeArgs = this.options.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(REPO_ROOT, 'bench', 'results')}`] : [];
    const servers: ServerHandle[] = [];
    for (let n = 0; n < count; n++) {
      const s = await startServer({ env: this.serverEnv(dataDir, databaseUrl, extra), label: count > 1 ? `rustchat-${n}` : 'rustchat', nodeArgs });
      this.onCleanup(() => s.stop());
      servers.push(s);
    }
    return servers;
  }

  onCleanup(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn);
  }

  async cleanup(): Promise<void> {
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // best effort
      }
    }
  }

  /** Writes the result to bench/results/<scenario>-<stamp>.json and <scenario>[-<setup>]-latest.json (and --json when given); returns the path. */
  writeResult(result: Record<string, unknown>): string {
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const path = join(dir, `${this.options.scenario}-${stamp}.json`);
    const text = JSON.stringify(result, null, 2) + '\n';
    writeFileSync(path, text);
    writeFileSync(join(dir, latestName(this.options.scenario, this.options)), text);
    if (this.options.json !== undefined) writeFileSync(this.options.json, text);
    return path;
  }
}

/**
 * The "latest" result file of a scenario in a setup: `<scenario>-latest.json` for one node on
 * the embedded database with the default workers (one per core), `-postgres`, `-redis` (one node
 * on PostgreSQL + Redis) or `-<n>nodes` (PostgreSQL and Redis) otherwise, `-s3` with files in
 * S3, `-w<n>` when `--workers` was given, and `-quick` for smoke runs. The charts and the
 * README read these.
 */
export function latestName(scenario: string, setup: { readonly postgres: boolean; readonly redis?: boolean; readonly nodes: number; readonly workers?: number | undefined; readonly s3?: boolean; readonly quick: boolean }): string {
  const variant = setup.nodes > 1 ? `-${setup.nodes}nodes` : setup.redis === true ? '-redis' : setup.postgres ? '-postgres' : '';
  const storage = setup.s3 === true ? '-s3' : '';
  const workers = setup.workers === undefined ? '' : `-w${setup.workers}`;
  return `${scenario}${variant}${storage}${workers}-latest${setup.quick ? '-quick' : ''}.json`;
}
