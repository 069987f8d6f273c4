/**
 * Builds the Fastify instance: hardening hooks (request id, security headers, CORS, origin
 * check, JSON-only bodies, NUL/Unicode checks), authentication, per-IP auth rate limiting,
 * metrics and the access log, then the route modules and the web client.
 *
 * Hook order for a request: onRequest [client IP → origin check → rate limit → auth] →
 * body parsing → preValidation [NUL/Unicode scan] → schema validation → handler →
 * onSend [security headers] → onResponse [metrics, access log].
 */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { Config } from '../config/config.js';
import { forbidden, unauthorized } from '../domain/errors.js';
import { isUuid } from '../domain/ids.js';
import type { Logger } from '../observability/logger.js';
import { loggedPath, pathOf } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ClientIpResolver } from '../security/client-ip.js';
import { rateLimitBucket } from '../security/client-ip.js';
import type { SecurityEvents } from '../security/events.js';
import { OriginPolicy } from '../security/origin.js';
import { rateLimitHeaders, type RateLimits } from '../security/rate-limit.js';
import { bearerToken } from '../security/tokens.js';
import { runTraced, type AuthzTraces } from '../services/authz-trace.js';
import type { Services } from '../services/index.js';
import { errorBody, errorEnvelope, renderError, sendRateLimited } from './errors.js';
import { MATTERMOST_PREFIX, exactJsonType, methodNotAllowed, notImplemented, renderMattermostError } from './routes/mattermost.js';
import { registerRoutes } from './routes/index.js';
import { LazySchemaCompilers, rememberCompilers } from './schema-compilers.js';
import { sessionCookieName, type App } from './types.js';

export interface HttpDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly security: SecurityEvents;
  readonly limits: RateLimits;
  readonly ipResolver: ClientIpResolver;
  readonly services: Services;
  /** Named readiness checks: resolve when healthy, reject with a reason otherwise. */
  readonly readiness: Readonly<Record<string, () => Promise<void>>>;
  readonly version: string;
  /** When set (tests), every route handler runs inside an authorization trace kept here. */
  readonly authzTraces?: AuthzTraces | undefined;
  /** Built web client (index.html and assets); served at / when present. */
  readonly webRoot: string | undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The Content-Security-Policy for the web client: same-origin everything, no inline script. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

/**
 * The policy for uploaded bytes (GET /files/{id}/download, …, avatars): a document opened from
 * there is sandboxed (a unique origin, no script, no forms, no plugins) and may load nothing,
 * so an HTML or SVG file that slipped through as "inline" still could not act as this site.
 */
export const FILE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'";

/** Headers every response carries (security contract §6); HSTS only in production. */
export function securityHeaders(isProduction: boolean): Readonly<Record<string, string>> {
  return {
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'SAMEORIGIN',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': CSP,
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
    ...(isProduction ? { 'Strict-Transport-Security': 'max-age=63072000' } : {}),
  };
}

/** A route that counts against a rate limiter, as declared in its `config.rateLimit`. */
export interface LimitedRoute {
  readonly method: string;
  readonly url: string;
}
const limited = new WeakMap<object, LimitedRoute[]>();

/** Every route of this app that counts against the per-IP auth limit (the tests walk them all). */
export function limitedRoutes(app: App): readonly LimitedRoute[] {
  return limited.get(app) ?? [];
}

/**
 * Answers requests that Node's HTTP parser refused before Fastify saw them (malformed
 * request line, oversized headers, timeouts) with the same envelope, request id and
 * security headers as every other response. The default handler sends neither.
 */
