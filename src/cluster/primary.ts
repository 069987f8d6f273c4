/**
 * The primary process of `rustchat serve` when RUSTCHAT_WORKERS > 1 (docs/process-model.md).
 *
 * It runs no application code: it forks the workers (each a whole RustChat on the shared
 * database, listening on the shared port through node:cluster), and between them it
 *
 * - relays events and control messages (a worker's commit reaches every other worker's hub);
 * - keeps the presence counts and the per-user connection cap (counted once for all workers);
 * - keeps the rate-limit counters (rate-limiter-flexible's cluster master), so 10/min is 10;
 * - on the embedded database, grants the write turn (cluster/write-turns.ts), so a worker waits
 *   for the other's commit without blocking its event loop;
 * - remembers which worker holds which WebSocket connection, so a resume that lands on another
 *   worker is handed to the right one with its socket;
 * - serves the aggregated Prometheus metrics on the metrics port;
 * - replaces a worker that dies (with back-off if it keeps dying), and stops them all on
 *   SIGTERM/SIGINT.
 *
 * With RUSTCHAT_REDIS_URL set, events, presence and limits go through Redis instead (each
 * worker is a node of the Redis cluster); the primary still routes resumes and replaces workers.
 *
 * Start-up: the worker in slot 0 starts first (it migrates the database and creates the
 * bootstrap admin); the others load their code meanwhile and open the database once it is
 * done. "RustChat listening" is logged when every worker serves.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:http';
import { AggregatorRegistry } from 'prom-client';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import type { Config } from '../config/config.js';
import type { Presence as Status } from '../domain/presenters.js';
import type { Logger } from '../observability/logger.js';
import { startMetricsServer } from '../observability/metrics-server.js';
import { isClusterMessage, WORKER_SLOT_ENV, type PrimaryToWorker, type RpcOp, type WorkerToPrimary } from './protocol.js';
import { WriteTurns } from './write-turns.js';

/** A worker that dies within this long of starting counts as a crash loop (back-off doubles). */
const QUICK_DEATH_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;
/** How long a connection id → worker entry is kept (a resume after that gets a new hello). */
const OWNER_TTL_MS = 24 * 3600_000;

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  startedAt: number;
  ready: boolean;
  /** Asked for `go` (slot 0 never waits: it migrates). */
  waiting: boolean;
  backoffMs: number;
}

const effective = (connections: number, manual: string | undefined): Status => (connections > 0 ? ((manual || 'online') as Status) : 'offline');

/** Presence counts of every worker: user → worker id → live connections. */
export class SharedPresence {
  private readonly counts = new Map<string, Map<number, number>>();
  private readonly manual = new Map<string, Status>();

  private total(userId: string): number {
    let n = 0;
    for (const c of this.counts.get(userId)?.values() ?? []) n += c;
    return n;
  }

  acquire(workerId: number, userId: string, cap: number): { before: number; status: string } {
    const before = this.total(userId);
    const status = this.manual.get(userId) ?? '';
    if (before >= cap) return { before: -1, status };
    let perWorker = this.counts.get(userId);
    if (perWorker === undefined) this.counts.set(userId, (perWorker = new Map<number, number>()));
    perWorker.set(workerId, (perWorker.get(workerId) ?? 0) + 1);
    return { before, status };
  }

  release(workerId: number, userId: string): { after: number; status: string } {
    const perWorker = this.counts.get(userId);
    const n = (perWorker?.get(workerId) ?? 0) - 1;
    if (perWorker !== undefined) {
      if (n <= 0) perWorker.delete(workerId);
      else perWorker.set(workerId, n);
      if (perWorker.size === 0) this.counts.delete(userId);
    }
    return { after: this.total(userId), status: this.manual.get(userId) ?? '' };
  }

  setStatus(userId: string, status: Status): null {
    if (status === 'online') this.manual.delete(userId);
    else this.manual.set(userId, status);
    return null;
  }

  statuses(userIds: readonly string[]): Status[] {
    return userIds.map((id) => effective(this.total(id), this.manual.get(id)));
  }

  /** Drops a dead worker's connections; returns the users now offline who were visible before. */
  dropWorker(workerId: number): string[] {
    const offline: string[] = [];
    for (const [userId, perWorker] of this.counts) {
      if (!perWorker.delete(workerId)) continue;
      if (perWorker.size === 0) {
        this.counts.delete(userId);
        if (effective(1, this.manual.get(userId)) !== 'offline') offline.push(userId);
      }
    }
    return offline;
  }
}

