/**
 * Server-side sessions. Every token names a session row; ending the session (logout,
 * password change, deactivation, admin revoke) stops the token everywhere at once: REST
 * reads the row on each request, and the `session_revoked` control message tells every
 * node to close that session's WebSockets.
 *
 * A personal access token (`rcpat_…`, services/access-tokens.ts) names a session too (kind
 * `token`, same id as its access_tokens row, found by the SHA-256 of the secret): it is
 * judged by the same checks here, so revoking it, deactivating its owner (every session
 * revoked) or turning tokens off (RUSTCHAT_PERSONAL_ACCESS_TOKENS) stops it on REST at once
 * and closes its WebSockets like any other session.
 */
import { randomUUID } from 'node:crypto';
import type { Session, User } from '../domain/entities.js';
import type { Actor } from '../domain/policy.js';
import { hashSecret } from '../security/crypto.js';
import type { TokenRejection, TokenService } from '../security/tokens.js';
import type { SessionWithUser } from '../store/sessions.js';
import type { Store, Tx } from '../store/store.js';
import type { AnonymousContext, ChannelRead, ServiceDeps } from './context.js';

export interface StartedSession {
  readonly token: string;
  readonly expiresIn: number;
  readonly session: Session;
}

export interface Authenticated {
  readonly actor: Actor;
  readonly user: User;
  readonly session: Session;
  /**
   * Epoch ms on the wall clock (Date.now) when this authentication stops holding: the token's
   * `exp` or the session's end, whichever is first (a WebSocket is closed then).
   */
  readonly expiresAt: number;
  /**
   * The caller's access row for the channel a request is about, read with the session in the
   * same statement (`authenticate(token, channelId)`); Access.channel decides from it instead of
   * reading it again. Undefined `row`: no such channel.
   */
  readonly channel?: ChannelRead;
}

/** Why a presented token did not authenticate: the security event's reason (the client sees only 401). */
export type AuthFailureReason = TokenRejection | 'unknown_session' | 'session_revoked' | 'session_expired' | 'user_deactivated' | 'access_tokens_disabled';

/** What a personal access token starts with (a JWT never does), so the two are told apart before any work. */
export const ACCESS_TOKEN_PREFIX = 'rcpat_';
const ACCESS_TOKEN_SHAPE = /^rcpat_[A-Za-z0-9_-]{43}$/;
/** A token's last use is written at most this often (not one write per request). */
const LAST_USE_GRANULARITY_MS = 60_000;

export type AuthResult = { readonly ok: true; readonly auth: Authenticated } | { readonly ok: false; readonly reason: AuthFailureReason };

export class SessionService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly tokens: TokenService,
    private readonly expiryHours: number,
    /** RUSTCHAT_PERSONAL_ACCESS_TOKENS: off, no personal access token authenticates. */
    private readonly accessTokensEnabled = false,
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

  /**
   * The caller behind a token, or why there is none (bad token, session ended or expired, account
   * deactivated). `channelId`: the request is about this channel (a UUID); its access row is read
   * in the same statement as the session and handed on with the result (Authenticated.channel).
   */
  async authenticate(token: string, channelId?: string): Promise<AuthResult> {
    if (token.startsWith(ACCESS_TOKEN_PREFIX)) return this.authenticateAccessToken(token, channelId);
    const checked = await this.tokens.check(token);
    if (!checked.ok) return checked;
    const { claims } = checked;
    const found = await this.lookup(claims.sessionId, channelId);
    // A session of someone else is as unknown as a missing one.
    if (found === undefined || found.session.user_id !== claims.userId) return { ok: false, reason: 'unknown_session' };
    return this.judge(found, claims.expiresAt);
  }

  /** The session with its user and, when asked, the access row of a channel (one statement either way). */
  private async lookup(sessionId: string, channelId: string | undefined): Promise<(SessionWithUser & Pick<Authenticated, 'channel'>) | undefined> {
    if (channelId === undefined) return this.deps.store.sessions.getWithUser(sessionId);
    const both = await this.deps.store.sessions.getWithUserAndChannel(sessionId, channelId);
    return both === undefined ? undefined : { ...both.found, channel: { id: channelId, row: both.channel, readAt: this.deps.clock() } };
  }

  /** A personal access token: its session (found by the secret's hash) judged like any other. */
  private async authenticateAccessToken(token: string, channelId: string | undefined): Promise<AuthResult> {
    if (!this.accessTokensEnabled) return { ok: false, reason: 'access_tokens_disabled' };
    if (!ACCESS_TOKEN_SHAPE.test(token)) return { ok: false, reason: 'malformed' };
    const row = await this.deps.store.accessTokens.getByHash(hashSecret(token));
    const found = row === undefined ? undefined : await this.lookup(row.id, channelId);
    if (row === undefined || found === undefined || found.session.kind !== 'token' || found.session.user_id !== row.user_id) return { ok: false, reason: 'unknown_session' };
    const result = this.judge(found, Number.MAX_SAFE_INTEGER);
    const now = this.deps.clock();
    if (result.ok && (row.last_used_at === null || now - row.last_used_at >= LAST_USE_GRANULARITY_MS)) await this.deps.store.accessTokens.touch(row.id, now);
    return result;
  }

  /** The checks every credential passes: its session live and unexpired, its user active. */
  private judge(found: SessionWithUser & Pick<Authenticated, 'channel'>, tokenExpiresAt: number): AuthResult {
    const { session, user, channel } = found;
    const now = this.deps.clock();
    if (session.revoked_at !== null) return { ok: false, reason: 'session_revoked' };
    if (session.expires_at <= now) return { ok: false, reason: 'session_expired' };
    if (user.deactivated_at !== null) return { ok: false, reason: 'user_deactivated' };
    // Session times are on the services' clock; the token's exp and timers are on the wall clock.
    const expiresAt = Math.min(tokenExpiresAt, Date.now() + (session.expires_at - now));
    return { ok: true, auth: { actor: { userId: user.id, username: user.username, role: user.role, sessionId: session.id }, user, session, expiresAt, ...(channel === undefined ? {} : { channel }) } };
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
