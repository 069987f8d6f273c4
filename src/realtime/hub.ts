/**
 * The hub routes: bus items in, frames out. It owns no index of its own: connections live in
 * the registry (registry.ts), memberships in the index (membership-index.ts), and who receives
 * an event is answered by audience.ts. What the hub adds is the order in which those change.
 *
 * Keeping the index current. For every user with a connection here (live or dormant) the index
 * holds the ids of their channels and teams, loaded from the store when their first connection
 * opens and then kept current by the events themselves, in bus order:
 *   user_added (channel)          → subscribe first, so the added user gets their own user_added
 *   channel_created to one user   → (direct/group channels, which have no user_added) subscribe
 *   user_removed (channel)        → unsubscribe, drop queued frames of that channel, then deliver
 *                                   the user_removed (the removed user gets it too)
 *   team_member_added/removed     → (control messages) subscribe/unsubscribe the team
 *   channel_deleted               → nothing: members keep reading an archived channel (the channel
 *                                   policy's `read`); what they may do there (typing) is asked of
 *                                   the policy per action (actions.ts), never of this index
 * so a removal takes effect at once, including for frames already queued, and a replay after a
 * resume is filtered against the same index.
 *
 * Loading race. While a user's index loads, every bus item is parked in the user's `pending`
 * list; when the load finishes the user's waiting connections get their hello and the parked
 * items are applied in order (membership changes are idempotent, so it does not matter whether
 * the query saw them).
 *
 * Delivery. An event is serialised once (protocol.ts) and offered to each recipient connection;
 * connection.ts handles numbering, backpressure and the replay ring. A connection whose queue
 * overflows with important frames is cut off (it can resume); one that falls too far behind even
 * while disconnected is forgotten (a later resume gets a new hello).
 *
 * Resync. When the bus reports a gap (Redis outage) every index is reloaded and every live
 * connection gets a new hello with a new connection_id (the documented "refetch" signal);
 * dormant connections are forgotten.
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { WS_CLOSE, type ControlMessage, type RealtimeEvent } from '../domain/events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/store.js';
import { ActionHandler, TypingTracker, type ChannelGate } from './actions.js';
import { targetOf } from './audience.js';
import type { Bus, BusSubscriber } from './bus/bus.js';
import { Connection, type ConnectionLimits, type SessionInfo } from './connection.js';
import { MembershipIndex } from './membership-index.js';
import type { Presence } from './presence.js';
import { encodeFrame, encodeReply, type Frame } from './protocol.js';
import { ConnectionRegistry } from './registry.js';

/** Bus items parked per user while their index loads; beyond this the index is loaded again. */
const PENDING_MAX = 10_000;

export interface HubOptions {
  readonly store: Store;
  readonly bus: Bus;
  readonly presence: Presence;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly version: string;
  readonly limits: ConnectionLimits;
  /** Answers WebSocket actions on a channel through the channel policy (services/access.ts). */
  readonly access: ChannelGate;
  /** How long a dropped connection stays resumable. */
  readonly resumeWindowMs: number;
  /** WebSocket ping period; a connection that misses one pong is dropped. */
  readonly heartbeatMs: number;
  readonly actionsPerSecond: number;
  /** status_change skips channels with more members online here than this. */
  readonly presenceFanoutLimit: number;
  /** Called with the connection id each hello gives out (a worker tells its primary where resumes go). */
  readonly onHello?: (connectionId: string) => void;
}

type Parked = { readonly kind: 'event'; readonly event: RealtimeEvent } | { readonly kind: 'control'; readonly message: ControlMessage };

/** A user whose memberships are being loaded; bus items meanwhile wait in `pending`. */
interface Loading {
  readonly userId: string;
  pending: Parked[];
  /** `pending` overflowed during the load: load again. */
  stale: boolean;
}

export interface OpenParams {
  readonly ws: WebSocket;
  readonly socket: Duplex;
  readonly userId: string;
  readonly session: SessionInfo;
  readonly resume: { readonly connectionId: string; readonly sequenceNumber: number } | undefined;
}

export class Hub implements BusSubscriber {
  private readonly index: MembershipIndex;
  private readonly registry: ConnectionRegistry;
  private readonly loading = new Map<string, Loading>();
  private readonly typing: TypingTracker;
  private readonly actions: ActionHandler;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private closing = false;
  private readonly hooks = {
    onMessage: (conn: Connection, data: RawData, isBinary: boolean): void => this.onMessage(conn, data, isBinary),
    onSocketClosed: (conn: Connection): void => this.socketGone(conn),
  };

