/**
 * The hub: this node's WebSocket connections and who receives what.
 *
 * Membership index. For every user with a connection here (live or dormant) the hub keeps the
 * ids of their channels and teams, loaded from the store when their first connection opens and
 * then kept current by the events themselves, in bus order:
 *   user_added (channel)          → subscribe first, so the added user gets their own user_added
 *   channel_created to one user   → (direct/group channels, which have no user_added) subscribe
 *   user_removed (channel)        → unsubscribe, drop queued frames of that channel, then deliver
 *                                   the user_removed (the removed user gets it too)
 *   team_member_added/removed     → (control messages) subscribe/unsubscribe the team
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
import { WS_CLOSE, type Broadcast, type ControlMessage, type EventMap, type RealtimeEvent } from '../domain/events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/store.js';
import { ActionHandler, TypingTracker, type MembershipView } from './actions.js';
import type { Bus, BusSubscriber } from './bus/bus.js';
import { Connection, type ConnectionLimits, type SessionInfo } from './connection.js';
import type { Presence } from './presence.js';
import { encodeFrame, encodeReply, type Frame } from './protocol.js';

/** Bus items parked per user while their index loads; beyond this the index is loaded again. */
const PENDING_MAX = 10_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface HubOptions {
  readonly store: Store;
  readonly bus: Bus;
  readonly presence: Presence;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly version: string;
  readonly limits: ConnectionLimits;
  /** How long a dropped connection stays resumable. */
  readonly resumeWindowMs: number;
  /** WebSocket ping period; a connection that misses one pong is dropped. */
  readonly heartbeatMs: number;
  readonly actionsPerSecond: number;
  /** status_change skips channels with more members online here than this. */
  readonly presenceFanoutLimit: number;
}

type Parked = { readonly kind: 'event'; readonly event: RealtimeEvent } | { readonly kind: 'control'; readonly message: ControlMessage };

interface UserEntry {
  readonly userId: string;
  readonly channels: Set<string>;
  readonly teams: Set<string>;
  readonly conns: Set<Connection>;
  ready: boolean;
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

export class Hub implements BusSubscriber, MembershipView {
  private readonly users = new Map<string, UserEntry>();
  private readonly byChannel = new Map<string, Set<UserEntry>>();
  private readonly byTeam = new Map<string, Set<UserEntry>>();
  private readonly loading = new Set<UserEntry>();
  private readonly connections = new Map<string, Connection>();
  private readonly bySession = new Map<string, Set<Connection>>();
  private readonly expiry = new Map<Connection, NodeJS.Timeout>();
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
    this.typing = new TypingTracker(options.bus);
    this.actions = new ActionHandler({
      membership: this,
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
      for (const entry of this.loading) this.park(entry, { kind: 'event', event });
      this.applyEvent(event, undefined);
    } catch (err) {
      this.options.logger.error({ err, event: event.event }, 'websocket: event delivery failed');
    }
  }

