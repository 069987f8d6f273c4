/**
 * Smoke test of the benchmark tool: every scenario runs with --quick and tiny sizes and
 * writes a result file with its figures and the baseline measured in the same run.
 * No speed is asserted here: benchmarks measure speed, tests check behaviour.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));

async function bench(scenario: string, ...args: string[]): Promise<Record<string, any>> {
  // startup compiles the server first (tsc), which takes longer than any other smoke run.
  const timeout = scenario === 'startup' ? 170_000 : 90_000;
  const file = join(out, `${scenario}.json`);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/cli.ts', scenario, '--quick', '--json', file, ...args], { cwd: root, timeout, maxBuffer: 10 * 2 ** 20 });
  expect(stdout).toContain('result written to');
  const result = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
  expect(result.scenario).toBe(scenario);
  expect(result.quick).toBe(true);
  expect(result.machine.cores).toBeGreaterThan(0);
  expect(result.baseline).toBeTypeOf('object');
  expect(result.baseline.name).toBeTypeOf('string');
  expect(typeof result.ratio).toBe('number');
  expect(typeof result.met).toBe('boolean');
  return result;
}

describe('benchmark tool (smoke)', () => {
  it('write measures acknowledged posts against the raw driver', async () => {
    const r = await bench('write', '--clients', '4', '--seconds', '1.5');
    expect(r.baseline.acked).toBeGreaterThan(0);
    expect(r.rustchat.acked).toBeGreaterThan(0);
    expect(r.rustchat.errors).toBe(0);
    expect(r.rustchat.latency_ms.p99).toBeGreaterThan(0);
  }, 120_000);

  it('fanout measures deliveries to every member against a bare ws server', async () => {
    const r = await bench('fanout', '--members', '10', '--max-rate', '8', '--step', '1');
    expect(r.baseline.top_rate).toBeGreaterThan(0);
    expect(r.rustchat.top_rate).toBeGreaterThan(0);
    expect(r.rustchat.steps.length).toBeGreaterThan(0);
    expect(r.rustchat.at_half.latency_ms.count).toBeGreaterThan(0);
  }, 120_000);

  it('connections measures memory per idle connection against a bare ws server', async () => {
    const r = await bench('connections', '--connections', '60', '--per-user', '10');
    expect(r.baseline.connected).toBe(60);
    expect(r.rustchat.connected).toBe(60);
    expect(r.rustchat.bytes_per_connection).not.toBe(0);
  }, 120_000);

  it('startup times the built server to ready, fresh and on a filled database, against a bare start', async () => {
    const r = await bench('startup', '--runs', '1', '--db-mb', '4', '--idle', '0.2');
    expect(r.baseline.fresh.median_ready_ms).toBeGreaterThan(0);
    expect(r.rustchat.fresh.median_ready_ms).toBeGreaterThan(0);
    expect(r.rustchat.existing.median_ready_ms).toBeGreaterThan(0);
    expect(r.rustchat.existing.median_rss_mb).toBeGreaterThan(0);
    // Per process (the target) and the whole tree (a primary and its workers).
    expect(r.rustchat.existing.median_rss_total_mb).toBeGreaterThanOrEqual(r.rustchat.existing.median_rss_mb);
    expect(r.params.database_file_mb).toBeGreaterThanOrEqual(4);
  }, 180_000);

  it('files measures acknowledged upload MB/s against the storage driver writing the same bytes', async () => {
    const r = await bench('files', '--clients', '2', '--size-kb', '256', '--small-kb', '16', '--seconds', '1');
    expect(r.passes.map((p: { size_bytes: number }) => p.size_bytes)).toEqual([256 * 1024, 16 * 1024]);
    for (const p of r.passes) {
      expect(p.baseline.files).toBeGreaterThan(0);
      expect(p.rustchat.files).toBeGreaterThan(0);
      expect(p.rustchat.errors).toBe(0);
      expect(p.rustchat.latency_ms.p99).toBeGreaterThan(0);
      expect(p.rustchat.server_rss_peak_mb).toBeGreaterThan(0);
    }
  }, 120_000);

  it('search measures queries per second against the bare engine query on the same index', async () => {
    const r = await bench('search', '--posts', '3000', '--channels', '20', '--people', '40', '--clients', '4', '--seconds', '1', '--warmup', '0.5');
    expect(r.seeding.posts).toBe(3000);
    expect(r.seeding.per_second).toBeGreaterThan(0);
    expect(r.baseline.queries).toBeGreaterThan(0);
    expect(r.baseline.errors).toBe(0);
    expect(r.rustchat.queries).toBeGreaterThan(0);
    expect(r.rustchat.errors).toBe(0);
    expect(r.rustchat.latency_ms.p99).toBeGreaterThan(0);
    // Every kind of query ran, and the seeded words are found.
    for (const kind of r.parameters.query_kinds) expect(r.rustchat.per_kind[kind].latency_ms.count).toBeGreaterThan(0);
    expect(r.baseline.per_kind.common.mean_results).toBeGreaterThan(0);
    expect(r.rustchat.per_kind.common.mean_results).toBeGreaterThan(0);
    expect(typeof r.met_ratio).toBe('boolean');
  }, 120_000);

  it('users ramps simulated people and reports the healthy maximum', async () => {
    const r = await bench('users', '--max-users', '16', '--step-users', '8', '--step', '2', '--think', '0.5');
    expect(r.rustchat.steps.length).toBeGreaterThan(0);
    expect(r.rustchat.steps[0].requests).toBeGreaterThan(0);
    expect(typeof r.rustchat.max_healthy_users).toBe('number');
  }, 120_000);
});
