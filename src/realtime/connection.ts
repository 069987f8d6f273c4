/**
 * One logical WebSocket connection: its id, its sequence numbers, the replay buffer used for
 * resume, and a bounded send queue. The logical connection outlives its socket: when the
 * socket drops, the connection turns `dormant` for the resume window and keeps collecting the
 * events addressed to it, so that a client reconnecting with `connection_id` +
 * `sequence_number` gets exactly what it missed.
 *
 * Numbering happens when a frame is written to the socket, not when it is queued: frames
 * dropped from the queue (backpressure, a membership removal) therefore never leave a hole in
 * the sequence. On resume, frames the client never saw (seq ≥ its next expected seq) are
 * re-checked against current membership and numbered again from that seq — the client has
 * never seen those numbers, so it cannot tell.
 *
 * Backpressure: a frame is written straight away while the socket's buffered bytes stay under
 * the high-water mark; above it frames wait in the queue and are written on the socket's
 * 'drain'. A full queue drops droppable frames (typing, presence) first; when only important
 * frames are left the caller is told (`overflow`) and cuts the client off (it can resume).
 */
import type { Duplex } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import type { Metrics } from '../observability/metrics.js';
import type { CallContext } from '../services/context.js';
import { encodeFrame, wirePrefix, type Frame } from './protocol.js';

export interface ConnectionLimits {
  /** Frames kept after sending, for resume. */
  readonly replayFrames: number;
  readonly replayBytes: number;
  /** Frames waiting for a slow or disconnected client. */
  readonly queueFrames: number;
  readonly queueBytes: number;
  /** Bytes buffered in the socket above which frames wait in the queue. */
  readonly socketHighWater: number;
}

/** What the owner (the hub) hears from a connection's socket. */
export interface ConnectionHooks {
  /** A client frame arrived. */
  onMessage(conn: Connection, data: RawData, isBinary: boolean): void;
  /** The socket closed without the server asking (client left, network died, frame too large). */
  onSocketClosed(conn: Connection, code: number): void;
}

export type DeliverResult = 'sent' | 'queued' | 'dropped' | 'overflow';

/** Who is behind the socket, as authenticated at the handshake (a resume brings a new one). */
export interface SessionInfo {
  readonly sessionId: string;
  /** Epoch ms when the token or the session expires, whichever is first. */
  readonly expiresAt: number;
  /** The caller as actions present it to the channel policy (roles as read at the handshake). */
  readonly caller: CallContext;
}

/**
 * Write coalescing. Each write to a socket is a system call, and on a chat server that is
 * most of the fan-out cost. Frames written to a socket during one turn of the event loop
 * (every request, commit and bus message handled in that turn: e.g. the `posted` events of
 * every post in one group-commit batch, or of several batches) are held by corking the
 * socket and go out together in one `writev` in the loop's check phase (`setImmediate`),
 * right after the I/O callbacks of the turn. An idle server therefore sends at once, and a
 * busy one sends more frames per system call. A frame never waits past the end of the turn
 * that produced it (or, if produced in the check phase itself, past the next poll).
 */
let corked: Duplex[] = [];

function uncorkAll(): void {
  const sockets = corked;
  corked = [];
  for (const socket of sockets) {
    try {
      socket.uncork();
    } catch {
      // A socket destroyed meanwhile has nothing left to flush.
    }
  }
}

function corkForThisTurn(socket: Duplex): void {
  // Corked by us this turn already (only this module corks the sockets it writes frames to).
  if (socket.writableCorked > 0) return;
  socket.cork();
  if (corked.length === 0) setImmediate(uncorkAll);
  corked.push(socket);
}

/** A fixed-size ring of sent frames with their seq, bounded by count and bytes. */
class ReplayRing {
  private readonly seqs: number[] = [];
  private readonly frames: Frame[] = [];
  private start = 0;
  private bytes = 0;

  constructor(private readonly maxFrames: number, private readonly maxBytes: number) {}

  get length(): number {
    return this.frames.length - this.start;
  }

  oldestSeq(): number | undefined {
    return this.length > 0 ? this.seqs[this.start] : undefined;
  }

  push(seq: number, frame: Frame): void {
    this.seqs.push(seq);
    this.frames.push(frame);
    this.bytes += frame.size;
    while (this.length > 0 && (this.length > this.maxFrames || this.bytes > this.maxBytes)) {
      this.bytes -= this.frames[this.start]!.size;
      this.start++;
    }
    // Compact now and then so the arrays do not grow without bound.
    if (this.start > 1024 && this.start * 2 > this.frames.length) {
      this.seqs.splice(0, this.start);
      this.frames.splice(0, this.start);
      this.start = 0;
    }
  }

  /** Removes and returns the frames with seq ≥ `from`, oldest first. */
  takeFrom(from: number): Frame[] {
    let i = this.start;
    while (i < this.frames.length && this.seqs[i]! < from) i++;
    const taken = this.frames.splice(i);
    this.seqs.splice(i);
    for (const f of taken) this.bytes -= f.size;
    return taken;
  }

