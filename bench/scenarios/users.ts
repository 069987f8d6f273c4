/**
 * `users`: simulated people with a realistic mix, ramped up until a health limit breaks.
 * Each person holds a WebSocket and, every few seconds (exponential think time), does one
 * of: read a channel's history, post, reply in a thread, react, type, or switch channel
 * (mark read, read history, unread overview). Health limits (Mattermost's published
 * sizing): average request ≤ 100 ms, p99 ≤ 2 s, errors and timeouts ≤ 0.025 %. We report
 * the largest number of concurrent users for which a whole step held all three.
 *
 * The issue names no raw baseline for this scenario; the comparison is Mattermost's
 * published sizing (about 1,000 concurrent users per 2-vCPU node), so `ratio` is our
 * healthy user count divided by 1,000.
 */
import type { BenchContext } from '../lib/context.js';
import { Fleet, loopbackAddresses, split } from '../lib/fleet.js';
import { seed } from '../lib/seed.js';
import { CpuMeter, pidsNamed } from '../lib/server.js';
import { round, summarize, type Summary } from '../lib/stats.js';
import { printTable } from '../lib/table.js';

interface StepResult {
  readonly users: number;
  /** Failed requests by HTTP status ("0" = timeout or connection error). */
  readonly error_kinds: Record<string, number>;
  readonly requests: number;
  readonly errors: number;
  readonly error_rate_pct: number;
  readonly latency_ms: Summary;
  readonly requests_per_s: number;
  /** User actions completed in the step (one from the mix; a channel switch is three requests). */
  readonly actions: number;
  /** Server CPU per completed action: server CPU seconds in the step / actions, in ms. */
  readonly server_cpu_ms_per_action: number;
  /** Cores busy during the step (1.0 = one core): the server node(s), and the load generator. */
  readonly server_cores: number;
  readonly generator_cores: number;
  /** PostgreSQL and Redis processes of this machine (0 on the embedded database without Redis). */
  readonly services_cores: number;
  readonly healthy: boolean;
}

const LIMITS = { mean_ms: 100, p99_ms: 2000, error_pct: 0.025 };
const CHANNELS_PER_USER = 4;