  constructor(private readonly options: HubOptions) {
    this.index = new MembershipIndex(options.presenceFanoutLimit);
    this.registry = new ConnectionRegistry((conn) => this.closeConnection(conn, WS_CLOSE.SESSION_ENDED, 'session expired', 'expired'));
    this.typing = new TypingTracker(options.bus);
    this.actions = new ActionHandler({
      access: options.access,
      status: options.presence,
      typing: this.typing,
      logger: options.logger,
      version: options.version,
      perSecond: options.actionsPerSecond,
    });
  }

  /** Subscribes to the bus and starts the heartbeat and the sweep of expired dormant connections. */
  start(): void {
    this.unsubscribe = this.options.bus.subscribe(this);
    const beat = setInterval(() => this.heartbeat(), this.options.heartbeatMs);
    const sweep = setInterval(() => this.sweep(), Math.max(250, Math.min(5000, Math.floor(this.options.resumeWindowMs / 4))));
    beat.unref();
    sweep.unref();
    this.timers.push(beat, sweep);
  }

  // ---- bus ----

  onEvent(event: RealtimeEvent): void {
    if (this.closing) return;
    try {
      for (const l of this.loading.values()) this.park(l, { kind: 'event', event });
      this.applyEvent(event, undefined);
    } catch (err) {
      this.options.logger.error({ err, event: event.event }, 'websocket: event delivery failed');
    }
  }

  onControl(message: ControlMessage): void {
    if (this.closing) return;
    try {
      if (message.kind === 'team_member_added' || message.kind === 'team_member_removed') {
        for (const l of this.loading.values()) this.park(l, { kind: 'control', message });
      }
      this.applyControl(message, undefined);
    } catch (err) {
      this.options.logger.error({ err, kind: message.kind }, 'websocket: control message failed');
    }
  }

  /** Messages may have been lost: reload every index and give every live client a new hello. */
  onResync(): void {
    if (this.closing) return;
    let live = 0;
    for (const userId of this.registry.users()) {
      for (const conn of [...this.registry.ofUser(userId)]) {
        if (conn.isLive) {
          conn.awaitingHello = true;
          live++;
        } else {
          this.forget(conn);
        }
      }
      if (this.registry.ofUser(userId).size === 0) continue;
      this.index.delete(userId);
      this.startLoad(userId);
    }
    this.options.logger.info({ connections: live }, 'websocket: resync, clients get a new hello');
  }

  // ---- connections ----

  /**
   * Drops the socket of a live connection that the same user is about to resume (their old
   * socket is usually dead without the server knowing yet). Returns true when it did.
   */
  takeOver(connectionId: string, userId: string): boolean {
    const conn = this.registry.get(connectionId);
    if (conn === undefined || conn.userId !== userId || !conn.isLive) return false;
    this.options.metrics.wsDisconnects.inc({ reason: 'replaced' });
    this.dropSocket(conn);
    return true;
  }

  /** Registers an upgraded socket: resumes `resume.connectionId` when possible, else a new connection with a hello. */
  open(p: OpenParams): { connection: Connection; resumed: boolean } {
    if (p.resume !== undefined) {
      const old = this.registry.get(p.resume.connectionId);
      // Another user's connection id is treated as unknown: never attached, never disturbed.
      if (old !== undefined && old.userId === p.userId && old.state !== 'closed') {
        if (old.isLive) this.dropSocket(old);
        if (this.index.has(p.userId) && old.resume(p.resume.sequenceNumber, (f) => this.allowed(p.userId, f))) {
          this.registry.setSession(old, p.session);
          old.attach(p.ws, p.socket, p.session);
          old.flush();
          this.options.metrics.wsResumes.inc({ outcome: 'replayed' });
          return { connection: old, resumed: true };
        }
        this.forget(old);
      }
      this.options.metrics.wsResumes.inc({ outcome: 'new_hello' });
    }
    // After the resume attempt: forgetting the old connection may have dropped the user's index.
    if (!this.index.has(p.userId) && !this.loading.has(p.userId)) this.startLoad(p.userId);
    const conn = new Connection(randomUUID(), p.userId, p.session, this.options.limits, this.hooks, this.options.metrics);
    this.registry.add(conn);
    conn.attach(p.ws, p.socket, p.session);
    if (this.index.has(p.userId)) this.sayHello(conn);
    return { connection: conn, resumed: false };
  }

  /** The user's teams when this node has them loaded. */
  teamsOf(userId: string): string[] | undefined {
    return this.index.teamsOf(userId);
  }

  /** The user's channels when this node has them loaded. */
  channelsOf(userId: string): string[] | undefined {
    return this.index.channelsOf(userId);
  }

