/**
 * The WebSocket client for `/api/v1/ws`, as a small state machine with its socket, timers and
 * randomness injected (so it is tested under Vitest without a browser or a server).
 *
 *   connect ──► hello (seq 0) ──► events seq 1, 2, 3 … ──► close
 *      ▲                                                     │
 *      └──── backoff (1 s, 2 s, 4 s … ≤ 30 s, jittered) ◄────┘   1008 → session ended, stop
 *
 * - The token travels as the second offered subprotocol (`['rustchat.v1', token]`), never in
 *   the URL; the server selects `rustchat.v1`.
 * - Every server event carries a per-connection `seq` that grows by exactly 1. A duplicate is
 *   dropped; a gap means something was lost, so the socket is dropped at once and a new one
 *   resumes with `?connection_id=<id>&sequence_number=<next expected seq>`.
 * - A resumed stream keeps the same connection id (the server replays what was missed). A
 *   `hello` with a new connection id after a reconnect means the gap could not be replayed:
 *   `onHello('reset')` tells the app to refetch what it shows.
 * - A ping every 30 s proves the connection is alive; no reply within 10 s → reconnect.
 */
import { WS_CLOSE, WS_PATH, WS_SUBPROTOCOL, type ActionReply, type ClientActionMap, type HelloData } from '../../../src/domain/events.js';
import type { EventMap, EventName } from './types.js';
import { t } from '../i18n/index.js';

/** The part of the browser's WebSocket this client uses. */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string, protocols: string[]) => SocketLike;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Broadcast {
  channel_id?: string;
  team_id?: string;
  user_id?: string;
}

/** A server → client event, typed by the server's own event map. */
export type ServerEvent = { [K in EventName]: { event: K; seq: number; data: EventMap[K]; broadcast: Broadcast } }[EventName];

export type Hello = HelloData;

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'waiting' | 'ended' | 'stopped';

export type ClientReply = ActionReply;

export interface RealtimeHandlers {
  /** An event, in order, exactly once. */
  onEvent(event: ServerEvent): void;
  /** A `hello`: 'first' connection, 'resumed' (nothing lost) or 'reset' (new connection: refetch). */
  onHello?(kind: 'first' | 'resumed' | 'reset', hello: Hello): void;
  /** Connection state for the UI (waiting: `retryInMs` until the next attempt). */
  onState?(state: ConnectionState, info: { attempt: number; retryInMs?: number }): void;
  /** The server closed with 1008: the session is over; no reconnect. */
  onSessionEnded?(): void;
}

export interface RealtimeOptions {
  /** Absolute ws:// or wss:// URL for a path on this site (see `wsUrl`). */
  readonly url: (pathAndQuery: string) => string;
  readonly getToken: () => string | undefined;
  readonly createSocket: SocketFactory;
  readonly timers?: Timers;
  readonly random?: () => number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly pingIntervalMs?: number;
  readonly pongTimeoutMs?: number;
  readonly replyTimeoutMs?: number;
}

/** Client-chosen close codes (4000–4999 are for applications; the server's are WS_CLOSE). */
export const CLOSE_SEQ_GAP = 4000;
export const CLOSE_PING_TIMEOUT = 4001;