  onControl(message: ControlMessage): void {
    if (this.closing) return;
    try {
      if (message.kind === 'team_member_added' || message.kind === 'team_member_removed') {
        for (const entry of this.loading) this.park(entry, { kind: 'control', message });
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
    for (const entry of [...this.users.values()]) {
      for (const conn of [...entry.conns]) {
        if (conn.isLive) {
          conn.awaitingHello = true;
          live++;
        } else {
          this.forget(conn);
        }
      }
      if (!this.users.has(entry.userId)) continue;
      this.unindex(entry);
      entry.ready = false;
      entry.pending = [];
      this.loading.add(entry);
      void this.load(entry);
    }
    this.options.logger.info({ connections: live }, 'websocket: resync, clients get a new hello');
  }

  // ---- connections ----

  /**
   * Drops the socket of a live connection that the same user is about to resume (their old
   * socket is usually dead without the server knowing yet). Returns true when it did.
   */
  takeOver(connectionId: string, userId: string): boolean {
    const conn = this.connections.get(connectionId);
    if (conn === undefined || conn.userId !== userId || !conn.isLive) return false;
    this.options.metrics.wsDisconnects.inc({ reason: 'replaced' });
    this.dropSocket(conn);
    return true;
  }

  /** Registers an upgraded socket: resumes `resume.connectionId` when possible, else a new connection with a hello. */
  open(p: OpenParams): { connection: Connection; resumed: boolean } {
    let entry = this.users.get(p.userId);
    if (entry === undefined) entry = this.newEntry(p.userId);
    if (p.resume !== undefined) {
      const old = this.connections.get(p.resume.connectionId);
      // Another user's connection id is treated as unknown: never attached, never disturbed.
      if (old !== undefined && old.userId === p.userId && old.state !== 'closed') {
        if (old.isLive) this.dropSocket(old);
        const e = entry;
        if (e.ready && old.resume(p.resume.sequenceNumber, (f) => this.allowed(e, f))) {
          this.moveSession(old, p.session);
          old.attach(p.ws, p.socket, p.session);
          this.armExpiry(old);
          old.flush();
          this.options.metrics.wsResumes.inc({ outcome: 'replayed' });
          return { connection: old, resumed: true };
        }
        this.forget(old);
      }
      this.options.metrics.wsResumes.inc({ outcome: 'new_hello' });
    }
    const conn = new Connection(randomUUID(), p.userId, p.session, this.options.limits, this.hooks, this.options.metrics);
    this.connections.set(conn.id, conn);
    entry.conns.add(conn);
    this.moveSession(conn, p.session);
    conn.attach(p.ws, p.socket, p.session);
    this.armExpiry(conn);
    if (entry.ready) this.sayHello(conn);
    return { connection: conn, resumed: false };
  }

  /** MembershipView: the index answers typing permission checks. */
  isMember(userId: string, channelId: string): boolean {
    const e = this.users.get(userId);
    return e !== undefined && e.ready && e.channels.has(channelId);
  }

  /** The user's teams when this node has them loaded. */
  teamsOf(userId: string): string[] | undefined {
    const e = this.users.get(userId);
    return e?.ready ? [...e.teams] : undefined;
  }

  /** The user's channels when this node has them loaded. */
  channelsOf(userId: string): string[] | undefined {
    const e = this.users.get(userId);
    return e?.ready ? [...e.channels] : undefined;
  }

  /** The state of a connection by id (tests and diagnostics). */
  connectionState(connectionId: string): 'live' | 'dormant' | undefined {
    return this.inspect(connectionId)?.state;
  }

  /** State, queued frames and unsent socket bytes of a connection (tests and diagnostics). */
  inspect(connectionId: string): { state: 'live' | 'dormant'; queued: number; buffered: number } | undefined {
    const c = this.connections.get(connectionId);
    if (c === undefined || c.state === 'closed') return undefined;
    return { state: c.state, queued: c.queuedFrames, buffered: c.bufferedBytes };
  }

  /** Counts for tests and metrics. */
  stats(): { live: number; dormant: number; users: number } {
    let live = 0;
    let dormant = 0;
    for (const c of this.connections.values()) {
      if (c.isLive) live++;
      else if (c.state === 'dormant') dormant++;
    }
    return { live, dormant, users: this.users.size };
  }

  /** Graceful shutdown: every socket gets 1001, stragglers are terminated. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearInterval(t);
    this.typing.close();
    const waits: Promise<void>[] = [];
    for (const conn of [...this.connections.values()]) {
      const ws = this.closeConnection(conn, WS_CLOSE.GOING_AWAY, 'server shutting down', 'shutdown');
      if (ws !== undefined) waits.push(waitClosed(ws, 1500));
    }
    await Promise.all(waits);
  }

  // ---- internals ----

  private newEntry(userId: string): UserEntry {
    const entry: UserEntry = { userId, channels: new Set(), teams: new Set(), conns: new Set(), ready: false, pending: [], stale: false };
    this.users.set(userId, entry);
    this.loading.add(entry);
    void this.load(entry);
    return entry;
  }

  private park(entry: UserEntry, item: Parked): void {
    if (entry.pending.length >= PENDING_MAX) {
      entry.stale = true;
      entry.pending = [];
      return;
    }
    entry.pending.push(item);
  }

  private async load(entry: UserEntry): Promise<void> {
    let channels: string[] = [];
    let teams: string[] = [];
    do {
      entry.stale = false;
      try {
        [channels, teams] = await Promise.all([this.options.store.channels.channelIdsForUser(entry.userId), this.options.store.teams.teamIdsForUser(entry.userId)]);
      } catch (err) {
        this.options.logger.error({ err, user_id: entry.userId }, 'websocket: could not load memberships');
        if (this.users.get(entry.userId) === entry) {
          for (const conn of [...entry.conns]) this.closeConnection(conn, WS_CLOSE.INTERNAL_ERROR, 'try again later', 'load_failed');
          this.dropEntry(entry);
        }
        return;
      }
      if (this.users.get(entry.userId) !== entry || this.closing) return;
    } while (entry.stale);
    for (const c of channels) this.subscribeChannel(entry, c);
    for (const t of teams) this.subscribeTeam(entry, t);
    entry.ready = true;
    this.loading.delete(entry);
    for (const conn of [...entry.conns]) {
      if (!conn.awaitingHello) continue;
      if (conn.isLive) this.sayHello(conn);
      else this.forget(conn);
    }
    const parked = entry.pending;
    entry.pending = [];
    for (const item of parked) {
      if (item.kind === 'event') this.applyEvent(item.event, entry);
      else this.applyControl(item.message, entry);
    }
    if (entry.conns.size === 0) this.dropEntry(entry);
  }

  /** Gives the connection a new id and a hello at seq 0. */
  private sayHello(conn: Connection): void {
    if (this.connections.get(conn.id) === conn) this.connections.delete(conn.id);
    const id = randomUUID();
    this.connections.set(id, conn);
    conn.hello(id, this.options.version);
  }

  private readyEntry(userId: string, only: UserEntry | undefined): UserEntry | undefined {
    const e = this.users.get(userId);
    if (e === undefined || !e.ready || (only !== undefined && only !== e)) return undefined;
    return e;
  }

  private applyEvent(ev: RealtimeEvent, only: UserEntry | undefined): void {
    const b = ev.broadcast;
    let removed: UserEntry | undefined;
    switch (ev.event) {
      case 'user_added': {
        const d = ev.data as EventMap['user_added'];
        const e = this.readyEntry(d.user_id, only);
        if (e !== undefined) this.subscribeChannel(e, d.channel_id);
        break;
      }
      case 'channel_created': {
        // Direct and group channels announce their members one by one, with no user_added.
        const c = (ev.data as EventMap['channel_created']).channel;
        if (b.user_id !== undefined && (c.type === 'direct' || c.type === 'group')) {
          const e = this.readyEntry(b.user_id, only);
          if (e !== undefined) this.subscribeChannel(e, c.id);
        }
        break;
      }
      case 'user_removed': {
        const d = ev.data as EventMap['user_removed'];
        const e = this.readyEntry(d.user_id, only);
        if (e !== undefined && e.channels.has(d.channel_id)) {
          this.unsubscribeChannel(e, d.channel_id);
          this.purge(e);
          removed = e;
        }
        break;
      }
      case 'posted': {
        const post = (ev.data as EventMap['posted']).post;
        if (only === undefined) this.typing.posted(post.user_id, post.channel_id, post.root_post_id);
        break;
      }
      default:
        break;
    }
    const recipients = only !== undefined ? (matches(only, b) ? new Set([only]) : new Set<UserEntry>()) : this.recipients(b);
    if (removed !== undefined && b.omit_user_id !== removed.userId) recipients.add(removed);
    if (recipients.size === 0) return;
    const frame = encodeFrame(ev.event, ev.data, b);
    for (const entry of recipients) {
      for (const conn of entry.conns) {
        if (conn.awaitingHello) continue;
        if (conn.deliver(frame) === 'overflow') this.overflow(conn, frame);
      }
    }
  }

  private applyControl(message: ControlMessage, only: UserEntry | undefined): void {
    switch (message.kind) {
      case 'session_revoked':
        if (only !== undefined) return;
        for (const sid of message.sessionIds) {
          for (const conn of [...(this.bySession.get(sid) ?? [])]) this.closeConnection(conn, WS_CLOSE.SESSION_ENDED, 'session ended', 'session_ended');
        }
        return;
      case 'user_deactivated': {
        if (only !== undefined) return;
        const e = this.users.get(message.userId);
        if (e !== undefined) for (const conn of [...e.conns]) this.closeConnection(conn, WS_CLOSE.SESSION_ENDED, 'account deactivated', 'deactivated');
        return;
      }
      case 'team_member_added': {
        const e = this.readyEntry(message.userId, only);
        if (e !== undefined) this.subscribeTeam(e, message.teamId);
        return;
      }
      case 'team_member_removed': {
        const e = this.readyEntry(message.userId, only);
        if (e !== undefined) {
          this.unsubscribeTeam(e, message.teamId);
          this.purge(e);
        }
        return;
      }
    }
  }

  private recipients(b: Broadcast): Set<UserEntry> {
    const out = new Set<UserEntry>();
    const addAll = (set: Set<UserEntry> | undefined): void => {
      if (set !== undefined) for (const e of set) out.add(e);
    };
    if (b.user_id !== undefined) {
      const e = this.users.get(b.user_id);
      if (e?.ready) out.add(e);
    }
    if (b.channel_id !== undefined) addAll(this.byChannel.get(b.channel_id));
    if (b.team_id !== undefined) addAll(this.byTeam.get(b.team_id));
    for (const t of b.team_ids ?? []) addAll(this.byTeam.get(t));
    // Presence goes to co-members, but not through channels with more people online than the
    // fan-out limit: there, one change times everyone is the O(n²) that sinks a big server,
    // and clients load presence on demand (POST /users/status/ids) when they show such lists.
    for (const c of b.channel_ids ?? []) {
      const set = this.byChannel.get(c);
      if (set !== undefined && set.size <= this.options.presenceFanoutLimit) addAll(set);
    }
    if (b.omit_user_id !== undefined) {
      const e = this.users.get(b.omit_user_id);
      if (e !== undefined) out.delete(e);
    }
    return out;
  }

  /** Whether a queued or buffered frame may still go to this user, by current membership. */
  private allowed(entry: UserEntry, frame: Frame): boolean {
    if (frame.event === 'hello' || frame.userId === entry.userId) return true;
    if (frame.channelId !== undefined) {
      return entry.channels.has(frame.channelId) || (frame.event === 'user_removed' && frame.subjectUserId === entry.userId);
    }
    if (frame.teamIds.length > 0) return frame.teamIds.some((t) => entry.teams.has(t));
    if (frame.channelIds.length > 0) return frame.channelIds.some((c) => entry.channels.has(c));
    return true;
  }

  private purge(entry: UserEntry): void {
    for (const conn of entry.conns) conn.purge((f) => this.allowed(entry, f));
  }

  private subscribeChannel(entry: UserEntry, channelId: string): void {
    entry.channels.add(channelId);
    let set = this.byChannel.get(channelId);
    if (set === undefined) this.byChannel.set(channelId, (set = new Set()));
    set.add(entry);
  }

  private unsubscribeChannel(entry: UserEntry, channelId: string): void {
    entry.channels.delete(channelId);
    const set = this.byChannel.get(channelId);
    if (set === undefined) return;
    set.delete(entry);
    if (set.size === 0) this.byChannel.delete(channelId);
  }

  private subscribeTeam(entry: UserEntry, teamId: string): void {
    entry.teams.add(teamId);
    let set = this.byTeam.get(teamId);
    if (set === undefined) this.byTeam.set(teamId, (set = new Set()));
    set.add(entry);
  }

  private unsubscribeTeam(entry: UserEntry, teamId: string): void {
    entry.teams.delete(teamId);
    const set = this.byTeam.get(teamId);
    if (set === undefined) return;
    set.delete(entry);
    if (set.size === 0) this.byTeam.delete(teamId);
  }

  private unindex(entry: UserEntry): void {
    for (const c of [...entry.channels]) this.unsubscribeChannel(entry, c);
    for (const t of [...entry.teams]) this.unsubscribeTeam(entry, t);
  }

  private dropEntry(entry: UserEntry): void {
    this.unindex(entry);
    this.loading.delete(entry);
    if (this.users.get(entry.userId) === entry) this.users.delete(entry.userId);
  }

  private moveSession(conn: Connection, session: SessionInfo): void {
    const old = this.bySession.get(conn.session.sessionId);
    if (old !== undefined) {
      old.delete(conn);
      if (old.size === 0) this.bySession.delete(conn.session.sessionId);
    }
    conn.session = session;
    let set = this.bySession.get(session.sessionId);
    if (set === undefined) this.bySession.set(session.sessionId, (set = new Set()));
    set.add(conn);
  }

  /** Closes the connection when its token or session expires. */
  private armExpiry(conn: Connection): void {
    const previous = this.expiry.get(conn);
    if (previous !== undefined) clearTimeout(previous);
    const delay = conn.session.expiresAt - Date.now();
    const timer = setTimeout(() => {
      this.expiry.delete(conn);
      if (Date.now() >= conn.session.expiresAt) this.closeConnection(conn, WS_CLOSE.SESSION_ENDED, 'session expired', 'expired');
      else this.armExpiry(conn);
    }, Math.min(Math.max(delay, 0), MAX_TIMER_MS));
    timer.unref();
    this.expiry.set(conn, timer);
  }

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
    if (this.connections.get(conn.id) === conn) this.connections.delete(conn.id);
    const sessions = this.bySession.get(conn.session.sessionId);
    if (sessions !== undefined) {
      sessions.delete(conn);
      if (sessions.size === 0) this.bySession.delete(conn.session.sessionId);
    }
    const timer = this.expiry.get(conn);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.expiry.delete(conn);
    }
    const entry = this.users.get(conn.userId);
    if (entry !== undefined) {
      entry.conns.delete(conn);
      if (entry.conns.size === 0 && entry.ready) this.dropEntry(entry);
    }
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
    for (const conn of [...this.connections.values()]) {
      if (conn.isLive && !conn.heartbeat()) {
        this.options.metrics.wsDisconnects.inc({ reason: 'heartbeat' });
        this.dropSocket(conn);
      }
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.resumeWindowMs;
    for (const conn of [...this.connections.values()]) {
      if (conn.state === 'dormant' && conn.dormantSince < cutoff) this.forget(conn);
    }
  }
}

function matches(entry: UserEntry, b: Broadcast): boolean {
  if (b.omit_user_id === entry.userId) return false;
  if (b.user_id === entry.userId) return true;
  if (b.channel_id !== undefined && entry.channels.has(b.channel_id)) return true;
  if (b.team_id !== undefined && entry.teams.has(b.team_id)) return true;
  if ((b.channel_ids ?? []).some((c) => entry.channels.has(c))) return true;
  return (b.team_ids ?? []).some((t) => entry.teams.has(t));
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
