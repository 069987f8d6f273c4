/**
 * `connections`: N authenticated idle WebSocket connections; server memory per connection
 * and the time to connect them all. Baseline, in the same run: a bare `ws` server with the
 * same N. Connections come from several 127.0.0.x source addresses and several
 * load-generator processes (each stays under the per-process open-file limit).
 */
import { readFileSync } from 'node:fs';
import type { BenchContext } from '../lib/context.js';
import { Fleet, loopbackAddresses, split } from '../lib/fleet.js';
import { seed } from '../lib/seed.js';
import { startBareWs } from '../lib/server.js';
import { round } from '../lib/stats.js';
import { printTable } from '../lib/table.js';

/** The soft limit on open files of this process (children inherit it). */
export function openFileLimit(): number {
  const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m ? Number(m[1]) : 1024;
}

async function settledRss(rss: () => number): Promise<number> {
  // Memory after connecting settles over a few hundred ms (buffers freed, GC): take the
  // minimum of several samples rather than the first.
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 6; i++) {
    best = Math.min(best, rss());
    await new Promise((r) => setTimeout(r, 250));
  }
  return best;
}

interface Measured {
  readonly connected: number;
  readonly failed: number;
  readonly connect_seconds: number;
  readonly rss_before_mb: number;
  readonly rss_after_mb: number;
  readonly bytes_per_connection: number;
}

async function measure(fleet: Fleet, rss: () => number, spec: (i: number) => object): Promise<Measured> {
  const before = await settledRss(rss);
  const t0 = performance.now();
  const results = await fleet.each<{ connected: number; failed: number }>(spec, 'connected');
  const seconds = (performance.now() - t0) / 1000;
  const after = await settledRss(rss);
  const connected = results.reduce((n, r) => n + r.connected, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  return {
    connected,
    failed,
    connect_seconds: round(seconds),
    rss_before_mb: round(before / 2 ** 20, 1),
    rss_after_mb: round(after / 2 ** 20, 1),
    bytes_per_connection: connected > 0 ? Math.round((after - before) / connected) : 0,
  };
}

export async function connectionsScenario(ctx: BenchContext): Promise<Record<string, unknown>> {
  const requested = ctx.knob('connections', 20000, 300);
  const limit = openFileLimit();
  // The server needs one descriptor per connection plus its own (database, listeners, logs);
  // with --nodes the connections are spread over the nodes, each under the limit.
  const perProcess = limit - 400;
  const n = Math.min(requested, perProcess * ctx.options.nodes);
  // The baseline is one bare process, so it measures at most what one process can hold.
  const baselineN = Math.min(n, perProcess);
  const notes: string[] = [];
  if (n < requested) notes.push(`open-file limit ${limit} (hard limit on this machine) caps one server process at ${perProcess} connections; ${requested} requested`);
  if (baselineN < n) notes.push(`the bare ws baseline is one process: measured with ${baselineN} connections (bytes per connection compare)`);
  const processes = Math.max(ctx.options.nodes, Math.ceil(n / 9000));
  const addresses = loopbackAddresses(4);
  const perUser = ctx.knob('per-user', 100, 20);
  const userCount = Math.max(1, Math.ceil(n / perUser));

  // --- baseline ---
  const bare = await startBareWs();
  ctx.onCleanup(() => bare.stop());
  const bareFleet = await Fleet.start(processes);
  ctx.onCleanup(() => bareFleet.stop());
  const blanks = Array.from({ length: baselineN }, () => '');
  const baseline = await measure(bareFleet, () => bare.rss(), (i) => ({ type: 'connect', url: bare.url.replace('http', 'ws') + '/ws', tokens: split(blanks, processes)[i], localAddresses: addresses, auth: 'none', concurrency: 500, markerPattern: '^$' }));
  await bareFleet.stop();
  await bare.stop();
  console.log(`baseline: ${baseline.connected} connections, ${baseline.bytes_per_connection} B/connection`);

  // --- rustchat ---
  const dataDir = ctx.tempDir('conn');
  const databaseUrl = ctx.options.postgres ? await ctx.database() : undefined;
  const seeded = await seed({ dataDir, databaseUrl, jwtSecret: ctx.jwtSecret, users: userCount, channels: 4 });
  // With --nodes, generator process i connects to node i mod nodes; memory is the sum over the nodes.
  const servers = await ctx.startNodes(dataDir, databaseUrl, { RUSTCHAT_WS_MAX_CONNECTIONS_PER_USER: String(perUser + 10) });
  const fleet = await Fleet.start(processes);
  ctx.onCleanup(() => fleet.stop());
  const tokens = Array.from({ length: n }, (_v, i) => seeded.users[i % seeded.users.length]!.token);
  const rss = (): number => servers.reduce((sum, s) => sum + s.rss(), 0);
  const ours = await measure(fleet, rss, (i) => ({ type: 'connect', url: servers[i % servers.length]!.url.replace('http', 'ws') + '/api/v1/ws', tokens: split(tokens, processes)[i], localAddresses: addresses, auth: 'header', concurrency: 500, markerPattern: '^$' }));
  if (fleet.errors.length > 0) notes.push(`client errors: ${fleet.errors.slice(0, 3).join('; ')}`);
  await fleet.stop();
  for (const s of servers) await s.stop();

  const ratio = baseline.bytes_per_connection > 0 ? round(ours.bytes_per_connection / baseline.bytes_per_connection, 3) : 0;
  printTable(`connections: ${n} idle WebSockets (${userCount} users × ${perUser})`, [
    { system: 'bare ws (baseline)', connected: baseline.connected, failed: baseline.failed, 'connect s': baseline.connect_seconds, 'RSS before MB': baseline.rss_before_mb, 'RSS after MB': baseline.rss_after_mb, 'B/conn': baseline.bytes_per_connection },
    { system: 'rustchat', connected: ours.connected, failed: ours.failed, 'connect s': ours.connect_seconds, 'RSS before MB': ours.rss_before_mb, 'RSS after MB': ours.rss_after_mb, 'B/conn': ours.bytes_per_connection },
  ]);
  console.log(`memory ratio rustchat/baseline = ${ratio} (target ≤ 2.0)`);
  for (const note of notes) console.log(`note: ${note}`);
  return {
    parameters: { connections: n, requested, users: userCount, connections_per_user: perUser, processes, source_addresses: addresses.length, nodes: ctx.options.nodes, database: ctx.options.postgres ? 'postgres' : 'sqlite' },
    baseline: { name: 'bare ws server, same N', ...baseline },
    rustchat: ours,
    ratio,
    target: { ratio_max: 2.0 },
    met: ratio > 0 && ratio <= 2.0 && ours.connected === n,
    notes,
  };
}
