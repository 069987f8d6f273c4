/**
 * Server-side sessions. Every token names a session row; ending the session (logout,
 * password change, deactivation, admin revoke) stops the token everywhere at once: REST
 * reads the row on each request, and the `session_revoked` control message tells every
 * node to close that session's WebSockets.
 */
import { randomUUID } from 'node:crypto';
import type { Session, User } from '../domain/entities.js';
import type { Actor } from '../domain/policy.js';
import type { TokenService } from '../security/tokens.js';
import type { Store, Tx } from '../store/store.js';
import type { AnonymousContext, ServiceDeps } from './context.js';

export interface StartedSession {
  readonly token: string;
  readonly expiresIn: number;
  readonly session: Session;
}

export interface Authenticated {
  readonly actor: Actor;
  readonly user: User;
  readonly session: Session;
}

export class SessionService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly tokens: TokenService,
    private readonly expiryHours: number,
  ) {}

  /**
   * Starts a session for the user. `store` lets a caller create it inside its own
   * transaction; `id` lets it name the session before the row exists (SSO exchange codes).
   */
  async start(user: User, kind: Session['kind'], meta: Pick<AnonymousContext, 'ip' | 'userAgent'>, opts: { store?: Store; id?: string } = {}): Promise<StartedSession> {
    const now = this.deps.clock();
    const session: Session = {
      id: opts.id ?? randomUUID(),
      user_id: user.id,
      kind,
      created_at: now,
      expires_at: now + this.expiryHours * 3600_000,
      revoked_at: null,
      user_agent: meta.userAgent.slice(0, 256),
      ip: meta.ip,
    };
    await (opts.store ?? this.deps.store).sessions.create(session);
    const token = await this.tokens.sign(user.id, session.id, session.expires_at);
    return { token, expiresIn: this.expiryHours * 3600, session };
  }

  /** The caller behind a token, or undefined when the token or its session is not valid now. */
  async authenticate(token: string): Promise<Authenticated | undefined> {
    const claims = await this.tokens.verify(token);
    if (claims === undefined) return undefined;
    const found = await this.deps.store.sessions.getWithUser(claims.sessionId);
    if (found === undefined) return undefined;
    const { session, user } = found;
    const now = this.deps.clock();
    if (session.user_id !== claims.userId || session.revoked_at !== null || session.expires_at <= now || user.deactivated_at !== null) return undefined;
    return { actor: { userId: user.id, username: user.username, role: user.role, sessionId: session.id }, user, session };
  }

  /** Ends one session. */
  async end(sessionId: string, userId: string, reason: string, ctx: { ip: string; requestId: string }): Promise<void> {
    const revoked = await this.deps.store.write(async (tx) => {
      if (!(await tx.sessions.revoke(sessionId, this.deps.clock()))) return false;
      tx.control({ kind: 'session_revoked', sessionIds: [sessionId], userId });
      return true;
    });
    if (revoked) this.logRevoked(userId, [sessionId], reason, ctx);
  }

  /** Ends every session of a user (except `exceptId`). */
  async endAll(userId: string, reason: string, ctx: { ip: string; requestId: string }, exceptId?: string): Promise<number> {
    const ids = await this.deps.store.write((tx) => this.revokeAll(tx, userId, this.deps.clock(), exceptId));
    this.logRevoked(userId, ids, reason, ctx);
    return ids.length;
  }

  /**
   * Revokes every live session of a user (except `exceptId`) inside the caller's write; once
   * it commits, every node closes those sessions' WebSockets. Returns the ids revoked (for
   * `logRevoked`, after the commit).
   */
  async revokeAll(tx: Tx, userId: string, at: number, exceptId?: string): Promise<string[]> {
    const ids = await tx.sessions.revokeAllForUser(userId, at, exceptId);
    if (ids.length > 0) tx.control({ kind: 'session_revoked', sessionIds: ids, userId });
    return ids;
  }

  /** The security log entry for sessions that ended: call it after the commit. */
  logRevoked(userId: string, sessionIds: readonly string[], reason: string, ctx: { ip: string; requestId: string }): void {
    if (sessionIds.length === 0) return;
    this.deps.security.emit('session_revoked', { ip: ctx.ip, userId, requestId: ctx.requestId, reason, sessions: sessionIds.length });
  }
}
