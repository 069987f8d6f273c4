/** Prints the README configuration table from src/config/schema.ts: `npm run docs:config`. */
import { VARIABLES } from '../src/config/schema.js';

const rows = VARIABLES.map((v) => `| \`${v.name}\` | ${v.default === '' ? '(unset)' : `\`${v.default}\``} | ${v.doc} |`);
process.stdout.write(['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n') + '\n');
