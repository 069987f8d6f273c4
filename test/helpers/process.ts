/**
 * Runs the real `rustchat` command (src/cli.ts through tsx) as a child process: for tests
 * that need a process to die (kill -9), restart on the same data, or a CLI exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Env } from '../../src/config/load.js';
import { testEnv } from './app.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Every line the process wrote (stdout and stderr). */
  readonly lines: string[];
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): Promise<number | string>;
}

function childEnv(env: Env): NodeJS.ProcessEnv {
  // Only what the server needs: PATH for node, plus the RUSTCHAT_* variables under test.
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...testEnv(), ...env };
}

function collect(child: ChildProcess, lines: string[], onLine: (line: string) => void): void {
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        onLine(line);
      }
    });
  }
}

/** Starts `rustchat serve` and resolves once it logs the address it listens on. */
export async function startServerProcess(env: Env, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms:\n${lines.join('\n')}`)), timeoutMs);
    collect(child, lines, (line) => {
      try {
        const entry = JSON.parse(line) as { url?: unknown; msg?: unknown };
        if (typeof entry.url === 'string' && String(entry.msg).startsWith('RustChat listening')) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        // not a JSON log line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${lines.join('\n')}`));
    });
  });
  return {
    child,
    url,
    lines,
    exited,
    kill(signal) {
      child.kill(signal);
      return exited;
    },
  };
}

/** Runs one `rustchat <args>` command to completion. */
export async function runCli(args: readonly string[], env: Env, opts: { input?: string; timeoutMs?: number } = {}): Promise<{ code: number | string; lines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  collect(child, lines, () => undefined);
  child.stdin.end(opts.input ?? '');
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const code = await new Promise<number | string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rustchat ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${lines.join('\n')}`));
    }, timeoutMs);
    child.once('exit', (c, signal) => {
      clearTimeout(timer);
      resolve(c ?? signal ?? -1);
    });
  });
  return { code, lines };
}

/** JSON over real HTTP (fetch) to a server process. */
export async function http(base: string, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body };
}
