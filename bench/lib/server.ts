/**
 * Starts a real RustChat server as a child process (the benchmark drives it from this,
 * separate, process) and reads its memory from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function rssBytes(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0; // exited meanwhile
  }
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat
 * (fields 14 and 15, in clock ticks of 1/100 s on Linux).
 */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU time the whole machine has been busy so far (every core, every process), in seconds,
 * from the first line of /proc/stat: all time but idle and iowait, in clock ticks of 1/100 s.
 */
export function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - fields[3]! - fields[4]!) / 100;
  } catch {
    return 0;
  }
}

/** `pid` and every process descending from it (a primary and its workers), from /proc/<pid>/stat. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Inodes of the TCP sockets listening on `port` (IPv4 and IPv6), from /proc/net/tcp{,6}. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is "ADDR:PORT", st "0A" is LISTEN, inode is the tenth field.
      if (f.length > 9 && f[1]!.endsWith(`:${hexPort}`) && f[3] === '0A') inodes.add(f[9]!);
    }
  }
  return inodes;
}

/** How many of `pids` hold an open descriptor of a socket listening on `port`. */
export function processesListening(pids: readonly number[], port: number): number {
  const inodes = listeningInodes(port);
  let n = 0;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    if (fds.some((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m !== null && inodes.has(m[1]!);
      } catch {
        return false;
      }
    })) n++;
  }
  return n;
}

/** Process ids of the running processes with one of these command names (from /proc/<pid>/comm). */
export function pidsNamed(names: readonly string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Cores used by a set of processes between two readings of `cpuSeconds`. */
export class CpuMeter {
  private start = new Map<number, number>();
  private t0 = 0;
  constructor(private readonly pids: () => readonly number[]) {}
  reset(): void {
    this.t0 = performance.now();
    this.start = new Map(this.pids().map((pid) => [pid, cpuSeconds(pid)]));
  }
  /** CPU seconds used since `reset`. */
  used(): number {
    let used = 0;
    for (const pid of this.pids()) used += cpuSeconds(pid) - (this.start.get(pid) ?? 0);
    return used;
  }
  /** Average cores busy since `reset` (1.0 = one core fully busy). */
  cores(): number {
    const seconds = (performance.now() - this.t0) / 1000;
    return seconds > 0 ? this.used() / seconds : 0;
  }
}

export interface ServerHandle {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The server's processes: the one started and its descendants (a primary and its workers). */
  pids(): number[];
  /** Resident memory of all of them. */
  rss(): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartServerOptions {
  readonly env: Record<string, string>;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=...']. */
  readonly nodeArgs?: readonly string[];
  readonly label?: string;
}

/** Spawns `rustchat serve` (TypeScript sources through tsx) and waits until it is ready. */
export async function startServer(options: StartServerOptions): Promise<ServerHandle> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      RUSTCHAT_SERVER_HOST: '127.0.0.1',
      RUSTCHAT_SERVER_PORT: String(port),
      RUSTCHAT_METRICS_PORT: process.env.RUSTCHAT_BENCH_METRICS_PORT ?? '0',
      RUSTCHAT_LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_r, reject) => child.once('exit', (code) => reject(new Error(`${options.label ?? 'server'} exited with ${code}:\n${output}`))));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await Promise.race([
      fetch(`${url}/api/v1/health/ready`).then((r) => r.ok, () => false),
      exited,
    ]);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.label ?? 'server'} did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // A node with workers answers ready as soon as its first worker listens; the others start
  // after it (they wait for its migrations). Load begun before they listen lands on the first
  // worker alone, and keep-alive connections stay there: wait until every worker holds the
  // listening socket (the primary holds it too).
  const workers = Number(options.env.RUSTCHAT_WORKERS ?? availableParallelism());
  const holders = workers > 1 ? workers + 1 : 1;
  while (processesListening(processTree(child.pid!), port) < holders) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.label ?? 'server'}: not all ${workers} workers listened in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  exited.catch(() => undefined);
  return {
    url,
    port,
    pid: child.pid!,
    child,
    pids: () => processTree(child.pid!),
    rss: () => processTree(child.pid!).reduce((sum, pid) => sum + rssBytes(pid), 0),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

export interface BareHandle {
  readonly url: string;
  readonly pid: number;
  rss(): number;
  stop(): Promise<void>;
}

/** Starts the bare `ws` baseline server (bench/lib/bare-ws-server.ts) as a child process. */
export async function startBareWs(nodeArgs: readonly string[] = []): Promise<BareHandle> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join('bench', 'lib', 'bare-ws-server.ts')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      const m = /listening (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`bare ws server exited ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    rss: () => rssBytes(child.pid!),
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