  /** The state of a connection by id (tests and diagnostics). */
  connectionState(connectionId: string): 'live' | 'dormant' | undefined {
    return this.inspect(connectionId)?.state;
  }

  /** State, queued frames and unsent socket bytes of a connection (tests and diagnostics). */
  inspect(connectionId: string): { state: 'live' | 'dormant'; queued: number; buffered: number } | undefined {
    const c = this.registry.get(connectionId);
    if (c === undefined || c.state === 'closed') return undefined;
    return { state: c.state, queued: c.queuedFrames, buffered: c.bufferedBytes };
  }

  /** Counts for tests and metrics. */
  stats(): { live: number; dormant: number; users: number } {
    return this.registry.stats();
  }

  /** Graceful shutdown: every socket gets 1001, stragglers are terminated. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearInterval(t);
    this.typing.close();
    const waits: Promise<void>[] = [];
    for (const conn of this.registry.all()) {
      const ws = this.closeConnection(conn, WS_CLOSE.GOING_AWAY, 'server shutting down', 'shutdown');
      if (ws !== undefined) waits.push(waitClosed(ws, 1500));
    }
    await Promise.all(waits);
  }

  // ---- loading ----

  private startLoad(userId: string): void {
    const l: Loading = { userId, pending: [], stale: false };
    this.loading.set(userId, l);
    void this.load(l);
  }

  private park(l: Loading, item: Parked): void {
    if (l.pending.length >= PENDING_MAX) {
      l.stale = true;
      l.pending = [];
      return;
    }
    l.pending.push(item);
  }

  private async load(l: Loading): Promise<void> {
    const { userId } = l;
    let channels: string[] = [];
    let teams: string[] = [];
    do {
      l.stale = false;
      try {
        [channels, teams] = await Promise.all([this.options.store.channels.channelIdsForUser(userId), this.options.store.teams.teamIdsForUser(userId)]);
      } catch (err) {
        this.options.logger.error({ err, user_id: userId }, 'websocket: could not load memberships');
        if (this.loading.get(userId) === l) {
          this.loading.delete(userId);
          for (const conn of [...this.registry.ofUser(userId)]) this.closeConnection(conn, WS_CLOSE.INTERNAL_ERROR, 'try again later', 'load_failed');
        }
        return;
      }
      if (this.loading.get(userId) !== l || this.closing) return;
    } while (l.stale);
    this.loading.delete(userId);
    this.index.set(userId, channels, teams);
    for (const conn of [...this.registry.ofUser(userId)]) {
      if (!conn.awaitingHello) continue;
      if (conn.isLive) this.sayHello(conn);
      else this.forget(conn);
    }
    for (const item of l.pending) {
      if (item.kind === 'event') this.applyEvent(item.event, userId);
      else this.applyControl(item.message, userId);
    }
    if (this.registry.ofUser(userId).size === 0) this.index.delete(userId);
  }

  /** Gives the connection a new id and a hello at seq 0. */
  private sayHello(conn: Connection): void {
    const id = randomUUID();
    this.registry.rekey(conn, id);
    conn.hello(id, this.options.version);
    this.options.logger.debug({ user_id: conn.userId, connection_id: id }, 'websocket hello');
    this.options.onHello?.(id);
  }

  // ---- routing ----

  /** Whether membership changes for `userId` apply now: indexed here, and (for a parked replay) the one user being replayed. */
  private applies(userId: string, only: string | undefined): boolean {
    return (only === undefined || only === userId) && this.index.has(userId);
  }

  /** Applies an event to the index, then delivers it; `only` limits both to one user (parked items after their load). */
  private applyEvent(ev: RealtimeEvent, only: string | undefined): void {
    let removed: string | undefined;
    switch (ev.event) {
      case 'user_added':
        if (this.applies(ev.data.user_id, only)) this.index.addChannel(ev.data.user_id, ev.data.channel_id);
        break;
      case 'channel_created': {
        // Direct and group channels announce their members one by one, with no user_added.
        const { channel } = ev.data;
        const to = ev.broadcast.user_id;
        if (to !== undefined && (channel.type === 'direct' || channel.type === 'group') && this.applies(to, only)) this.index.addChannel(to, channel.id);
        break;
      }
      case 'user_removed':
        removed = ev.data.user_id;
        if (this.applies(removed, only) && this.index.removeChannel(removed, ev.data.channel_id)) this.purge(removed);
        break;
      case 'posted':
        if (only === undefined) this.typing.posted(ev.data.post.user_id, ev.data.post.channel_id, ev.data.post.root_post_id);
        break;
      default:
        break;
    }
    const target = targetOf(ev.broadcast, removed);
    const recipients = only !== undefined ? (this.index.receives(only, target) ? [only] : []) : this.index.audience(target);
    let frame: Frame | undefined;
    for (const userId of recipients) {
      for (const conn of this.registry.ofUser(userId)) {
        if (conn.awaitingHello) continue;
        frame ??= encodeFrame(ev.event, ev.data, ev.broadcast, target);
        if (conn.deliver(frame) === 'overflow') this.overflow(conn, frame);
      }
    }
  }