  clear(): void {
    this.seqs.length = 0;
    this.frames.length = 0;
    this.start = 0;
    this.bytes = 0;
  }
}

export class Connection {
  state: 'live' | 'dormant' | 'closed' = 'dormant';
  /** Set when events addressed to a dormant connection had to be thrown away: it can no longer resume. */
  lost = false;
  /** Heartbeat: cleared when a ping goes out, set by the pong (or any client frame). */
  alive = true;
  dormantSince = 0;
  /** Waiting for the user's membership index before its hello. */
  awaitingHello = true;
  session: SessionInfo;
  private ws: WebSocket | undefined;
  private socket: Duplex | undefined;
  private highWater = 0;
  private nextSeq = 0;
  private readonly ring: ReplayRing;
  private queue: Frame[] = [];
  private queued = 0;
  private readonly listeners = {
    message: (data: RawData, isBinary: boolean): void => {
      this.alive = true;
      this.hooks.onMessage(this, data, isBinary);
    },
    close: (code: number): void => {
      if (this.state !== 'live') return;
      this.release();
      this.hooks.onSocketClosed(this, code);
    },
    pong: (): void => {
      this.alive = true;
    },
    drain: (): void => this.flush(),
  };

  constructor(
    public id: string,
    readonly userId: string,
    session: SessionInfo,
    private readonly limits: ConnectionLimits,
    private readonly hooks: ConnectionHooks,
    private readonly metrics: Metrics,
  ) {
    this.session = session;
    this.ring = new ReplayRing(limits.replayFrames, limits.replayBytes);
  }

  get isLive(): boolean {
    return this.state === 'live';
  }

