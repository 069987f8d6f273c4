/**
 * Helpers for the security tests: the real `rustchat` entry point as a child process, free
 * ports, waiting for a condition, log lines, a throwaway Redis server, self-signed
 * certificates.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const CLI = join(ROOT, 'src', 'cli.ts');

/** A TCP port nobody listens on right now (on `host`). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`, naming `what`). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Parsed JSON log lines (lines that are not JSON are skipped). */
export function jsonLines(text: string): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, any>);
    } catch {
      // not a log line
    }
  }
  return out;
}

export interface CliRun {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
}

/**
 * Starts `node --import tsx src/cli.ts <args>` with exactly `env` (plus PATH/HOME): none of
 * this process's RUSTCHAT_* variables leak in.
 */
export function startCli(args: readonly string[], env: Record<string, string | undefined>, cwd: string = mkdtempSync(join(tmpdir(), 'rustchat-cli-'))): CliRun {
  if (!existsSync(TSX)) throw new Error(`tsx is not installed at ${TSX}: run npm ci`);
  const clean: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd, env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, output: () => out, exited };
}

/** Runs the CLI to completion (killing it after `timeoutMs`). */
export async function runCli(args: readonly string[], env: Record<string, string | undefined>, cwd?: string, timeoutMs = 60_000): Promise<{ code: number | string; output: string }> {
  const run = startCli(args, env, cwd);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, output: run.output() };
}

/** A self-signed certificate for `localhost`/127.0.0.1 in `dir` (cert.pem, key.pem). */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

/** Which executable, or a loud failure naming the Debian package to install. */
export function requireBinary(name: string, debianPackage: string): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin']) {
    const p = join(dir, name);
    if (dir !== '' && existsSync(p)) return p;
  }
  throw new Error(`${name} is required by this test and was not found: install it (apt-get install -y ${debianPackage}; .ci/run does)`);
}

/** A private redis-server on a free port, for tests that must stop it. */
export async function startRedisServer(onPort?: number): Promise<{ url: string; port: number; kill(): Promise<void> }> {
  const bin = requireBinary('redis-server', 'redis-server');
  const port = onPort ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'rustchat-redis-'));
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(`redis-server on port ${port} (${out.slice(-300)})`, () => out.includes('Ready to accept connections'));
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
