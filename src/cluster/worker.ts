/**
 * A worker's side of the link to the primary (RUSTCHAT_WORKERS > 1, docs/process-model.md):
 * start-up handshake, the relayed events, calls into the primary's shared presence counts,
 * and sockets handed over for resumes. One per worker process; `createApp` takes it as
 * `AppOptions.cluster` and routes the bus, presence, rate limits and resume hand-offs through it.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ControlMessage, RealtimeEvent } from '../domain/events.js';
import { isClusterMessage, WORKER_SLOT_ENV, type PrimaryToWorker, type RpcOp, type SharedPresenceOps, type WorkerToPrimary } from './protocol.js';

/** How long a call into the primary may take before it fails (the primary answers from memory). */
const RPC_TIMEOUT_MS = 5_000;
/**
 * How long a worker waits for the write turn before writing without it (SQLite's own lock then
 * decides, within its busy_timeout of the same length): a turn never stalls a write for longer
 * than the lock alone would.
 */
export const TURN_WAIT_MS = 5_000;

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface RelayTarget {
  onEvent(event: RealtimeEvent): void;
  onControl(message: ControlMessage): void;
}

/** What the link needs of the process's IPC channel (the process itself; a stand-in in unit tests). */
export interface IpcChannel {
  readonly connected: boolean;
  send?(message: unknown, handle?: Socket): boolean;
  on(event: 'message', listener: (message: unknown, handle: unknown) => void): unknown;
}

export interface WriteTurn {
  /** False when the wait ran out (or there is no primary): the write goes ahead without a turn. */
  readonly granted: boolean;
  /** Gives the turn back (once; later calls do nothing). */
  readonly release: () => void;
}

const NO_TURN: WriteTurn = { granted: false, release: () => undefined };

export class PrimaryLink {
  /** 0 for the worker that migrates the database and creates the bootstrap admin. */
  readonly slot: number;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private relay: RelayTarget | undefined;
  private server: Server | undefined;
  private onOffline: ((userIds: readonly string[]) => void) | undefined;
  private go: (() => void) | undefined;
  private goReceived = false;
  /** Sockets the primary handed to us: never handed on again (no loops). */
  private readonly received = new WeakSet<object>();
  /** Write turns asked for and not granted yet. */
  private readonly turns = new Map<number, { readonly resolve: (turn: WriteTurn) => void; readonly timer: NodeJS.Timeout }>();

  constructor(slot = Number(process.env[WORKER_SLOT_ENV] ?? '0'), private readonly ipc: IpcChannel = process) {
    this.slot = slot;
    ipc.on('message', (m: unknown, handle: unknown) => this.onMessage(m, handle));
  }

  private send(m: WorkerToPrimary, handle?: Socket): void {
    // Whatever else goes to the primary goes after the events published before it (a control
    // message, a socket handed over for a resume, a connection id, a call): as if each event had
    // been sent on its own.
    if (m.rc !== 'events') this.flush();
    if (!this.ipc.connected || this.ipc.send === undefined) return;
    if (handle === undefined) this.ipc.send(m);
    else this.ipc.send(m, handle);
  }

