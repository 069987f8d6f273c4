// Run by `npm start` (prestart) before anything is built: stop at once, with a sentence naming
// the required version, on a Node.js older than package.json `engines.node`. Plain JavaScript
// so that it runs on any old Node. src/runtime-check.ts does the same for the built CLI.
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const required = Number.parseInt(String(pkg.engines.node).replace(/[^0-9.]/g, ''), 10);
const major = Number.parseInt(process.versions.node.split('.')[0], 10);
if (!(major >= required)) {
  process.stderr.write(`RustChat needs Node.js ${required} LTS or newer; this is Node.js ${process.versions.node}. Install Node.js ${required} (see README "Requirements").\n`);
  process.exit(1);
}
