/**
 * The WebSocket entry point, `GET /api/v1/ws`, on Fastify's own HTTP server (`ws` with
 * `noServer` and the server's 'upgrade' event).
 *
 * A handshake passes, in this order, before anything is allocated for it:
 *   1. path and method (404 / 405), server not shutting down (503);
 *   2. per-IP rate limit, RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE (the exact 429 of the
 *      security contract §5, `rate_limit_exceeded` event);
 *   3. no token in the query string (`?token=`, `?access_token=`): 401 even when valid;
 *   4. Origin, when present, passes security/origin.ts (site URL, allow list; 403) — checked before the
 *      token because it costs no database read;
 *   5. the token, from `Authorization: Bearer` (the same parser as REST, security/tokens.ts) or
 *      from `Sec-WebSocket-Protocol` (`rustchat.v1, <token>`), must name a live session (401;
 *      the event's reason says why: token_expired, bad_signature, session_revoked...);
 *   6. the user's connection cap across the cluster (429 `TOO_MANY_CONNECTIONS` with `Retry-After`);
 * then `ws.handleUpgrade` answers 101, selecting `rustchat.v1` when offered — never the token.
 * Steps 3–5 emit `websocket_auth_failure`. Every refusal carries the HTTP responses' security
 * headers and error envelope (http/errors.ts; the 429 of step 2 is security/rate-limit.ts's).
 * Nothing here logs a URL with its query string.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { PrimaryLink } from '../cluster/worker.js';
import type { Config } from '../config/config.js';
import { AppError } from '../domain/errors.js';
import { WS_CLOSE, WS_PATH, WS_SUBPROTOCOL } from '../domain/events.js';
import { UUID_RE } from '../domain/ids.js';
import { errorEnvelope, type ErrorBody } from '../http/errors.js';
import { securityHeaders } from '../http/server.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { OriginPolicy } from '../security/origin.js';
import { rateLimitBucket, type ClientIpResolver } from '../security/client-ip.js';
import type { SecurityEvents } from '../security/events.js';
import { rateLimitHeaders, refuseRateLimited, type RateLimitedAnswer, type RateLimits } from '../security/rate-limit.js';
import { bearerToken } from '../security/tokens.js';
import type { SessionService } from '../services/sessions.js';
import { DATABASE_RETRY_AFTER_SECONDS, domainError } from '../services/store-errors.js';
import type { Hub } from './hub.js';
import type { Presence } from './presence.js';


export interface GatewayOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly security: SecurityEvents;
  readonly limits: RateLimits;
  readonly ipResolver: ClientIpResolver;
  readonly sessions: Pick<SessionService, 'authenticate'>;
  readonly presence: Presence;
  readonly hub: Hub;
  /** A worker of a primary (RUSTCHAT_WORKERS > 1): resumes of other workers' connections are handed to them. */
  readonly cluster?: Pick<PrimaryLink, 'mayHandOff' | 'handOff'> | undefined;
}

interface Refusal {
  readonly status: number;
  readonly body: ErrorBody | RateLimitedAnswer['body'];
  readonly headers?: Readonly<Record<string, string>>;
  readonly outcome: string;
}

/** The token from `Authorization: Bearer …` or from the subprotocol list `rustchat.v1, <token>`. */
export function tokenFromHandshake(headers: IncomingMessage['headers']): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') return bearerToken(auth);
  const offered = (headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (!offered.includes(WS_SUBPROTOCOL)) return undefined;
  const others = offered.filter((p) => p !== WS_SUBPROTOCOL);
  return others.length === 1 ? others[0] : undefined;
}

export class Gateway {
  private readonly wss: WebSocketServer;
  /** Headers for the 101 of a handshake in progress (rate-limit state, request id). */
  private readonly extraHeaders = new WeakMap<IncomingMessage, string[]>();
  private readonly pending = new Set<Duplex>();
  private readonly origins: OriginPolicy;
  private readonly hardening: Readonly<Record<string, string>>;
  private server: Server | undefined;
  private closing = false;
  private readonly listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => this.onUpgrade(req, socket, head);

