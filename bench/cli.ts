/**
 * `npm run bench -- <scenario> [--quick] [--json <file>] [--postgres] [--nodes 2] [--s3] [--profile]`
 *
 * Each scenario starts its own server(s), drives them from this process over loopback,
 * measures its raw baseline in the same run, prints a table and writes JSON to
 * bench/results/. See bench/README.md.
 */
import { BenchContext, machine, parseArgs } from './lib/context.js';
import { connectionsScenario } from './scenarios/connections.js';
import { fanoutScenario } from './scenarios/fanout.js';
import { filesScenario } from './scenarios/files.js';
import { searchScenario } from './scenarios/search.js';
import { startupScenario } from './scenarios/startup.js';
import { usersScenario } from './scenarios/users.js';
import { writeScenario } from './scenarios/write.js';

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<Record<string, unknown>>> = {
  fanout: fanoutScenario,
  write: writeScenario,
  connections: connectionsScenario,
  users: usersScenario,
  startup: startupScenario,
  files: filesScenario,
  search: searchScenario,
};

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const run = SCENARIOS[options.scenario];
  if (run === undefined) {
    console.error(`unknown scenario ${options.scenario}; one of: ${Object.keys(SCENARIOS).join(', ')}`);
    return 2;
  }
  const ctx = new BenchContext(options);
  const started = new Date();
  const t0 = performance.now();
  try {
    const body = await run(ctx);
    const result = {
      scenario: options.scenario,
      quick: options.quick,
      started_at: started.toISOString(),
      duration_s: Math.round((performance.now() - t0) / 100) / 10,
      machine: machine(),
      // Server processes per node: --workers, else the server's default (one per core).
      workers_per_node: options.workers ?? machine().cores,
      redis: options.redis,
      ...body,
    };
    const path = ctx.writeResult(result);
    console.log(`\nresult written to ${path}`);
    return 0;
  } finally {
    await ctx.cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
