// Baseline for the `startup` scenario: the least a Node.js process must do before it can
// answer "ready" for the same database — load better-sqlite3, open the file in WAL mode, run
// one query, listen on HTTP. Plain JavaScript (no tsx) like the built server it is compared to.
// Usage: node bench/lib/bare-startup.mjs <database file> <port>
import { createServer } from 'node:http';
import process from 'node:process';
import Database from 'better-sqlite3';

const [file, port] = process.argv.slice(2);
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.prepare('SELECT 1').get();
createServer((_req, res) => {
  db.prepare('SELECT 1').get();
  res.setHeader('content-type', 'application/json');
  res.end('{"status":"ok"}');
}).listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
