/**
 * `files`: C concurrent clients upload files of S bytes (`POST /api/v1/files`, multipart) for D
 * seconds (or N files in all); acknowledged (201) MB/s and files/s, latency, the server's cores
 * and RSS. A second pass with small files shows the per-request overhead.
 *
 * Baseline, measured in the same run on the same storage: what the server must do at least to
 * keep an upload durably, done directly with the server's own storage driver at the same
 * concurrency and size. Local disk: the bytes written to a temporary file in the same kind of
 * directory (`<files dir>/.tmp`), fsynced, then `LocalStorage.putFile` (rename into place and
 * fsync of the directory). S3 (`--s3`): the same temporary file, then `S3Storage.putFile` to the
 * same s3rver the server writes to, then the temporary file removed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from '../lib/context.js';
import { seed } from '../lib/seed.js';
import { CpuMeter, type ServerHandle } from '../lib/server.js';
import { nowMs, round, summarize } from '../lib/stats.js';
import { printTable } from '../lib/table.js';
import { MultipartUploader } from '../lib/upload.js';
import { startS3, type TestS3 } from '../../test/helpers/s3.js';
import { newObjectKey, type BlobStorage } from '../../src/storage/blob-storage.js';
import { LocalStorage } from '../../src/storage/local.js';
import { S3Storage } from '../../src/storage/s3.js';

const MB = 2 ** 20;
/** Writes of the baseline: what one read from a Node socket delivers at most, as the server receives it. */
const WRITE_CHUNK = 64 * 1024;
/** The server's default RUSTCHAT_FILES_MAX_SIZE; larger files need it raised. */
const DEFAULT_MAX_SIZE = 50 * MB;
const CONTENT_TYPE = 'application/octet-stream';

type Stop = { readonly seconds: number } | { readonly files: number };

interface Throughput {
  readonly files: number;
  readonly errors: number;
  readonly seconds: number;
  readonly mb_per_s: number;
  readonly files_per_s: number;
  readonly latency_ms: ReturnType<typeof summarize>;
  /** Cores this side used while measuring: the bench process for the baseline, the server for RustChat. */
  readonly cores: number;
  /**
   * The same CPU per acknowledged MB and per file: it moves much less than the rates when other
   * processes share the cores.
   */
  readonly cpu_ms_per_mb: number;
  readonly cpu_ms_per_file: number;
  /** Cores the s3rver used meanwhile (`--s3` only). */
  readonly s3rver_cores?: number;
  readonly first_error?: string;
}

interface RustChatThroughput extends Throughput {
  readonly client_cores: number;
  readonly server_rss_peak_mb: number;
  readonly server_rss_end_mb: number;
}

interface Pass {
  readonly size_bytes: number;
  readonly baseline: Throughput;
  readonly rustchat: RustChatThroughput;
  readonly ratio: number;
  /** RustChat server CPU per MB over the baseline's (this process's) CPU per MB. */
  readonly cpu_per_mb_ratio: number;
}

/**
 * Runs `op` from `clients` concurrent loops until the stop condition; `op` answers undefined
 * on success, else what went wrong. Latencies are of successes only.
 */
async function drive(clients: number, stop: Stop, op: (client: number, n: number) => Promise<string | undefined>) {
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  let started = 0;
  const deadline = 'seconds' in stop ? nowMs() + stop.seconds * 1000 : Infinity;
  const more = (): boolean => ('files' in stop ? started++ < stop.files : nowMs() < deadline);
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: clients }, async (_v, c) => {
      for (let n = 0; more(); n++) {
        const s = nowMs();
        const failed = await op(c, n);
        if (failed === undefined) {
          ok++;
          latencies.push(nowMs() - s);
        } else {
          errors++;
          firstError ??= failed;
        }
      }
    }),
  );
  return { ok, errors, latencies, seconds: (nowMs() - t0) / 1000, firstError };
}

