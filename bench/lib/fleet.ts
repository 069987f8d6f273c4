/** Parent side of the load-generator processes (bench/lib/fleet-worker.ts). */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './server.js';

export interface MarkerStat {
  count: number;
  first: number;
  last: number;
}

/** Loopback source addresses: 127.0.0.2, 127.0.0.3, ... (each has its own ephemeral port range). */
export function loopbackAddresses(n: number): string[] {
  return Array.from({ length: n }, (_v, i) => `127.0.0.${i + 2}`);
}

export class Fleet {
  private readonly workers: ChildProcess[] = [];
  readonly markers = new Map<string, MarkerStat>();
  private markerWaiters: Array<() => void> = [];
  readonly errors: string[] = [];

  private constructor() {}

  static async start(processes: number): Promise<Fleet> {
    const fleet = new Fleet();
    await Promise.all(
      Array.from({ length: processes }, () =>
        new Promise<void>((resolve, reject) => {
          const child = fork(join(REPO_ROOT, 'bench', 'lib', 'fleet-worker.ts'), [], { execArgv: ['--import', 'tsx'], cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          child.once('error', reject);
          child.on('message', (msg: { type: string; markers?: Array<[string, MarkerStat]>; message?: string }) => {
            if (msg.type === 'ready') resolve();
            else if (msg.type === 'markers') {
              for (const [id, m] of msg.markers!) {
                const cur = fleet.markers.get(id);
                if (cur === undefined) fleet.markers.set(id, { ...m });
                else {
                  cur.count += m.count;
                  cur.first = Math.min(cur.first, m.first);
                  cur.last = Math.max(cur.last, m.last);
                }
              }
              const waiters = fleet.markerWaiters;
              fleet.markerWaiters = [];
              for (const w of waiters) w();
            } else if (msg.type === 'error') fleet.errors.push(msg.message ?? 'error');
          });
          fleet.workers.push(child);
        }),
      ),
    );
    return fleet;
  }

  /** Process ids of the load-generator workers (for their CPU use). */
  get pids(): number[] {
    return this.workers.map((w) => w.pid ?? 0).filter((pid) => pid > 0);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Sends `build(i)` to worker i and collects the first reply of type `replyType` from each. */
  async each<T>(build: (i: number) => object, replyType: string): Promise<T[]> {
    return Promise.all(
      this.workers.map(
        (w, i) =>
          new Promise<T>((resolve) => {
            const onMessage = (msg: { type: string }): void => {
              if (msg.type === replyType) {
                w.off('message', onMessage);
                resolve(msg as T);
              }
            };
            w.on('message', onMessage);
            w.send(build(i));
          }),
      ),
    );
  }

  /** Waits until `predicate` holds over the collected markers, or the timeout passes. */
  async waitMarkers(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.markerWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exitCode !== null) return resolve();
            w.once('exit', () => resolve());
            w.send({ type: 'stop' });
            setTimeout(() => w.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
  }
}

/** Splits `items` into `parts` nearly equal consecutive slices. */
export function split<T>(items: readonly T[], parts: number): T[][] {
  const out: T[][] = Array.from({ length: parts }, () => []);
  items.forEach((item, i) => out[i % parts]!.push(item));
  return out;
}