  private onMessage(m: unknown, handle: unknown): void {
    if (!isClusterMessage<PrimaryToWorker>(m)) return;
    switch (m.rc) {
      case 'go':
        this.goReceived = true;
        this.go?.();
        return;
      case 'events':
        for (const event of m.m) this.relay?.onEvent(event);
        return;
      case 'control':
        this.relay?.onControl(m.m);
        return;
      case 'rpc': {
        const p = this.pending.get(m.id);
        if (p === undefined) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.value);
        else p.reject(new Error(`cluster: ${m.error}`));
        return;
      }
      case 'conn': {
        const socket = handle as Socket | undefined;
        if (socket === undefined) return;
        if (this.server === undefined) {
          socket.destroy();
          return;
        }
        this.received.add(socket);
        this.server.emit('connection', socket);
        // The request the other worker had read: parsed here as if it had just arrived.
        socket.emit('data', Buffer.from(m.head, 'base64'));
        return;
      }
      case 'offline':
        this.onOffline?.(m.userIds);
        return;
      case 'turn': {
        const waiting = this.turns.get(m.id);
        // We stopped waiting for it (timed out): give it straight back.
        if (waiting === undefined) return this.send({ rc: 'turn-end', id: m.id });
        this.turns.delete(m.id);
        clearTimeout(waiting.timer);
        waiting.resolve({ granted: true, release: this.turnRelease(m.id) });
        return;
      }
    }
  }

  /**
   * Waits (without blocking the event loop) for this worker's turn to write the embedded
   * database; resolves with `release`, to be called once the transaction has committed or
   * rolled back. Without an answer within `waitMs` it resolves anyway, not granted (SQLite's
   * lock still serialises the writers; see cluster/write-turns.ts).
   */
  writeTurn(waitMs = TURN_WAIT_MS): Promise<WriteTurn> {
    if (!this.ipc.connected) return Promise.resolve(NO_TURN);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.turns.delete(id);
        // Withdrawn, so that the primary does not grant it to a worker no longer waiting (one that
        // came late is given straight back, see onMessage).
        this.send({ rc: 'turn-end', id });
        resolve(NO_TURN);
      }, waitMs);
      this.turns.set(id, { resolve, timer });
      this.send({ rc: 'turn', id });
    });
  }

  private turnRelease(id: number): () => void {
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.send({ rc: 'turn-end', id });
    };
  }

  /** Resolves once the database is ready for this worker (slot 0 at once: it migrates). */
  waitForGo(): Promise<void> {
    if (this.slot === 0 || this.goReceived) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.go = resolve;
      this.send({ rc: 'waiting' });
    });
  }

  /** Tells the primary that this worker serves (at `url`). */
  ready(url: string): void {
    this.send({ rc: 'ready', url });
  }

  /** Where events and control messages of the other workers go (the cluster bus). */
  setRelay(target: RelayTarget | undefined): void {
    this.relay = target;
  }

  /** Events published in this turn of the event loop, sent together (`events`) once it ends. */
  private outbox: RealtimeEvent[] = [];
  private flushing: NodeJS.Immediate | undefined;

  publish(event: RealtimeEvent): void {
    this.outbox.push(event);
    this.flushing ??= setImmediate(() => this.flush());
  }

  /** Sends the events published so far now (also before the bus closes). */
  flush(): void {
    if (this.flushing !== undefined) clearImmediate(this.flushing);
    this.flushing = undefined;
    if (this.outbox.length === 0) return;
    const events = this.outbox;
    this.outbox = [];
    this.send({ rc: 'events', m: events });
  }

  control(message: ControlMessage): void {
    this.send({ rc: 'control', m: message });
  }

  /** A call into the primary's shared state. */
  call<K extends RpcOp>(op: K, ...args: SharedPresenceOps[K]['args']): Promise<SharedPresenceOps[K]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`cluster: the primary did not answer ${op} within ${RPC_TIMEOUT_MS} ms`));
      }, RPC_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.send({ rc: 'rpc', id, op, args });
    });
  }

  /** Sockets the primary hands over (resumes of our connections) join `server`. */
  acceptOn(server: Server): void {
    this.server = server;
  }

  /** Users who went offline with a dead worker: `handler` publishes their status. */
  onUsersOffline(handler: (userIds: readonly string[]) => void): void {
    this.onOffline = handler;
  }

  /** A WebSocket connection now lives here. */
  own(connectionId: string): void {
    this.send({ rc: 'own', id: connectionId });
  }

  /** True when `socket` may be handed to another worker (a plain TCP socket we accepted ourselves). */
  mayHandOff(socket: object): boolean {
    return !this.received.has(socket);
  }

  /** Hands a resume request to the worker holding `connectionId` (or back to us when none does). */
  handOff(connectionId: string, socket: Socket, request: Buffer): void {
    this.send({ rc: 'handoff', to: connectionId, head: request.toString('base64') }, socket);
  }
}