  private applyControl(message: ControlMessage, only: string | undefined): void {
    switch (message.kind) {
      case 'session_revoked':
        if (only !== undefined) return;
        for (const sid of message.sessionIds) {
          for (const conn of [...this.registry.ofSession(sid)]) this.closeConnection(conn, WS_CLOSE.SESSION_ENDED, 'session ended', 'session_ended');
        }
        return;
      case 'user_deactivated':
        if (only !== undefined) return;
        for (const conn of [...this.registry.ofUser(message.userId)]) this.closeConnection(conn, WS_CLOSE.SESSION_ENDED, 'account deactivated', 'deactivated');
        return;
      case 'team_member_added':
        if (this.applies(message.userId, only)) this.index.addTeam(message.userId, message.teamId);
        return;
      case 'team_member_removed':
        if (this.applies(message.userId, only) && this.index.removeTeam(message.userId, message.teamId)) this.purge(message.userId);
        return;
      case 'outgoing_webhooks_changed':
        return;
    }
  }

  /** Whether a queued or buffered frame may still go to this user, by current membership. */
  private allowed(userId: string, frame: Frame): boolean {
    return frame.event === 'hello' || this.index.receives(userId, frame.target);
  }

  /** Drops queued frames the user may no longer receive (after a removal). */
  private purge(userId: string): void {
    for (const conn of this.registry.ofUser(userId)) conn.purge((f) => this.allowed(userId, f));
  }

  // ---- connection life cycle ----

  /** The live socket of `conn` is gone (closed by the peer or dropped by us): the connection becomes resumable. */
  private socketGone(conn: Connection): void {
    this.options.logger.debug({ user_id: conn.userId, connection_id: conn.id }, 'websocket dropped; resumable for the resume window');
    this.options.presence.release(conn.userId);
    if (conn.awaitingHello) this.forget(conn);
  }

  private dropSocket(conn: Connection): void {
    if (!conn.isLive) return;
    conn.dropSocket();
    this.socketGone(conn);
  }

  private overflow(conn: Connection, frame: Frame): void {
    if (conn.isLive) {
      this.options.metrics.wsDisconnects.inc({ reason: 'slow_consumer' });
      this.options.logger.info({ user_id: conn.userId, connection_id: conn.id }, 'websocket: client too far behind; disconnected (it may resume)');
      this.dropSocket(conn);
      if (conn.deliver(frame) !== 'overflow') return;
    }
    // Too far behind even while disconnected: it cannot resume any more.
    this.options.metrics.wsMessagesDropped.inc({ reason: 'disconnected_overflow' });
    this.forget(conn);
  }

  /** Closes for good; returns the socket when there was one (to wait for its close). */
  private closeConnection(conn: Connection, code: number, reason: string, metric: string): WebSocket | undefined {
    const wasLive = conn.isLive;
    const ws = conn.close(code, reason);
    if (wasLive) {
      this.options.metrics.wsDisconnects.inc({ reason: metric });
      this.options.presence.release(conn.userId);
      this.options.logger.info({ user_id: conn.userId, connection_id: conn.id, code, reason: metric }, 'websocket closed by the server');
    }
    this.forget(conn);
    return ws;
  }

  private forget(conn: Connection): void {
    if (conn.state !== 'closed') conn.close(WS_CLOSE.GOING_AWAY, 'forgotten');
    // The index of a user still loading is dropped when the load ends and finds no connection.
    if (this.registry.remove(conn)) this.index.delete(conn.userId);
  }

  private onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      conn.reply(encodeReply({ status: 'FAIL', seq_reply: 0, error: { code: 'BAD_REQUEST', message: 'Binary frames are not supported; send JSON text' } }));
      return;
    }
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    this.actions.handle(conn, text);
  }

  private heartbeat(): void {
    for (const conn of this.registry.all()) {
      if (conn.isLive && !conn.heartbeat()) {
        this.options.metrics.wsDisconnects.inc({ reason: 'heartbeat' });
        this.dropSocket(conn);
      }
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.resumeWindowMs;
    for (const conn of this.registry.all()) {
      if (conn.state === 'dormant' && conn.dormantSince < cutoff) this.forget(conn);
    }
  }
}

function waitClosed(ws: WebSocket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      ws.terminate();
      resolve();
    }, ms);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
