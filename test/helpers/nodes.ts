/**
 * Real server processes for cluster tests: `node --import tsx src/cli.ts serve`, each on its
 * own port, sharing one PostgreSQL database and one Redis namespace, talked to over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strongSecret } from './app.js';
import { REDIS_URL, createTestDatabase } from './services.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface NodeProcess {
  readonly url: string;
  readonly logs: string[];
  readonly process: ChildProcess;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

export interface Cluster {
  readonly env: Record<string, string>;
  start(extra?: Record<string, string>): Promise<NodeProcess>;
  close(): Promise<void>;
}

/** Shared settings for the nodes of one cluster: a fresh database, a fresh Redis prefix, one set of secrets. */
export async function cluster(extra: Record<string, string> = {}): Promise<Cluster> {
  const db = await createTestDatabase();
  const nodes: NodeProcess[] = [];
  const dirs: string[] = [];
  const env: Record<string, string> = {
    RUSTCHAT_DATABASE_URL: db.url,
    RUSTCHAT_REDIS_URL: REDIS_URL,
    RUSTCHAT_REDIS_PREFIX: `rctest:${randomBytes(6).toString('hex')}:`,
    // Several workers per node (as `npm start` on two cores): the cluster tests cover both levels.
    RUSTCHAT_WORKERS: '2',
    RUSTCHAT_JWT_SECRET: strongSecret(),
    RUSTCHAT_ENCRYPTION_KEY: strongSecret(),
    RUSTCHAT_SERVER_HOST: '127.0.0.1',
    RUSTCHAT_SERVER_PORT: '0',
    RUSTCHAT_METRICS_PORT: '0',
    RUSTCHAT_LOG_LEVEL: 'info',
    RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE: '100000',
    ...extra,
  };
  return {
    env,
    async start(more = {}) {
      const dataDir = mkdtempSync(join(tmpdir(), 'rustchat-node-'));
      dirs.push(dataDir);
      const node = await startNode({ ...env, RUSTCHAT_DATA_DIR: dataDir, ...more });
      nodes.push(node);
      return node;
    },
    async close() {
      await Promise.all(nodes.map((n) => n.stop()));
      await db.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Starts one server process and resolves once it listens (with the URL it logged). */
export function startNode(env: Record<string, string>, timeoutMs = 90_000): Promise<NodeProcess> {
  // Only the basics from this environment: no stray RUSTCHAT_* setting leaks into the node.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RUSTCHAT_')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    exited = code;
    resolve(code);
  }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node did not start within ${timeoutMs} ms:\n${logs.join('\n')}`));
    }, timeoutMs);
    let buffer = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        logs.push(line);
        let parsed: { msg?: string; url?: string } = {};
        try {
          parsed = JSON.parse(line) as typeof parsed;
        } catch {
          continue;
        }
        if (parsed.msg?.startsWith('RustChat listening on') && parsed.url !== undefined) {
          clearTimeout(timer);
          resolve({
            url: parsed.url,
            logs,
            process: child,
            stop: async () => {
              if (exited !== undefined) return exited;
              child.kill('SIGTERM');
              const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
              const code = await exit;
              clearTimeout(killer);
              return code;
            },
          });
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => logs.push(c.toString('utf8')));
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code} before listening:\n${logs.join('\n')}`));
    });
  });
}

/** A minimal JSON client over real HTTP. */
export async function http(base: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(new URL(path, base), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}
