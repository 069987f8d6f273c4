/**
 * Renders one SVG chart per scenario from the latest JSON results (bench/results/*-latest.json)
 * with Vega-Lite: `npm run bench:charts`. Charts go to bench/results/<scenario>.svg.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { REPO_ROOT } from './lib/server.js';

type Json = Record<string, any>;
const dir = join(REPO_ROOT, 'bench', 'results');

function load(scenario: string, variant = ''): Json | undefined {
  for (const name of [`${scenario}${variant}-latest.json`, `${scenario}${variant}-latest-quick.json`]) {
    const path = join(dir, name);
    if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as Json;
  }
  return undefined;
}

async function render(spec: vl.TopLevelSpec, file: string): Promise<void> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  writeFileSync(join(dir, file), await view.toSVG());
  console.log(`wrote bench/results/${file}`);
}

const title = (r: Json, text: string): string => `${text} (${r.machine?.cores} cores, ${r.started_at?.slice(0, 10)})`;

async function main(): Promise<void> {
  // write: one pair of bars per database that has a result.
  const writes = [load('write'), load('write', '-w1'), load('write', '-postgres'), load('write', '-postgres-w1')].filter((r): r is Json => r !== undefined);
  if (writes.length > 0) {
    await render({
      title: title(writes[0]!, `write: acknowledged posts/s, ${writes[0]!.parameters.clients} clients`),
      width: 420, height: 60 * writes.length + 60,
      data: { values: writes.flatMap((w) => [
        { database: `${w.parameters.database}, ${w.workers_per_node ?? 1} worker(s)`, system: 'raw driver (baseline)', rate: w.baseline.per_second },
        { database: `${w.parameters.database}, ${w.workers_per_node ?? 1} worker(s)`, system: 'RustChat over HTTP', rate: w.rustchat.per_second },
      ]) },
      mark: 'bar',
      encoding: {
        y: { field: 'system', type: 'nominal', title: null },
        row: { field: 'database', type: 'nominal', title: null },
        x: { field: 'rate', type: 'quantitative', title: 'acknowledged posts per second' },
        color: { field: 'system', type: 'nominal', legend: null },
      },
    }, 'write.svg');
  }
  const fanout = load('fanout');
  if (fanout) {
    // Both bare baselines when the run has them (`baselines`), else the one it had.
    const bare: Array<[string, Json]> = fanout.baselines
      ? [['bare ws, ws.send (baseline)', fanout.baselines.per_frame], ['bare ws, pre-framed (baseline)', fanout.baselines.preframed]]
      : [['bare ws (baseline)', fanout.baseline]];
    const rows = [
      ...bare.flatMap(([system, b]) => b.steps.map((s: Json) => ({ system, rate: s.rate, p99: s.latency_ms.p99, sustained: s.sustained }))),
      ...fanout.rustchat.steps.map((s: Json) => ({ system: 'RustChat', rate: s.rate, p99: s.latency_ms.p99, sustained: s.sustained })),
    ];
    await render({
      title: title(fanout, `fanout: p99 POST→all ${fanout.parameters.members} members, by post rate`),
      width: 480, height: 260,
      data: { values: rows },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'rate', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'posts per second' },
        y: { field: 'p99', type: 'quantitative', scale: { type: 'symlog' }, title: 'p99 latency (ms)' },
        color: { field: 'system', type: 'nominal' },
      },
    }, 'fanout.svg');
  }
  const conn = load('connections');
  if (conn) {
    await render({
      title: title(conn, `connections: server memory per idle WebSocket, ${conn.parameters.connections} connections`),
      width: 420, height: 200,
      data: { values: [{ system: 'bare ws (baseline)', bytes: conn.baseline.bytes_per_connection }, { system: 'RustChat', bytes: conn.rustchat.bytes_per_connection }] },
      mark: 'bar',
      encoding: { y: { field: 'system', type: 'nominal', title: null }, x: { field: 'bytes', type: 'quantitative', title: 'bytes per connection (RSS delta / N)' } },
    }, 'connections.svg');
  }
  // users: mean and p99 latency per step, one line per setup (1 node SQLite; 2 nodes PostgreSQL + Redis).
  const users = [load('users'), load('users', '-w1'), load('users', '-redis'), load('users', '-redis-w1'), load('users', '-2nodes')].filter((r): r is Json => r !== undefined);
  if (users.length > 0) {
    const setup = (u: Json): string => `${u.parameters.nodes} node${u.parameters.nodes > 1 ? 's' : ''}, ${u.parameters.database}${u.redis === true ? ' + redis' : ''}, ${u.workers_per_node ?? 1} worker(s)`;
    await render({
      title: title(users[0]!, 'users: request latency while ramping up simulated users'),
      width: 480, height: 260,
      data: { values: users.flatMap((u) => u.rustchat.steps.flatMap((s: Json) => [
        { users: s.users, ms: s.latency_ms.mean, line: `${setup(u)}: mean` },
        { users: s.users, ms: s.latency_ms.p99, line: `${setup(u)}: p99` },
      ])) },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'users', type: 'quantitative', title: 'concurrent simulated users' },
        y: { field: 'ms', type: 'quantitative', scale: { type: 'symlog' }, title: 'request latency (ms)' },
        color: { field: 'line', type: 'nominal', title: null, legend: { labelLimit: 400 } },
      },
    }, 'users.svg');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