/** ws:// or wss:// URL of a path on the page's own origin (CSP connect-src 'self'). */
export function wsUrl(location: { protocol: string; host: string }, pathAndQuery: string): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${pathAndQuery}`;
}

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, with equal jitter. */
export function backoffDelay(attempt: number, random: () => number, baseMs = 1000, maxMs = 30_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

interface Pending {
  resolve(reply: ClientReply): void;
  reject(err: Error): void;
  timer: unknown;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};

export class RealtimeClient {
  private socket: SocketLike | undefined;
  private state: ConnectionState = 'idle';
  private connectionId: string | undefined;
  /** The seq the next server event must carry. */
  private nextSeq = 0;
  /** Whether the current socket has said hello. */
  private greeted = false;
  private attempt = 0;
  /** Gaps in a row without an in-order event between them. */
  private gapStreak = 0;
  private actionSeq = 0;
  private readonly pending = new Map<number, Pending>();
  private retryTimer: unknown;
  private pingTimer: unknown;
  private pongTimer: unknown;
  /** The seq of the ping awaiting its reply. */
  private pingSeq: number | undefined;
  private readonly timers: Timers;
  private readonly random: () => number;

  constructor(private readonly opts: RealtimeOptions, private readonly handlers: RealtimeHandlers) {
    this.timers = opts.timers ?? realTimers;
    this.random = opts.random ?? Math.random;
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** The connection id the server gave us (kept across resumed reconnects). */
  get currentConnectionId(): string | undefined {
    return this.connectionId;
  }

  /** The seq the next event must carry (what a resume asks for). */
  get expectedSeq(): number {
    return this.nextSeq;
  }

  start(): void {
    if (this.state !== 'idle' && this.state !== 'stopped') return;
    this.connect();
  }

  /** Closes for good (sign-out, page unload). */
  stop(): void {
    this.setState('stopped');
    this.clearTimers();
    this.dropSocket(1000, 'client stopped');
  }

  /** Skips the remaining backoff (e.g. the browser came back online or the tab became visible). */
  reconnectNow(): void {
    if (this.state !== 'waiting') return;
    this.timers.clearTimeout(this.retryTimer);
    this.connect();
  }

  /** Sends an action; resolves with the server's reply, rejects when not connected or unanswered. */
  send<K extends keyof ClientActionMap>(action: K, data?: ClientActionMap[K]): Promise<ClientReply> {
    const socket = this.socket;
    if (socket === undefined || this.state !== 'open') return Promise.reject(new Error(t('error.notConnected')));
    const seq = ++this.actionSeq;
    return new Promise<ClientReply>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(t('error.noReply')));
      }, this.opts.replyTimeoutMs ?? 10_000);
      this.pending.set(seq, { resolve, reject, timer });
      try {
        socket.send(JSON.stringify({ action, seq, data: data ?? {} }));
      } catch (err) {
        this.timers.clearTimeout(timer);
        this.pending.delete(seq);
        reject(err instanceof Error ? err : new Error(t('error.sendFailed')));
      }
    });
  }

  private connect(): void {
    const token = this.opts.getToken();
    if (token === undefined) {
      this.setState('ended');
      this.handlers.onSessionEnded?.();
      return;
    }
    this.setState('connecting');
    const query = this.connectionId === undefined ? '' : `?connection_id=${encodeURIComponent(this.connectionId)}&sequence_number=${this.nextSeq}`;
    let socket: SocketLike;
    try {
      socket = this.opts.createSocket(this.opts.url(`${WS_PATH}${query}`), [WS_SUBPROTOCOL, token]);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.greeted = false;
    socket.onmessage = (ev) => this.onMessage(socket, ev.data);
    socket.onclose = (ev) => this.onClose(socket, ev.code);
    socket.onerror = () => undefined; // a close event always follows
  }

  private onMessage(socket: SocketLike, raw: unknown): void {
    if (socket !== this.socket || typeof raw !== 'string') return;
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    const m = msg as Record<string, unknown>;
    if (typeof m.seq_reply === 'number') {
      if (m.seq_reply === this.pingSeq) {
        this.pingSeq = undefined;
        this.schedulePing(); // alive: next ping later
        return;
      }
      const p = this.pending.get(m.seq_reply);
      if (p !== undefined) {
        this.pending.delete(m.seq_reply);
        this.timers.clearTimeout(p.timer);
        p.resolve(m as unknown as ClientReply);
      }
      return;
    }
    if (typeof m.event !== 'string' || typeof m.seq !== 'number' || !Number.isInteger(m.seq)) return;
    if (m.event === 'hello') {
      this.onHello(m.seq, (m.data ?? {}) as Hello);
      return;
    }
    if (!this.greeted) return; // nothing counts before hello
    if (m.seq < this.nextSeq) return; // replayed twice: already delivered
    if (m.seq > this.nextSeq) {
      // Lost something: drop this socket and resume from the first missing seq — at once the
      // first time, with backoff if resuming keeps failing to close the gap.
      this.dropSocket(CLOSE_SEQ_GAP, 'sequence gap');
      this.gapStreak++;
      if (this.gapStreak === 1) this.connect();
      else this.scheduleReconnect();
      return;
    }
    this.gapStreak = 0;
    this.nextSeq = m.seq + 1;
    const data = typeof m.data === 'object' && m.data !== null ? m.data : {};
    const broadcast = typeof m.broadcast === 'object' && m.broadcast !== null ? m.broadcast : {};
    this.handlers.onEvent({ event: m.event, seq: m.seq, data, broadcast } as ServerEvent);
  }

  private onHello(seq: number, hello: Hello): void {
    const previous = this.connectionId;
    let kind: 'first' | 'resumed' | 'reset';
    if (previous === undefined) kind = 'first';
    else if (previous === hello.connection_id) kind = 'resumed';
    else kind = 'reset';
    // A resumed stream continues where it stopped; a new one starts after this hello.
    if (kind !== 'resumed') this.nextSeq = seq + 1;
    if (typeof hello.connection_id === 'string') this.connectionId = hello.connection_id;
    this.greeted = true;
    if (this.gapStreak === 0) this.attempt = 0;
    this.setState('open');
    this.schedulePing();
    this.handlers.onHello?.(kind, hello);
  }

  private onClose(socket: SocketLike, code: number): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.clearHeartbeat();
    this.failPending();
    if (this.state === 'stopped' || this.state === 'ended') return;
    if (code === WS_CLOSE.SESSION_ENDED) {
      this.setState('ended');
      this.handlers.onSessionEnded?.();
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = backoffDelay(this.attempt, this.random, this.opts.baseDelayMs, this.opts.maxDelayMs);
    this.attempt++;
    this.state = 'waiting';
    this.handlers.onState?.('waiting', { attempt: this.attempt, retryInMs: delay });
    this.retryTimer = this.timers.setTimeout(() => this.connect(), delay);
  }

  private schedulePing(): void {
    this.clearHeartbeat();
    this.pingTimer = this.timers.setTimeout(() => {
      const socket = this.socket;
      if (socket === undefined || this.state !== 'open') return;
      const seq = ++this.actionSeq;
      this.pingSeq = seq;
      this.pongTimer = this.timers.setTimeout(() => {
        if (socket !== this.socket) return;
        this.dropSocket(CLOSE_PING_TIMEOUT, 'ping timeout');
        this.scheduleReconnect();
      }, this.opts.pongTimeoutMs ?? 10_000);
      try {
        socket.send(JSON.stringify({ action: 'ping', seq, data: {} }));
      } catch {
        // the pong timer decides
      }
    }, this.opts.pingIntervalMs ?? 30_000);
  }

  /** Forgets the current socket (its late events are ignored) and closes it. */
  private dropSocket(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = undefined;
    this.clearHeartbeat();
    this.failPending();
    if (socket === undefined) return;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
    try {
      socket.close(code, reason);
    } catch {
      // already closing
    }
  }

  /** Rejects every action still waiting for its reply (the socket is gone), in words for people. */
  private failPending(): void {
    for (const [seq, p] of this.pending) {
      this.timers.clearTimeout(p.timer);
      p.reject(new Error(t('error.connectionLost')));
      this.pending.delete(seq);
    }
  }

  private clearHeartbeat(): void {
    this.timers.clearTimeout(this.pingTimer);
    this.timers.clearTimeout(this.pongTimer);
  }

  private clearTimers(): void {
    this.clearHeartbeat();
    this.timers.clearTimeout(this.retryTimer);
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.handlers.onState?.(state, { attempt: this.attempt });
  }
}