function throughput(m: Awaited<ReturnType<typeof drive>>, size: number, cores: number, s3rverCores: number | undefined): Throughput {
  return {
    files: m.ok,
    errors: m.errors,
    seconds: round(m.seconds),
    mb_per_s: round((m.ok * size) / MB / m.seconds, 1),
    files_per_s: round(m.ok / m.seconds, 1),
    latency_ms: summarize(m.latencies),
    cores: round(cores),
    cpu_ms_per_mb: m.ok === 0 ? 0 : round((cores * m.seconds * 1000) / ((m.ok * size) / MB)),
    cpu_ms_per_file: m.ok === 0 ? 0 : round((cores * m.seconds * 1000) / m.ok),
    ...(s3rverCores === undefined ? {} : { s3rver_cores: round(s3rverCores) }),
    ...(m.firstError === undefined ? {} : { first_error: m.firstError }),
  };
}

/** Cores this process used since `since` (a `process.cpuUsage()`), over `seconds`. */
function processCores(since: NodeJS.CpuUsage, seconds: number): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6 / seconds;
}

/** The first `size` bytes of `data` into a new file, fsynced: the least the server does with an upload before storing it. */
async function writeTemp(path: string, data: Buffer, size: number): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    for (let off = 0; off < size;) {
      const { bytesWritten } = await handle.write(data, off, Math.min(WRITE_CHUNK, size - off));
      off += bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function baseline(ctx: BenchContext, clients: number, size: number, stop: Stop, data: Buffer, s3: TestS3 | undefined): Promise<Throughput> {
  // The server's layout: objects under <data dir>/files, uploads in progress in <files dir>/.tmp.
  const root = join(ctx.tempDir('files-base'), 'files');
  const tmpDir = join(root, '.tmp');
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  const storage: BlobStorage = s3 === undefined ? new LocalStorage(root) : new S3Storage(s3.config);
  const store = async (): Promise<string | undefined> => {
    const tmp = join(tmpDir, `${randomUUID()}.upload`);
    try {
      await writeTemp(tmp, data, size);
      await storage.putFile(newObjectKey('files'), tmp, CONTENT_TYPE);
      // Local disk moved the file away; S3 copied it, and the server removes it then.
      if (s3 !== undefined) await rm(tmp, { force: true });
      return undefined;
    } catch (err) {
      await rm(tmp, { force: true });
      return err instanceof Error ? err.message : String(err);
    }
  };
  // Warm-up (directories of the month created, the S3 client's connections open), not measured.
  await Promise.all(Array.from({ length: clients }, () => store()));
  const s3rverCpu = s3 === undefined ? undefined : new CpuMeter(() => [s3.pid]);
  s3rverCpu?.reset();
  const cpu = process.cpuUsage();
  const m = await drive(clients, stop, () => store());
  return throughput(m, size, processCores(cpu, m.seconds), s3rverCpu?.cores());
}

function s3Env(s3: TestS3): Record<string, string> {
  const c = s3.config;
  return {
    RUSTCHAT_S3_BUCKET: c.bucket,
    RUSTCHAT_S3_REGION: c.region,
    RUSTCHAT_S3_ENDPOINT: c.endpoint!,
    RUSTCHAT_S3_FORCE_PATH_STYLE: 'true',
    RUSTCHAT_S3_ACCESS_KEY_ID: c.credentials!.accessKeyId,
    RUSTCHAT_S3_SECRET_ACCESS_KEY: c.credentials!.secretAccessKey,
  };
}

/** Peak resident memory of the servers, sampled while the uploads run. */
function rssSampler(servers: readonly ServerHandle[]): { stop(): number } {
  let peak = 0;
  const sample = (): void => {
    peak = Math.max(peak, servers.reduce((sum, s) => sum + s.rss(), 0));
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

async function rustchat(ctx: BenchContext, clients: number, size: number, stop: Stop, data: Buffer, s3: TestS3 | undefined): Promise<RustChatThroughput> {
  const dataDir = ctx.tempDir('files');
  const databaseUrl = ctx.options.postgres ? await ctx.database() : undefined;
  const seeded = await seed({ dataDir, databaseUrl, jwtSecret: ctx.jwtSecret, users: clients, channels: 1 });
  const channelId = seeded.channelIds[0]!;
  const extra = {
    ...(size > DEFAULT_MAX_SIZE ? { RUSTCHAT_FILES_MAX_SIZE: String(size) } : {}),
    ...(s3 === undefined ? {} : s3Env(s3)),
  };
  // With --nodes, client c talks to node c mod nodes.
  const servers = await ctx.startNodes(dataDir, databaseUrl, extra);
  const uploaders = servers.map((s) => new MultipartUploader(s.url, Math.ceil(clients / servers.length)));
  const path = `/api/v1/files?channel_id=${channelId}`;
  const upload = async (c: number, n: number): Promise<string | undefined> => {
    try {
      const res = await uploaders[c % uploaders.length]!.upload(path, seeded.users[c]!.token, data, size, `bench-${c}-${n}.bin`);
      return res.status === 201 ? undefined : `HTTP ${res.status}: ${res.body.slice(0, 300)}`;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  };
  // Warm-up: the JIT, the sockets, the month's directories; not measured.
  const warm = await Promise.all(Array.from({ length: clients }, (_v, c) => upload(c, -1)));
  const refused = warm.find((w) => w !== undefined);
  if (refused !== undefined) throw new Error(`files: the warm-up upload failed: ${refused}`);
  const serverCpu = new CpuMeter(() => servers.flatMap((s) => s.pids()));
  const s3rverCpu = s3 === undefined ? undefined : new CpuMeter(() => [s3.pid]);
  serverCpu.reset();
  s3rverCpu?.reset();
  const clientCpu = process.cpuUsage();
  const rss = rssSampler(servers);
  const m = await drive(clients, stop, upload);
  const serverCores = serverCpu.cores();
  const s3rverCores = s3rverCpu?.cores();
  const clientCores = processCores(clientCpu, m.seconds);
  const peak = rss.stop();
  const end = servers.reduce((sum, s) => sum + s.rss(), 0);
  for (const u of uploaders) u.close();
  for (const s of servers) await s.stop();
  return {
    ...throughput(m, size, serverCores, s3rverCores),
    client_cores: round(clientCores),
    server_rss_peak_mb: round(peak / MB, 1),
    server_rss_end_mb: round(end / MB, 1),
  };
}

function sizeLabel(bytes: number): string {
  return bytes >= MB ? `${round(bytes / MB, 2)} MB` : `${round(bytes / 1024, 1)} KB`;
}

export async function filesScenario(ctx: BenchContext): Promise<Record<string, unknown>> {
  const clients = ctx.knob('clients', 4, 2);
  const size = Math.round(ctx.knob('size-kb', 8192, 1024) * 1024);
  // 0 skips the small-file pass.
  const small = Math.round(ctx.knob('small-kb', 256, 256) * 1024);
  const seconds = ctx.knob('seconds', 20, 3);
  const files = ctx.knob('files', 0, 0);
  if (size < 1024 || (small !== 0 && small < 1024)) throw new Error('--size-kb and --small-kb must be at least 1');
  const stop: Stop = files > 0 ? { files } : { seconds };
  const storageKind = ctx.options.s3 ? 's3' : 'local';
  const database = ctx.options.postgres ? 'postgres' : 'sqlite';

  let s3: TestS3 | undefined;
  if (ctx.options.s3) {
    const started = await startS3('rustchat-bench');
    s3 = started;
    ctx.onCleanup(() => started.stop());
  }

  // One buffer for every upload and every baseline write. Random bytes (nothing compresses or
  // deduplicates them), behind a marker that no file type starts with, so the server stores
  // them as application/octet-stream and makes no thumbnails.
  const data = randomBytes(Math.max(size, small));
  data.write('RCBENCH\0not-a-known-type\0', 0, 'latin1');

  const sizes = small === 0 || small === size ? [size] : [size, small];
  const passes: Pass[] = [];
  for (const s of sizes) {
    const base = await baseline(ctx, clients, s, stop, data, s3);
    const ours = await rustchat(ctx, clients, s, stop, data, s3);
    passes.push({ size_bytes: s, baseline: base, rustchat: ours, ratio: round(ours.mb_per_s / base.mb_per_s, 3), cpu_per_mb_ratio: round(ours.cpu_ms_per_mb / base.cpu_ms_per_mb, 2) });
  }

  const baselineName = s3 === undefined
    ? 'temporary file written in 64 KiB writes + fsync, then LocalStorage.putFile (rename + directory fsync)'
    : 'temporary file written in 64 KiB writes + fsync, then S3Storage.putFile to the same s3rver, then the temporary file removed';
  const limit = 'files' in stop ? `${stop.files} files` : `${seconds}s`;
  printTable(`files: ${clients} clients, ${limit} per pass, ${storageKind} storage, ${database}`, passes.flatMap((p) => [
    { system: `baseline (${storageKind} driver)`, size: sizeLabel(p.size_bytes), 'MB/s': p.baseline.mb_per_s, 'files/s': p.baseline.files_per_s, files: p.baseline.files, errors: p.baseline.errors, 'p50 ms': p.baseline.latency_ms.p50, 'p99 ms': p.baseline.latency_ms.p99, cores: p.baseline.cores, 'CPU ms/MB': p.baseline.cpu_ms_per_mb, 'CPU ms/file': p.baseline.cpu_ms_per_file, ...(s3 ? { 's3rver cores': p.baseline.s3rver_cores ?? '' } : {}), 'rss peak MB': '' },
    { system: 'rustchat HTTP', size: sizeLabel(p.size_bytes), 'MB/s': p.rustchat.mb_per_s, 'files/s': p.rustchat.files_per_s, files: p.rustchat.files, errors: p.rustchat.errors, 'p50 ms': p.rustchat.latency_ms.p50, 'p99 ms': p.rustchat.latency_ms.p99, cores: p.rustchat.cores, 'CPU ms/MB': p.rustchat.cpu_ms_per_mb, 'CPU ms/file': p.rustchat.cpu_ms_per_file, ...(s3 ? { 's3rver cores': p.rustchat.s3rver_cores ?? '' } : {}), 'rss peak MB': p.rustchat.server_rss_peak_mb },
  ]));
  console.log(`cores: the baseline's are this process's (it runs in-process); RustChat's are the server's, its HTTP clients used ${passes.map((p) => p.rustchat.client_cores).join(' / ')} (of ${cpus().length})`);
  for (const p of passes) {
    console.log(`ratio rustchat/baseline (MB/s) at ${sizeLabel(p.size_bytes)} = ${p.ratio}${p.size_bytes === size ? ' (target ≥ 0.8)' : ''}; CPU per MB ${p.cpu_per_mb_ratio}× the baseline's`);
    if (p.rustchat.first_error !== undefined) console.log(`  first RustChat error: ${p.rustchat.first_error}`);
    if (p.baseline.first_error !== undefined) console.log(`  first baseline error: ${p.baseline.first_error}`);
  }

  const main = passes[0]!;
  return {
    parameters: { clients, size_bytes: size, small_size_bytes: small, ...('files' in stop ? { files: stop.files } : { seconds }), storage: storageKind, database, nodes: ctx.options.nodes },
    baseline: { name: baselineName, ...main.baseline },
    rustchat: main.rustchat,
    ratio: main.ratio,
    passes,
    target: { ratio_min: 0.8 },
    met: main.ratio >= 0.8 && passes.every((p) => p.rustchat.errors === 0),
  };
}
