/**
 * The connection registry: this node's logical connections (live and dormant) by connection
 * id, by user and by session, and the timer that ends each one when its token or session
 * expires. It decides nothing about delivery (membership-index.ts, audience.ts) and does not
 * talk to the bus (hub.ts).
 */
import type { Connection, SessionInfo } from './connection.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

export class ConnectionRegistry {
  private readonly byId = new Map<string, Connection>();
  private readonly byUser = new Map<string, Set<Connection>>();
  private readonly bySession = new Map<string, Set<Connection>>();
  private readonly expiry = new Map<Connection, NodeJS.Timeout>();
  private static readonly NONE: ReadonlySet<Connection> = new Set();

  /** `onExpired` is called when a connection's token or session has run out. */
  constructor(private readonly onExpired: (conn: Connection) => void) {}

  /** Registers a connection under its id, user and session, and arms its expiry. */
  add(conn: Connection): void {
    this.byId.set(conn.id, conn);
    addTo(this.byUser, conn.userId, conn);
    addTo(this.bySession, conn.session.sessionId, conn);
    this.armExpiry(conn);
  }

  get(connectionId: string): Connection | undefined {
    return this.byId.get(connectionId);
  }

  /** Files the connection under a new id (a hello gives it one). */
  rekey(conn: Connection, newId: string): void {
    if (this.byId.get(conn.id) === conn) this.byId.delete(conn.id);
    this.byId.set(newId, conn);
  }

  /** A resume on a new socket may carry a new session (a refreshed token): refile it and re-arm its expiry. */
  setSession(conn: Connection, session: SessionInfo): void {
    removeFrom(this.bySession, conn.session.sessionId, conn);
    conn.session = session;
    addTo(this.bySession, session.sessionId, conn);
    this.armExpiry(conn);
  }

  ofUser(userId: string): ReadonlySet<Connection> {
    return this.byUser.get(userId) ?? ConnectionRegistry.NONE;
  }

  ofSession(sessionId: string): ReadonlySet<Connection> {
    return this.bySession.get(sessionId) ?? ConnectionRegistry.NONE;
  }

  all(): Connection[] {
    return [...this.byId.values()];
  }

  /** Unregisters the connection; true when its user has no connection left here. */
  remove(conn: Connection): boolean {
    if (this.byId.get(conn.id) === conn) this.byId.delete(conn.id);
    removeFrom(this.bySession, conn.session.sessionId, conn);
    removeFrom(this.byUser, conn.userId, conn);
    const timer = this.expiry.get(conn);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.expiry.delete(conn);
    }
    return !this.byUser.has(conn.userId);
  }

  /** Users with at least one connection here. */
  users(): string[] {
    return [...this.byUser.keys()];
  }

  stats(): { live: number; dormant: number; users: number } {
    let live = 0;
    let dormant = 0;
    for (const c of this.byId.values()) {
      if (c.isLive) live++;
      else if (c.state === 'dormant') dormant++;
    }
    return { live, dormant, users: this.byUser.size };
  }

  private armExpiry(conn: Connection): void {
    const previous = this.expiry.get(conn);
    if (previous !== undefined) clearTimeout(previous);
    const delay = conn.session.expiresAt - Date.now();
    const timer = setTimeout(() => {
      this.expiry.delete(conn);
      if (Date.now() >= conn.session.expiresAt) this.onExpired(conn);
      else this.armExpiry(conn);
    }, Math.min(Math.max(delay, 0), MAX_TIMER_MS));
    timer.unref();
    this.expiry.set(conn, timer);
  }
}

function addTo<K>(map: Map<K, Set<Connection>>, key: K, conn: Connection): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(conn);
}

function removeFrom<K>(map: Map<K, Set<Connection>>, key: K, conn: Connection): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(conn);
  if (set.size === 0) map.delete(key);
}