export interface PrimaryHandle {
  /** Resolves with the exit code once every worker has stopped. */
  readonly done: Promise<number>;
}

export function runPrimary(config: Config, logger: Logger): PrimaryHandle {
  // The kernel spreads connections: every worker accepts on the shared socket. (With Node's
  // round-robin the primary accepts and passes each socket on; a socket passed to a worker
  // that dies before taking it stays open in the primary with nobody reading it, so its
  // client hangs. With the shared socket, what a dead worker had not accepted waits in the
  // backlog for the others.)
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  // The counters of rate limits shared by the workers (they create theirs on first use).
  // (also the fallback counters of the Redis limiters while Redis is unreachable).
  new RateLimiterClusterMaster();
  const presence = new SharedPresence();
  const aggregator = new AggregatorRegistry();
  const owners = new Map<string, { slot: number; at: number }>();
  const slots: Slot[] = Array.from({ length: config.workers }, (_, index) => ({ index, worker: undefined, startedAt: 0, ready: false, waiting: false, backoffMs: 500 }));
  let migrated = false;
  let listening = false;
  let stopping = false;
  let metricsServer: Server | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  const live = (): Worker[] => slots.flatMap((s) => (s.worker !== undefined && s.ready && s.worker.isConnected() ? [s.worker] : []));
  const send = (w: Worker, m: PrimaryToWorker, handle?: unknown): void => {
    if (!w.isConnected()) return;
    try {
      if (handle === undefined) w.send(m);
      else w.send(m, handle as never);
    } catch (err) {
      logger.warn({ err: { message: err instanceof Error ? err.message : String(err) }, worker: w.id }, 'cluster: could not reach a worker');
    }
  };
  const others = (from: Worker, m: PrimaryToWorker): void => {
    for (const s of slots) if (s.worker !== undefined && s.worker !== from) send(s.worker, m);
  };

  const workerById = (id: number): Worker | undefined => slots.find((s) => s.worker?.id === id)?.worker;
  const turns = new WriteTurns(
    (id) => workerById(id)?.isConnected() === true,
    (id, turn) => send(workerById(id)!, { rc: 'turn', id: turn }),
  );

  const rpc = (w: Worker, op: RpcOp, args: unknown[]): unknown => {
    switch (op) {
      case 'acquire':
        return presence.acquire(w.id, String(args[0]), Number(args[1]));
      case 'release':
        return presence.release(w.id, String(args[0]));
      case 'setStatus':
        return presence.setStatus(String(args[0]), args[1] as Status);
      case 'statuses':
        return presence.statuses(Array.isArray(args[0]) ? (args[0] as unknown[]).map(String) : []);
      case 'metrics':
        return aggregator.clusterMetrics().then((text) => ({ contentType: aggregator.contentType, text }));
    }
  };

  function onMessage(slot: Slot, w: Worker, m: unknown, handle: unknown): void {
    if (!isClusterMessage<WorkerToPrimary>(m)) return;
    switch (m.rc) {
      case 'events':
        others(w, { rc: 'events', m: m.m });
        return;
      case 'control':
        others(w, { rc: 'control', m: m.m });
        return;
      case 'turn':
        turns.ask(w.id, m.id);
        return;
      case 'turn-end':
        turns.end(w.id, m.id);
        return;
      case 'own':
        owners.delete(m.id);
        owners.set(m.id, { slot: slot.index, at: Date.now() });
        return;
      case 'rpc': {
        const { id } = m;
        Promise.resolve()
          .then(() => rpc(w, m.op, m.args))
          .then(
            (value) => send(w, { rc: 'rpc', id, ok: true, value: value ?? null }),
            (err: unknown) => send(w, { rc: 'rpc', id, ok: false, error: err instanceof Error ? err.message : String(err) }),
          );
        return;
      }
      case 'handoff': {
        // A resume for a connection another worker holds: pass the socket on, with the request bytes.
        const owner = owners.get(m.to);
        const target = owner === undefined ? undefined : slots[owner.slot]?.worker;
        if (target !== undefined && target.isConnected()) send(target, { rc: 'conn', head: m.head }, handle);
        else if (w.isConnected()) send(w, { rc: 'conn', head: m.head }, handle);
        return;
      }
      case 'waiting':
        slot.waiting = true;
        if (migrated) send(w, { rc: 'go' });
        return;
      case 'ready':
        onReady(slot, m.url);
        return;
    }
  }

  function fork(slot: Slot): void {
    const w = cluster.fork({ [WORKER_SLOT_ENV]: String(slot.index) });
    slot.worker = w;
    slot.ready = false;
    slot.waiting = false;
    slot.startedAt = Date.now();
    w.on('message', (m: unknown, handle: unknown) => onMessage(slot, w, m, handle));
    w.on('exit', (code, signal) => onExit(slot, w, code, signal));
    // A message sent while the worker dies fails after send() returned (EPIPE, channel closed)
    // and is emitted as 'error': without a listener that would throw and take the primary (and so
    // every worker) down. The worker's 'exit' follows and replaces it.
    w.on('error', (err: Error) => logger.warn({ err: { message: err.message, code: (err as { code?: string }).code }, worker: slot.index, pid: w.process.pid }, 'cluster: could not reach a worker'));
  }

  function onReady(slot: Slot, url: string): void {
    slot.ready = true;
    logger.info({ worker: slot.index, pid: slot.worker?.process.pid }, 'cluster: worker serving');
    if (!migrated) {
      migrated = true;
      for (const s of slots) if (s !== slot && s.worker !== undefined && s.waiting) send(s.worker, { rc: 'go' });
      // The others start now (see the start below); each is told `go` as soon as it is waiting.
      if (!stopping) for (const s of slots) if (s.worker === undefined) fork(s);
    }
    if (!listening && slots.every((s) => s.ready)) {
      listening = true;
      void announce(url);
    }
  }

  async function announce(url: string): Promise<void> {
    if (config.metrics.port !== 0) {
      const exposition = async (): Promise<{ contentType: string; text: string }> => ({ contentType: aggregator.contentType, text: await aggregator.clusterMetrics() });
      try {
        metricsServer = await startMetricsServer({ exposition }, config.metrics.host, config.metrics.port);
      } catch (err) {
        logger.error({ err }, 'cluster: the metrics port could not be opened');
      }
    }
    logger.info({ url, workers: config.workers, database: config.database.url === undefined ? 'sqlite' : 'postgres', environment: config.environment, redis: config.redisUrl !== undefined }, `RustChat listening on ${url}`);
  }

  function onExit(slot: Slot, w: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== w) return;
    slot.worker = undefined;
    slot.ready = false;
    for (const [id, o] of owners) if (o.slot === slot.index) owners.delete(id);
    const offline = presence.dropWorker(w.id);
    turns.gone(w.id);
    if (stopping) {
      if (slots.every((s) => s.worker === undefined)) finish(0);
      return;
    }
    if (!migrated && slot.index === 0) {
      logger.fatal({ worker: slot.index, pid: w.process.pid, code, signal }, 'cluster: the first worker could not start (see its log above); stopping');
      stop('startup failure', 1);
      return;
    }
    logger.error({ worker: slot.index, pid: w.process.pid, code, signal }, 'cluster: a worker died; its clients reconnect to the others, a replacement starts');
    if (offline.length > 0) {
      const survivor = live()[0];
      if (survivor !== undefined) send(survivor, { rc: 'offline', userIds: offline });
    }
    const quick = Date.now() - slot.startedAt < QUICK_DEATH_MS;
    const delay = quick ? slot.backoffMs : 0;
    slot.backoffMs = quick ? Math.min(MAX_BACKOFF_MS, slot.backoffMs * 2) : 500;
    // (Not unref'd: with every worker dead, this timer is what keeps the primary alive to retry.)
    setTimeout(() => {
      if (!stopping) fork(slot);
    }, delay);
  }

  let exitCode = 0;
  function finish(code: number): void {
    if (metricsServer !== undefined) metricsServer.close();
    resolveDone(exitCode || code);
  }

  function stop(reason: string, code = 0): void {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    logger.info({ reason }, 'cluster: stopping the workers');
    const running = slots.flatMap((s) => (s.worker === undefined ? [] : [s.worker]));
    if (running.length === 0) return finish(code);
    for (const w of running) w.process.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const s of slots) s.worker?.process.kill('SIGKILL');
      finish(1);
    }, 12_000);
    force.unref();
  }

  // Sweep old connection ids (a resume after a day gets a new hello anyway).
  setInterval(() => {
    const cutoff = Date.now() - OWNER_TTL_MS;
    for (const [id, o] of owners) {
      if (o.at >= cutoff) break;
      owners.delete(id);
    }
  }, 60_000).unref();

  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  logger.info({ workers: config.workers }, `cluster: starting ${config.workers} workers`);
  // The first worker alone: it migrates and serves first, with the machine to itself (started
  // together, the others' module loading took its cores and the first answer came ~0.9 s later
  // on 2 cores). The others are forked once it serves (onReady).
  fork(slots[0]!);
  return { done };
}