  constructor(private readonly options: GatewayOptions) {
    const { config } = options;
    this.origins = new OriginPolicy(config);
    this.hardening = securityHeaders(config.isProduction);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.ws.maxFrameBytes,
      // Must stay off: the hub writes pre-framed, uncompressed frames straight to the socket (realtime/connection.ts).
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
    });
    this.wss.on('headers', (headers, req) => {
      const extra = this.extraHeaders.get(req);
      if (extra !== undefined) headers.push(...extra);
    });
  }

  /** Starts answering upgrades on `server`. */
  attach(server: Server): void {
    this.server = server;
    server.on('upgrade', this.listener);
  }

  /** Refuses new handshakes and drops the ones in progress (the hub closes open sockets). */
  async close(): Promise<void> {
    this.closing = true;
    this.server?.off('upgrade', this.listener);
    for (const socket of this.pending) socket.destroy();
    this.pending.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.handOff(req, socket, head)) return;
    socket.on('error', (err: Error) => this.options.logger.debug({ err: { message: err.message } }, 'websocket: socket error during handshake'));
    const requestId = randomUUID();
    const ip = this.options.ipResolver.resolve((socket as Socket).remoteAddress, req.headers);
    this.pending.add(socket);
    socket.once('close', () => this.pending.delete(socket));
    this.handshake(req, socket, head, requestId, ip).then(
      (refusal) => {
        if (refusal !== undefined) this.refuse(socket, refusal, requestId, ip);
      },
      (err: unknown) => {
        // A database outage during the handshake (session lookup, presence) is a 503 with
        // Retry-After, as on REST; anything else is a bug and stays a logged 500.
        const mapped = domainError(err);
        if (mapped instanceof AppError && mapped.status === 503) {
          this.options.logger.warn({ err: (mapped as { cause?: unknown }).cause, request_id: requestId }, 'websocket: handshake refused, the database is temporarily unavailable');
          const retryAfter = DATABASE_RETRY_AFTER_SECONDS;
          this.refuse(socket, {
            status: 503,
            headers: { 'Retry-After': String(retryAfter) },
            body: errorEnvelope('SERVICE_UNAVAILABLE', mapped.message, requestId, { retry_after: retryAfter }),
            outcome: 'unavailable',
          }, requestId, ip);
          return;
        }
        this.options.logger.error({ err, request_id: requestId }, 'websocket: handshake failed');
        this.refuse(socket, { status: 500, body: errorEnvelope('INTERNAL_ERROR', 'Internal server error', requestId), outcome: 'error' }, requestId, ip);
      },
    );
  }

  /**
   * A resume of a connection this worker does not hold goes to the worker that does, before
   * any check (that worker runs them all): the primary passes the socket on with the request's
   * bytes. Not with TLS in process (the TLS session cannot move), nor twice for one socket.
   */
  private handOff(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const link = this.options.cluster;
    if (link === undefined || this.options.config.tls !== undefined || !(socket instanceof Socket) || !link.mayHandOff(socket)) return false;
    let resume: ReturnType<typeof resumeParams>;
    try {
      resume = resumeParams(new URL(req.url ?? '/', 'http://localhost'));
    } catch {
      return false;
    }
    if (resume === undefined || this.options.hub.connectionState(resume.connectionId) !== undefined) return false;
    const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    this.options.logger.debug({ connection_id: resume.connectionId }, 'websocket: resume handed to the worker holding the connection');
    link.handOff(resume.connectionId, socket, Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head]));
    return true;
  }

  private authFailure(reason: string, status: 401 | 403, message: string, ip: string, requestId: string): Refusal {
    this.options.security.emit('websocket_auth_failure', { ip, requestId, reason });
    return { status, body: errorEnvelope(status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', message, requestId), outcome: reason };
  }

  /** Runs the checks; resolves to a refusal, or to undefined once the socket was upgraded. */
  private async handshake(req: IncomingMessage, socket: Duplex, head: Buffer, requestId: string, ip: string): Promise<Refusal | undefined> {
    const { config, limits, security, sessions, presence, hub } = this.options;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return { status: 400, body: errorEnvelope('BAD_REQUEST', 'Malformed URL', requestId), outcome: 'bad_request' };
    }
    if (url.pathname !== WS_PATH && url.pathname !== `${WS_PATH}/`) return { status: 404, body: errorEnvelope('NOT_FOUND', 'Route not found', requestId), outcome: 'not_found' };
    if (req.method !== 'GET') return { status: 405, body: errorEnvelope('METHOD_NOT_ALLOWED', 'Use GET to open a WebSocket', requestId), outcome: 'bad_request' };
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return { status: 400, body: errorEnvelope('BAD_REQUEST', 'Expected a WebSocket upgrade', requestId), outcome: 'bad_request' };
    if (this.closing) return { status: 503, body: errorEnvelope('SERVICE_UNAVAILABLE', 'Server is shutting down', requestId), outcome: 'shutting_down' };

    const decision = await limits.consumeWs(rateLimitBucket(ip));
    if (!decision.allowed) return { ...refuseRateLimited(security, decision, { ip, requestId, limiter: 'ws', route: WS_PATH }), outcome: 'rate_limited' };
    const rateHeaders = Object.entries(rateLimitHeaders(limits.enabled, decision)).map(([k, v]) => `${k}: ${v}`);

    if (url.searchParams.has('token') || url.searchParams.has('access_token')) {
      return this.authFailure('query_token', 401, 'Tokens in the URL are not accepted; send the Authorization header or the rustchat.v1 subprotocol', ip, requestId);
    }

    const origin = req.headers.origin;
    if (origin !== undefined && !this.origins.allows(origin, req.headers.host)) return this.authFailure('bad_origin', 403, 'Origin not allowed', ip, requestId);

    const token = tokenFromHandshake(req.headers);
    if (token === undefined) return this.authFailure('missing_token', 401, 'Authentication required', ip, requestId);
    const result = await sessions.authenticate(token);
    if (!result.ok) return this.authFailure(result.reason, 401, 'Invalid or expired session', ip, requestId);
    const { auth } = result;
    if (socket.destroyed) return undefined;

    const resume = resumeParams(url);
    // The same user reconnecting to a connection we still think is open: that old socket is dead, free its slot.
    if (resume !== undefined) hub.takeOver(resume.connectionId, auth.user.id);
    if (!(await presence.acquire(auth.user.id, config.ws.maxConnectionsPerUser))) {
      // A slot frees when one of the user's sockets closes; a dead one is dropped within two heartbeats.
      const retryAfter = 2 * config.ws.heartbeatSeconds;
      return {
        status: 429,
        headers: { 'Retry-After': String(retryAfter) },
        body: errorEnvelope('TOO_MANY_CONNECTIONS', `At most ${config.ws.maxConnectionsPerUser} WebSocket connections per user`, requestId, { retry_after: retryAfter }),
        outcome: 'too_many_connections',
      };
    }
    if (socket.destroyed) {
      presence.release(auth.user.id);
      return undefined;
    }

    let opened = false;
    const releaseIfNotOpened = (): void => {
      if (!opened) presence.release(auth.user.id);
    };
    socket.once('close', releaseIfNotOpened);
    this.extraHeaders.set(req, [...rateHeaders, `X-Request-Id: ${requestId}`]);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      opened = true;
      socket.off('close', releaseIfNotOpened);
      this.pending.delete(socket);
      ws.on('error', (err: Error) => this.options.logger.info({ err: { message: err.message }, user_id: auth.user.id }, 'websocket: connection error'));
      try {
        const { connection, resumed } = hub.open({ ws, socket, userId: auth.user.id, session: { sessionId: auth.session.id, expiresAt: auth.expiresAt, caller: { actor: auth.actor, ip, requestId } }, resume });
        this.options.metrics.wsHandshakes.inc({ outcome: 'ok' });
        this.options.logger.info({ path: WS_PATH, status: 101, client_ip: ip, user_id: auth.user.id, connection_id: connection.id, resumed, request_id: requestId }, 'websocket connected');
      } catch (err) {
        this.options.logger.error({ err, request_id: requestId }, 'websocket: could not register the connection');
        ws.close(WS_CLOSE.INTERNAL_ERROR, 'try again later');
      }
    });
    return undefined;
  }

  private refuse(socket: Duplex, refusal: Refusal, requestId: string, ip: string): void {
    this.options.metrics.wsHandshakes.inc({ outcome: refusal.outcome });
    this.options.logger.info({ path: WS_PATH, status: refusal.status, client_ip: ip, request_id: requestId, outcome: refusal.outcome }, 'websocket handshake refused');
    if (socket.destroyed) return;
    const body = JSON.stringify(refusal.body);
    // The same headers as every HTTP response (security contract §6, §9), HSTS in production.
    const headers = {
      ...this.hardening,
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      Connection: 'close',
      'Cache-Control': 'no-store',
      'X-Request-Id': requestId,
      ...(refusal.headers ?? {}),
    };
    const lines = [`HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
    const timer = setTimeout(() => socket.destroy(), 1000);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }
}

/** `?connection_id=<uuid>&sequence_number=<n>`; anything malformed means "no resume" (a fresh hello). */
function resumeParams(url: URL): { connectionId: string; sequenceNumber: number } | undefined {
  const id = url.searchParams.get('connection_id');
  const seq = url.searchParams.get('sequence_number');
  if (id === null || seq === null || !UUID_RE.test(id) || !/^\d{1,15}$/.test(seq)) return undefined;
  return { connectionId: id.toLowerCase(), sequenceNumber: Number(seq) };
}