export async function usersScenario(ctx: BenchContext): Promise<Record<string, unknown>> {
  const maxUsers = ctx.knob('max-users', 15000, 60);
  const stepUsers = ctx.knob('step-users', 1000, 20);
  const stepSeconds = ctx.knob('step', 30, 4);
  const think = ctx.knob('think', 5, 2);
  const channelSize = ctx.knob('channel-size', 50, 10);
  const processes = ctx.knob('processes', 2, 1);
  // Every person is in CHANNELS_PER_USER channels of `channelSize` people.
  const channels = Math.max(CHANNELS_PER_USER, Math.ceil((maxUsers * CHANNELS_PER_USER) / channelSize));

  const dataDir = ctx.tempDir('users');
  const databaseUrl = ctx.options.postgres ? await ctx.database() : undefined;
  console.log(`seeding ${maxUsers} users in ${channels} channels of ${channelSize}…`);
  const seeded = await seed({ dataDir, databaseUrl, jwtSecret: ctx.jwtSecret, users: maxUsers, channels, membersPerChannel: Math.min(channelSize, maxUsers) });
  const channelsOf = new Map<number, string[]>();
  for (const [channelId, idx] of seeded.members) for (const i of idx) channelsOf.set(i, [...(channelsOf.get(i) ?? []), channelId]);

  const servers = await ctx.startNodes(dataDir, databaseUrl);
  const fleet = await Fleet.start(processes);
  ctx.onCleanup(() => fleet.stop());
  const addresses = loopbackAddresses(4);
  const serverCpu = new CpuMeter(() => servers.flatMap((s) => s.pids()));
  const generatorCpu = new CpuMeter(() => fleet.pids);
  // Read at each sample: PostgreSQL starts a backend process per new pool connection.
  const servicesCpu = new CpuMeter(() => (ctx.options.postgres || ctx.options.nodes > 1 ? pidsNamed(['postgres', 'redis-server']) : []));

  const steps: StepResult[] = [];
  let active = 0;
  let best = 0;
  while (active < maxUsers) {
    const add = Math.min(stepUsers, maxUsers - active);
    const batch = Array.from({ length: add }, (_v, k) => active + k);
    const parts = split(batch, processes);
    await fleet.each<{ started: number }>(
      (i) => ({
        type: 'users',
        baseUrl: servers[i % servers.length]!.url,
        users: parts[i]!.map((u) => ({ token: seeded.users[u]!.token, userId: seeded.users[u]!.id, channels: channelsOf.get(u) ?? [seeded.channelIds[0]!] })),
        localAddresses: addresses,
        thinkSeconds: think,
      }),
      'users-started',
    );
    active += add;
    // Discard what happened while the new users were connecting, then measure one step.
    await fleet.each((_i) => ({ type: 'report' }), 'stats');
    serverCpu.reset();
    generatorCpu.reset();
    servicesCpu.reset();
    await new Promise((r) => setTimeout(r, stepSeconds * 1000));
    const serverCpuSeconds = serverCpu.used();
    const serverCores = round(serverCpu.cores(), 2);
    const generatorCores = round(generatorCpu.cores(), 2);
    const servicesCores = round(servicesCpu.cores(), 2);
    const stats = await fleet.each<{ actions: number; ok: number; errors: number; latencies: number[]; open: number; statuses: Record<string, number>; socketProblems: Record<string, number> }>((_i) => ({ type: 'report' }), 'stats');
    const socketProblems: Record<string, number> = {};
    for (const s of stats) for (const [k, v] of Object.entries(s.socketProblems)) socketProblems[k] = (socketProblems[k] ?? 0) + v;
    const statuses: Record<string, number> = {};
    for (const s of stats) for (const [k, v] of Object.entries(s.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
    const latencies = stats.flatMap((s) => s.latencies);
    const ok = stats.reduce((n, s) => n + s.ok, 0);
    const actions = stats.reduce((n, s) => n + s.actions, 0);
    const cpuMsPerAction = actions > 0 ? round((serverCpuSeconds * 1000) / actions, 3) : 0;
    const errors = stats.reduce((n, s) => n + s.errors, 0);
    const open = stats.reduce((n, s) => n + s.open, 0);
    const latency = summarize(latencies);
    const errorPct = ok + errors > 0 ? (errors / (ok + errors)) * 100 : 0;
    const healthy = latency.mean <= LIMITS.mean_ms && latency.p99 <= LIMITS.p99_ms && errorPct <= LIMITS.error_pct && open >= active;
    const step: StepResult = { error_kinds: statuses, users: active, requests: ok + errors, errors, error_rate_pct: round(errorPct, 4), latency_ms: latency, requests_per_s: round((ok + errors) / stepSeconds, 1), actions, server_cpu_ms_per_action: cpuMsPerAction, server_cores: serverCores, generator_cores: generatorCores, services_cores: servicesCores, healthy };
    steps.push(step);
    console.log(`  ${active} users (${open} sockets open): ${step.requests_per_s} req/s, mean ${latency.mean} ms, p99 ${latency.p99} ms, errors ${step.error_rate_pct}%, ${actions} actions, server CPU ${cpuMsPerAction} ms/action, cores: server ${serverCores} generator ${generatorCores} postgres+redis ${servicesCores}${errors > 0 ? ` ${JSON.stringify(statuses)}` : ''}${open < active ? ` sockets: ${JSON.stringify(socketProblems)}` : ''}${healthy ? '' : '  ← limit broken'}`);
    if (!healthy) break;
    best = active;
  }
  const rss = servers.map((s) => round(s.rss() / 2 ** 20, 1));
  await fleet.stop();
  for (const s of servers) await s.stop();

  printTable(`users: ${ctx.options.nodes} node(s), ${ctx.options.postgres ? 'postgres' : 'sqlite'}, think ${think}s, channels of ${channelSize}`, steps.map((s) => ({ users: s.users, 'req/s': s.requests_per_s, 'mean ms': s.latency_ms.mean, 'p99 ms': s.latency_ms.p99, 'errors %': s.error_rate_pct, 'actions/s': round(s.actions / stepSeconds, 1), 'server CPU ms/action': s.server_cpu_ms_per_action, 'server cores': s.server_cores, 'generator cores': s.generator_cores, 'pg+redis cores': s.services_cores, healthy: s.healthy })));
  console.log(`largest healthy step: ${best} concurrent users (target ≥ 10000 on one node)`);
  return {
    parameters: { max_users: maxUsers, step_users: stepUsers, step_seconds: stepSeconds, think_seconds: think, channel_size: channelSize, nodes: ctx.options.nodes, database: ctx.options.postgres ? 'postgres' : 'sqlite', load_processes: processes },
    limits: LIMITS,
    baseline: { name: 'Mattermost published sizing for one 2-vCPU node', users: 1000 },
    rustchat: { steps, max_healthy_users: best, server_rss_mb: rss },
    ratio: round(best / 1000, 2),
    target: { users_min: 10000 },
    met: best >= 10000,
  };
}