function clientErrorHandler(isProduction: boolean): (err: NodeJS.ErrnoException, socket: Socket) => void {
  const headerLines = Object.entries(securityHeaders(isProduction)).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const id = randomUUID();
    const body = JSON.stringify(errorEnvelope(status === 400 ? 'BAD_REQUEST' : status === 408 ? 'REQUEST_TIMEOUT' : 'HEADERS_TOO_LARGE', STATUS_CODES[status]!, id));
    if (socket.writable) {
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${id}\r\n${headerLines}\r\n${body}`);
    }
    socket.destroy();
  };
}

/** What a client may still send after it was refused before its body was read, and for how long. */
const LINGER_BYTES = 16 * 1024 * 1024;
const LINGER_MS = 10_000;
const lingering = new WeakSet<Socket>();

/**
 * Closes `socket` gently after the current response: a client refused before its body was
 * read (413, 401, ...) is usually still sending it, and closing at once turns the rest into
 * a TCP reset that makes the client drop the answer unread (curl and fetch report a network
 * error, status 0). So: send our FIN after the response, then read and discard what the
 * client still sends, up to LINGER_BYTES or LINGER_MS, and only then close (Apache's
 * "lingering close"). Node's HTTP server ends a `Connection: close` response with
 * `socket.destroySoon()`; this replaces it on this one socket.
 */
function lingerOnClose(socket: Socket): void {
  if (lingering.has(socket)) return;
  lingering.add(socket);
  (socket as Socket & { destroySoon: () => void }).destroySoon = () => {
    socket.end();
    let seen = 0;
    const stop = (): void => {
      socket.destroy();
    };
    const timer = setTimeout(stop, LINGER_MS);
    timer.unref();
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > LINGER_BYTES) stop();
    });
    socket.once('end', stop);
    socket.once('close', () => clearTimeout(timer));
    socket.resume();
  };
}

/** In-process TLS (RUSTCHAT_TLS_*): an HTTPS server that speaks TLS 1.2 and 1.3 only. */
function tlsServerFactory(config: Config): FastifyServerOptions['serverFactory'] {
  const tls = config.tls;
  if (tls === undefined) return undefined;
  return (handler) => {
    const server = createHttpsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), minVersion: 'TLSv1.2' }, handler);
    // What Fastify sets on the servers it creates itself.
    server.keepAliveTimeout = 72_000;
    server.requestTimeout = 0;
    return server;
  };
}

/** Paths that name a file of the web client's build, never a client-side route. */
function isFilePath(path: string): boolean {
  return path.startsWith('/assets/') || path.endsWith('.map');
}

/**
 * Every route's path pattern and methods, to tell "no such path" (404) from "not with this
 * method" (405 with `Allow`). Wildcard routes (the CORS preflight `*`) say nothing about a path.
 */
class KnownPaths {
  private readonly patterns = new Map<string, { regex: RegExp; methods: Set<string> }>();

  add(methods: readonly string[], url: string): void {
    if (url.includes('*')) return;
    let entry = this.patterns.get(url);
    if (entry === undefined) {
      const source = url
        .split('/')
        .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      entry = { regex: new RegExp(`^${source}/?$`), methods: new Set() };
      this.patterns.set(url, entry);
    }
    for (const m of methods) entry.methods.add(m);
  }

  /** The methods `path` answers to, sorted; empty when no route has this path. */
  methodsFor(path: string): string[] {
    const methods = new Set<string>();
    for (const { regex, methods: ms } of this.patterns.values()) if (regex.test(path)) for (const m of ms) methods.add(m);
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  }
}

function hasBadText(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000') || !value.isWellFormed();
  if (value === null || typeof value !== 'object' || depth > 32) return depth > 32;
  if (Array.isArray(value)) return value.some((v) => hasBadText(v, depth + 1));
  for (const [k, v] of Object.entries(value)) if (hasBadText(k, depth + 1) || hasBadText(v, depth + 1)) return true;
  return false;
}

/** The presented credential: the Authorization header when there is one (a malformed one is refused, never replaced by the cookie), else the session cookie. */
function credentialOf(req: FastifyRequest, cookieName: string): { token: string; via: 'header' | 'cookie' } | 'malformed_header' | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const token = bearerToken(header);
    return token === undefined ? 'malformed_header' : { token, via: 'header' };
  }
  const c = req.cookies[cookieName];
  return c ? { token: c, via: 'cookie' } : undefined;
}

export async function buildHttp(deps: HttpDeps): Promise<App> {
  const { config, metrics, security, limits, ipResolver, services } = deps;
  const sessionCookie = sessionCookieName(config.isProduction);

  const bodyAjv = addFormats.default(new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false }));
  const paramAjv = addFormats.default(new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false, strict: false }));
  // Validators and serializers are compiled on a route's first use, not at start (schema-compilers.ts).
  const compilers = new LazySchemaCompilers(bodyAjv, paramAjv);

  const baseLogger: FastifyBaseLogger = deps.logger;
  const serverFactory = tlsServerFactory(config);
  const app = Fastify({
    loggerInstance: baseLogger,
    // One access-log line per request is written in onResponse below (path only).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    // Our own ids only: a client-chosen id could forge or confuse log correlation.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: config.maxBodyBytes,
    // The client IP comes from our resolver (RUSTCHAT_SECURITY_TRUSTED_PROXIES), not Fastify's.
    trustProxy: false,
    // Fastify's own 503 while closing has neither our envelope nor our headers: see preClose below.
    return503OnClosing: false,
    clientErrorHandler: clientErrorHandler(config.isProduction),
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
    // Refusals raised before routing (malformed percent-encoding, over-long path parameters)
    // get the same JSON envelope and X-Request-Id as every other answer.
    frameworkErrors: (err, req, reply) => {
      void reply.header('X-Request-Id', req.id).headers(securityHeaders(config.isProduction));
      void renderError(err, req, reply, security);
    },
    schemaController: { compilersFactory: { buildValidator: compilers.validatorFactory, buildSerializer: compilers.serializerFactory } },
    ...(serverFactory ? { serverFactory } : {}),
  }).withTypeProvider<TypeBoxTypeProvider>();
  rememberCompilers(app, compilers);

  // `Expect: 100-continue` (curl's default for large bodies): a body over the limit gets its
  // 413 instead of the 100, so the client never sends it; everything else is invited in.
  // Uploads (multipart) have their own limit: the file size, per file, checked while streaming.
  const uploadLimit = config.files.maxSize * 10 + 1024 * 1024;
  app.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const limit = /^multipart\//i.test(req.headers['content-type'] ?? '') ? uploadLimit : config.maxBodyBytes;
    if (!(Number(req.headers['content-length']) > limit)) res.writeContinue();
    app.server.emit('request', req, res);
  });

  const routes: LimitedRoute[] = [];
  limited.set(app, routes);
  const known = new KnownPaths();
  app.addHook('onRoute', (route) => {
    if (route.config?.rateLimit === 'auth') {
      for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
    }
    known.add([route.method].flat(), route.url);
  });

  const traces = deps.authzTraces;
  if (traces !== undefined) {
    app.addHook('onRoute', (route) => {
      const handler = route.handler;
      route.handler = function traced(this: unknown, req, reply) {
        return runTraced(traces.start(req.id), () => handler.call(this as never, req, reply));
      };
    });
  }


  // JSON only: drop the built-in text/plain parser (any other type is a 415); an empty JSON
  // body counts as no body; bytes that are not UTF-8 are refused rather than silently
  // replaced with U+FFFD; `__proto__` and `constructor` keys are refused (prototype pollution).
  app.removeContentTypeParser('text/plain');
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, raw, done) => {
    const bytes = raw as Buffer;
    if (!isUtf8(bytes)) {
      done(Object.assign(new Error('bad text'), { statusCode: 400, code: 'RC_BAD_TEXT' }), undefined);
      return;
    }
    const body = bytes.toString('utf8');
    if (body.trim() === '') {
      done(null, undefined);
      return;
    }
    void jsonParser(req, body, done);
  });

  app.decorateRequest('clientIp', '');
  app.decorateRequest('auth', null);
  app.decorateRequest('authVia', null);

  await app.register(cookie);
  // Multipart bodies are parsed only by the routes that read them (req.parts()), as streams:
  // files go to disk as they arrive, never into memory. One file at most RUSTCHAT_FILES_MAX_SIZE.
  await app.register(multipart, {
    limits: { fileSize: config.files.maxSize, files: 10, fields: 10, parts: 20, fieldSize: 64 * 1024, headerPairs: 50 },
    throwFileSizeLimit: false,
  });

  const origins = new OriginPolicy(config);
  // CORS: the origins OriginPolicy allows (never `null`); credentials never with the `*` wildcard.
  const wildcard = config.corsAllowedOrigins.includes('*');
  await app.register(cors, {
    origin: (origin, cb) => {
      if (origin === undefined) return cb(null, false);
      cb(null, origins.corsOrigin(origin) ?? false);
    },
    credentials: !wildcard,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Requested-With', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After'],
    maxAge: 600,
    strictPreflight: true,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      // The API's version, not the server's: the document is public (no version for anonymous probes).
      info: { title: 'RustChat API', version: '1', description: 'Generated from the route schemas.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });

  // While closing, new requests get a 503 in our envelope (and the connection is closed).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  // ---- onRequest: client IP, request id, origin check, rate limit, authentication ----
  app.addHook('onRequest', async (req, reply) => {
    req.clientIp = ipResolver.resolve(req.socket.remoteAddress, req.headers);
    void reply.header('X-Request-Id', req.id);
    if (closing) {
      return reply.code(503).header('Connection', 'close').type('application/json').send(errorBody(req, 'SERVICE_UNAVAILABLE', 'The server is shutting down'));
    }

    // Cross-site unsafe requests from origins we do not know are refused outright.
    const origin = req.headers.origin;
    if (origin !== undefined && !SAFE_METHODS.has(req.method)) {
      if (!origins.allows(origin, req.headers.host)) {
        security.emit('access_denied', { ip: req.clientIp, requestId: req.id, reason: 'origin_not_allowed' });
        throw forbidden('Origin not allowed');
      }
    }

    const routeConfig = req.routeOptions.config;
    if (routeConfig.rateLimit === 'auth') {
      const decision = await limits.consumeAuth(rateLimitBucket(req.clientIp));
      if (!decision.allowed) return sendRateLimited(reply, security, decision, { ip: req.clientIp, requestId: req.id, limiter: 'auth', route: req.routeOptions.url });
      void reply.headers(rateLimitHeaders(limits.enabled, decision));
    }

    if (!req.url.startsWith('/api/') || routeConfig.public === true || req.method === 'OPTIONS') return;
    if (req.routeOptions.url === undefined) return; // unknown route: the 404 handler answers
    // Every refusal is an event with its reason; the client sees only the 401.
    const refused = (reason: string, via?: 'header' | 'cookie'): never => {
      security.emit('access_denied', { ip: req.clientIp, requestId: req.id, reason, stage: 'authentication', via, route: req.routeOptions.url });
      throw reason === 'missing_token' ? unauthorized() : unauthorized('Invalid or expired session');
    };
    const presented = credentialOf(req, sessionCookie);
    if (presented === undefined) return refused('missing_token');
    if (presented === 'malformed_header') return refused('malformed_header', 'header');
    const channelParam = routeConfig.channelParam === undefined ? undefined : (req.params as Record<string, unknown>)[routeConfig.channelParam];
    const result = await services.sessions.authenticate(presented.token, typeof channelParam === 'string' && isUuid(channelParam) ? channelParam : undefined);
    if (!result.ok) return refused(result.reason, presented.via);
    const { auth } = result;
    if (presented.via === 'cookie' && !SAFE_METHODS.has(req.method) && req.headers['x-requested-with'] !== 'XMLHttpRequest') {
      // CSRF: a cookie-authenticated write must carry a header a cross-site form cannot set.
      throw forbidden('Cookie-authenticated requests must send X-Requested-With: XMLHttpRequest');
    }
    req.auth = auth;
    req.authVia = presented.via;
  });

  // ---- preParsing: multipart bodies only where a route reads them (uploads); JSON elsewhere ----
  app.addHook('preParsing', async (req, _reply, payload) => {
    if (req.routeOptions.config.multipart !== true && /^multipart\//i.test(req.headers['content-type'] ?? '')) {
      throw Object.assign(new Error('multipart body on a JSON route'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    }
    return payload;
  });

  // ---- preValidation: NUL bytes and invalid Unicode are refused everywhere ----
  app.addHook('preValidation', async (req) => {
    if (hasBadText(req.body) || hasBadText(req.query) || hasBadText(req.params)) {
      throw Object.assign(new Error('bad text'), { statusCode: 400, code: 'RC_BAD_TEXT' });
    }
  });

  // ---- onSend: security headers on every response, errors and static files included ----
  const headers = securityHeaders(config.isProduction);
  const fileHeaders = { ...headers, 'Content-Security-Policy': FILE_CSP };
  app.addHook('onSend', async (req, reply, payload) => {
    void reply.headers(req.routeOptions.config.fileResponse === true ? fileHeaders : headers);
    // Answered before the body was read (too large, unauthenticated, ...): no keep-alive
    // (the rest of the body is in the way), and a close the client can read the answer through.
    if (req.raw.complete === false) {
      void reply.header('Connection', 'close');
      lingerOnClose(req.raw.socket);
    }
    if (req.url.startsWith('/api/') && !reply.hasHeader('Cache-Control')) void reply.header('Cache-Control', 'no-store');
    exactJsonType(req, reply);
    return payload;
  });

  // ---- onResponse: metrics and one access-log line (path only, never the query string) ----
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.httpRequests.inc({ method: req.method, route, status: String(status) });
    metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    req.log.info({ method: req.method, path: loggedPath(req.url), status, ms: Math.round(reply.elapsedTime * 10) / 10, client_ip: req.clientIp, user_id: req.auth?.actor.userId }, 'request');
  });

  app.setErrorHandler((err, req, reply) => {
    // The Mattermost v4 paths answer every error in Mattermost's envelope (routes/mattermost.ts).
    if (req.url.startsWith(MATTERMOST_PREFIX)) return renderMattermostError(err as Error, req, reply, security);
    if ((err as { code?: string }).code === 'RC_BAD_TEXT') {
      return reply.code(400).type('application/json').send(errorBody(req, 'BAD_REQUEST', 'Text must be valid Unicode without NUL characters'));
    }
    return renderError(err as Error, req, reply, security);
  });

  await registerRoutes(app, deps);

  if (deps.webRoot !== undefined && existsSync(deps.webRoot)) {
    // Loaded only when there is a client to serve (an API-only server starts without it).
    const { default: fastifyStatic } = await import('@fastify/static');
    await app.register(fastifyStatic, {
      root: deps.webRoot,
      prefix: '/',
      index: ['index.html'],
      wildcard: false,
      cacheControl: false,
      // Source maps would hand out the client's original source: development only.
      allowedPath: (path) => !(config.isProduction && path.endsWith('.map')),
      // index.html must be revalidated (it names the current asset files); Vite's hashed
      // assets never change under their name.
      setHeaders: (reply, path) => {
        void reply.header('Cache-Control', path.endsWith('.html') ? 'no-cache' : /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'public, max-age=3600');
      },
    });
  }

  app.setNotFoundHandler(async (req: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(req.url);
    // A known path asked with another method (TRACE included): 405 and what it does answer to.
    // (A route that itself calls not-found, like a withheld source map, stays a 404.)
    const allow = known.methodsFor(path);
    if (allow.length > 0 && !allow.includes(req.method)) {
      if (path.startsWith(MATTERMOST_PREFIX)) return methodNotAllowed(req, reply, allow);
      return reply.code(405).header('Allow', allow.join(', ')).type('application/json').send(errorBody(req, 'METHOD_NOT_ALLOWED', `Method ${req.method} not allowed here`));
    }
    // Client-side routes of the web client (e.g. /login?code=…) get its index.html; a missing
    // file (an old asset name, a source map withheld in production) is a 404, not a page the
    // browser would try to run as a script.
    if (req.method === 'GET' && !path.startsWith('/api/') && !isFilePath(path) && deps.webRoot !== undefined && existsSync(`${deps.webRoot}/index.html`)) {
      return reply.type('text/html').header('Cache-Control', 'no-cache').sendFile('index.html');
    }
    if (path.startsWith(MATTERMOST_PREFIX)) return notImplemented(req, reply);
    return reply.code(404).type('application/json').send(errorBody(req, 'NOT_FOUND', 'Route not found'));
  });

  return app;
}
