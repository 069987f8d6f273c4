/**
 * Stops the process at once on a Node.js older than the one the project supports. Imported
 * first by the CLI, so it runs before any native addon (better-sqlite3 is built for Node 24's
 * ABI and would crash an older runtime) is loaded. `scripts/check-node.mjs` does the same
 * before `npm start` builds anything; a test keeps both in step with package.json `engines`.
 */
export const REQUIRED_NODE_MAJOR = 24;

/** The sentence to print when `version` (like "20.20.2") is too old, or undefined when it is fine. */
export function nodeVersionProblem(version: string): string | undefined {
  const major = Number.parseInt(version.replace(/^v/, '').split('.')[0] ?? '', 10);
  if (Number.isInteger(major) && major >= REQUIRED_NODE_MAJOR) return undefined;
  return `RustChat needs Node.js ${REQUIRED_NODE_MAJOR} LTS or newer; this is Node.js ${version}. Install Node.js ${REQUIRED_NODE_MAJOR} (see README "Requirements").`;
}

const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