  /** Bytes written to the socket but not yet sent. */
  get bufferedBytes(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  /** Frames waiting in the queue. */
  get queuedFrames(): number {
    return this.queue.length;
  }

  /** Binds a freshly upgraded socket. */
  attach(ws: WebSocket, socket: Duplex, session: SessionInfo): void {
    this.ws = ws;
    this.socket = socket;
    this.session = session;
    this.state = 'live';
    this.alive = true;
    // Above the socket's own high-water mark, so that a stop always ends with a 'drain'.
    this.highWater = Math.max(this.limits.socketHighWater, socket.writableHighWaterMark + 1);
    ws.on('message', this.listeners.message);
    ws.on('close', this.listeners.close);
    ws.on('pong', this.listeners.pong);
    socket.on('drain', this.listeners.drain);
    this.metrics.wsConnections.inc();
  }

  /** Unbinds the socket (after it closed, or before the server terminates it). */
  private release(): void {
    if (this.ws !== undefined) {
      this.ws.off('message', this.listeners.message);
      this.ws.off('close', this.listeners.close);
      this.ws.off('pong', this.listeners.pong);
    }
    this.socket?.off('drain', this.listeners.drain);
    if (this.state === 'live') this.metrics.wsConnections.dec();
    this.ws = undefined;
    this.socket = undefined;
    this.state = 'dormant';
    this.dormantSince = Date.now();
  }

  /** Drops the socket without a close frame (dead peer, slow consumer, takeover by a resume). The connection stays resumable. */
  dropSocket(): void {
    if (this.state !== 'live') return;
    const ws = this.ws!;
    this.release();
    ws.terminate();
  }

  /** Closes for good (session ended, shutdown): the connection cannot be resumed. Returns the socket being closed, if any. */
  close(code: number, reason: string): WebSocket | undefined {
    if (this.state === 'closed') return undefined;
    const ws = this.ws;
    if (this.state === 'live') this.release();
    this.state = 'closed';
    this.queue = [];
    this.queued = 0;
    this.ring.clear();
    if (ws !== undefined) {
      ws.close(code, reason);
      // A peer that never answers the close frame must not hold the socket.
      const timer = setTimeout(() => ws.terminate(), 2000);
      timer.unref();
      ws.once('close', () => clearTimeout(timer));
    }
    return ws;
  }

  /** Starts (again) at seq 0 with a hello. Used for new connections and for a forced resync (new id). */
  hello(id: string, serverVersion: string): void {
    this.id = id;
    this.nextSeq = 0;
    this.ring.clear();
    this.queue = [];
    this.queued = 0;
    this.lost = false;
    this.awaitingHello = false;
    const frame = encodeFrame('hello', { connection_id: id, server_version: serverVersion }, { user_id: this.userId });
    if (this.state === 'live') this.write(frame);
  }

  /** Offers an event frame; see the module comment for the backpressure rules. */
  deliver(frame: Frame): DeliverResult {
    if (this.state === 'closed' || this.lost || this.awaitingHello) return 'dropped';
    if (this.state === 'dormant') {
      if (frame.transient) {
        this.metrics.wsMessagesDropped.inc({ reason: 'disconnected' });
        return 'dropped';
      }
      return this.enqueue(frame);
    }
    if (this.queue.length === 0 && this.ws!.bufferedAmount < this.highWater) {
      this.write(frame);
      return 'sent';
    }
    const result = this.enqueue(frame);
    if (result === 'queued') this.flush();
    return result;
  }

  private enqueue(frame: Frame): DeliverResult {
    // A disconnected client gets twice the room: the frames that were waiting when it was cut off plus what happens until it resumes.
    const factor = this.state === 'live' ? 1 : 2;
    if (this.queue.length >= this.limits.queueFrames * factor || this.queued + frame.size > this.limits.queueBytes * factor) {
      if (frame.droppable) {
        this.metrics.wsMessagesDropped.inc({ reason: 'backpressure' });
        return 'dropped';
      }
      const victim = this.queue.findIndex((f) => f.droppable);
      if (victim < 0) return 'overflow';
      this.queued -= this.queue[victim]!.size;
      this.queue.splice(victim, 1);
      this.metrics.wsMessagesDropped.inc({ reason: 'backpressure' });
    }
    this.queue.push(frame);
    this.queued += frame.size;
    return 'queued';
  }

  /** Writes queued frames while the socket keeps up. */
  flush(): void {
    if (this.state !== 'live') return;
    const ws = this.ws!;
    let i = 0;
    while (i < this.queue.length && ws.bufferedAmount < this.highWater) {
      const frame = this.queue[i++]!;
      this.queued -= frame.size;
      this.write(frame);
    }
    if (i > 0) this.queue.splice(0, i);
  }

  /**
   * Numbers the frame, keeps it for resume and writes its WebSocket message straight to the
   * socket, in two consecutive writes that leave in the same writev: the per-seq prefix
   * (protocol.ts `wirePrefix`) and the frame's tail, shared by every recipient and never
   * copied. This bypasses ws's Sender safely because the Sender writes synchronously and keeps no state between messages here
   * (no permessage-deflate, no fragmentation, no Blobs), so frames and ws's own pings,
   * replies and close frames stay in the order they were written. A socket that ws is
   * closing gets nothing more (as `ws.send` would do); the frame stays in the ring.
   */
  private write(frame: Frame): void {
    const seq = this.nextSeq++;
    this.ring.push(seq, frame);
    const ws = this.ws!;
    if (ws.readyState !== ws.OPEN) return;
    const socket = this.socket!;
    corkForThisTurn(socket);
    socket.write(wirePrefix(frame, seq));
    socket.write(frame.tail);
    this.metrics.wsMessagesSent.inc();
  }

  /** Sends an action reply; dropped when the socket is backed up (the client is not reading). */
  reply(text: string): void {
    if (this.state !== 'live') return;
    const ws = this.ws!;
    if (ws.bufferedAmount >= this.highWater) {
      this.metrics.wsMessagesDropped.inc({ reason: 'reply_backpressure' });
      return;
    }
    ws.send(text);
    this.metrics.wsMessagesSent.inc();
  }

  /** Removes queued frames the user may no longer receive; returns how many. */
  purge(allowed: (frame: Frame) => boolean): number {
    const before = this.queue.length;
    this.queue = this.queue.filter((f) => {
      if (allowed(f)) return true;
      this.queued -= f.size;
      return false;
    });
    const removed = before - this.queue.length;
    if (removed > 0) this.metrics.wsMessagesDropped.inc({ reason: 'membership' }, removed);
    return removed;
  }

  /**
   * Prepares a resume from `next` (the client's next expected seq): true when everything the
   * client missed is still here. The missed frames, filtered by `allowed`, become the queue and
   * are numbered from `next` as they are written to the new socket.
   */
  resume(next: number, allowed: (frame: Frame) => boolean): boolean {
    if (this.state === 'closed' || this.lost || this.awaitingHello) return false;
    const oldest = this.ring.oldestSeq() ?? this.nextSeq;
    if (!Number.isSafeInteger(next) || next < oldest || next > this.nextSeq) return false;
    const missed = [...this.ring.takeFrom(next), ...this.queue];
    this.nextSeq = next;
    this.queue = [];
    this.queued = 0;
    for (const f of missed) {
      if (!allowed(f)) {
        this.metrics.wsMessagesDropped.inc({ reason: 'membership' });
        continue;
      }
      this.queue.push(f);
      this.queued += f.size;
    }
    return true;
  }

  /** Sends a WebSocket ping; a connection whose last ping got no pong is dropped (dead peer or not reading). */
  heartbeat(): boolean {
    if (this.state !== 'live') return true;
    if (!this.alive) return false;
    this.alive = false;
    this.ws!.ping();
    return true;
  }

  /** Stops reading the client's frames for `ms` (a flooding client is slowed down by TCP backpressure). */
  pauseReading(ms: number): void {
    const ws = this.ws;
    if (ws === undefined || ws.isPaused) return;
    ws.pause();
    const timer = setTimeout(() => ws.resume(), ms);
    timer.unref();
  }
}
