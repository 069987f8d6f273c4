/**
 * The composition root: config → bus → store (which publishes to the bus after each commit),
 * presence, limits, services → HTTP and the WebSocket gateway on the same server. Only this file chooses implementations (LocalBus on
 * one node, RedisBus when RUSTCHAT_REDIS_URL is set). Used by `rustchat serve` and by the
 * tests, which start real instances in process.
 *
 * Shutdown order: stop new WebSocket handshakes → close every socket with 1001 (and wait for
 * presence updates) → stop HTTP → bus → Redis → database.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { AggregatorRegistry } from 'prom-client';
import type { PrimaryLink } from './cluster/worker.js';
import type { Config } from './config/config.js';
import { buildHttp } from './http/server.js';
import type { App } from './http/types.js';
import { createLogger, type Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { startMetricsServer } from './observability/metrics-server.js';
import type { Bus } from './realtime/bus/bus.js';
import { ClusterBus } from './realtime/bus/cluster.js';
import { LocalBus } from './realtime/bus/local.js';
import { OrderedBus } from './realtime/bus/ordered.js';
import { Gateway } from './realtime/gateway.js';
import { Hub } from './realtime/hub.js';
import { Presence } from './realtime/presence.js';
import { clientIpResolver } from './security/client-ip.js';
import { SecretBox } from './security/crypto.js';
import { SecurityEvents } from './security/events.js';
import { OutboundClient, type OutboundOptions } from './security/outbound.js';
import { RateLimits } from './security/rate-limit.js';
import { TokenService } from './security/tokens.js';
import { AuthzTraces, traceStore } from './services/authz-trace.js';
import type { ServiceDeps } from './services/context.js';
import { createMailer } from './services/mail.js';
import { buildServices, type Services } from './services/index.js';
import { IMAGE_BYTES, LINK_PREVIEW_PORTS } from './services/link-previews.js';
import { CALLBACK_RESPONSE_BYTES, CALLBACK_TIMEOUT_MS } from './services/webhooks.js';
import { COMMAND_RESPONSE_BYTES, COMMAND_TIMEOUT_MS } from './services/commands.js';
import { backfillSearchIndex } from './services/search.js';
import { searchDocument } from './domain/search.js';
import { openStorage } from './storage/open.js';
import { openStore } from './store/open.js';
import type { Store } from './store/store.js';

export const VERSION = '0.1.0';

export interface AppOptions {
  readonly logger?: Logger;
  /** Collect process metrics (off in tests that start many apps). */
  readonly defaultMetrics?: boolean;
  /** Directory of the built web client; defaults to web/dist next to the package; null serves none. */
  readonly webRoot?: string | null;
  readonly clock?: () => number;
  /**
   * Record every authorization decision and store call per HTTP request (tests only:
   * services/authz-trace.ts). The traces are kept in `authzTraces`.
   */
  readonly traceAuthorization?: boolean;
  /** How often expired SSO states and codes are purged (default services/sso.ts PURGE_INTERVAL_MS). */
  readonly ssoPurgeIntervalMs?: number;
  /**
   * This process is a worker of a primary (RUSTCHAT_WORKERS > 1): events, presence counts and
   * rate limits are shared through it (unless Redis shares them), resumes are handed over.
   */
  readonly cluster?: PrimaryLink;
  /** How often expired uploads and deleted files are swept from storage (default services/files.ts, 10 minutes). */
  readonly filesSweepIntervalMs?: number;
  /** How often expired custom statuses are ended (default 15 s). */
  readonly statusExpiryIntervalMs?: number;
  /** How often queued notification e-mail is looked at (default 15 s; tests also call services.notifications.flushEmails). */
  readonly notifyEmailIntervalMs?: number;
  /** Push proxy deadline per request (default 10 s) and back-off base between tries (default 1 s). */
  readonly pushTimeoutMs?: number;
  readonly pushBackoffMs?: number;
  /** How long a channel's later events wait for a missing earlier one (default realtime/bus/ordered.ts, 1 s). */
  readonly eventOrderGapMs?: number;
  /** Deadline of one link preview fetch, redirects included (default 10 s; tests shorten it). */
  readonly linkPreviewTimeoutMs?: number;
  /** How long one post's attachment images may be fetched in all (default ATTACHMENT_TASK_MS; tests shorten it). */
  readonly attachmentImageTaskMs?: number;
  /**
   * Ports link previews may fetch from on hosts outside their allow-list (default
   * LINK_PREVIEW_PORTS, 80 and 443; the SSRF test adds its canary's port so that each internal
   * address is refused for what it is, not for its port).
   */
  readonly linkPreviewPorts?: readonly number[];
  /** The resolver link previews and webhook callbacks use (OutboundOptions.resolve; tests: a name that resolves to an internal address). */
  readonly outboundResolve?: OutboundOptions['resolve'];
  /** Deadline of one outgoing webhook callback (default services/webhooks.ts CALLBACK_TIMEOUT_MS; tests shorten it). */
  readonly webhookTimeoutMs?: number;
  /** Waits between callback retries (default services/webhooks.ts RETRY_DELAYS_MS; tests shorten them). */
  readonly webhookRetryDelaysMs?: readonly number[];
  /** Deadline of a custom slash command's request (default COMMAND_TIMEOUT_MS). */
  readonly commandTimeoutMs?: number;
}

/** The real-time parts (tests look inside). */
export interface Realtime {
  readonly nodeId: string;
  readonly hub: Hub;
  readonly gateway: Gateway;
  readonly presence: Presence;
}

export interface RustChat {
  readonly config: Config;
  readonly http: App;
  readonly store: Store;
  readonly services: Services;
  readonly metrics: Metrics;
  readonly security: SecurityEvents;
  readonly logger: Logger;
  readonly bus: Bus;
  readonly redis: Redis | undefined;
  readonly realtime: Realtime;
  /** Per-request authorization traces, when `traceAuthorization` was set. */
  readonly authzTraces: AuthzTraces | undefined;
  /** Starts listening (HTTP on the configured host/port, metrics on theirs); returns the HTTP address. */
  listen(): Promise<{ port: number; host: string; url: string }>;
  /** Graceful stop: no new requests, then close sockets, bus, Redis and the database. */
  close(): Promise<void>;
}

/** The package root (the directory holding package.json), from src/ or from dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export function defaultWebRoot(): string {
  return join(packageRoot(), 'web', 'dist');
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<RustChat> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const link = options.cluster;
  const metrics = new Metrics({ defaultMetrics: options.defaultMetrics ?? true, ...(link === undefined ? {} : { collect: () => link.call('metrics') }) });
  // The primary aggregates this registry with the other workers' (prom-client's cluster support).
  // (Constructing one is what makes prom-client answer the primary's requests in this process.)
  if (link !== undefined) {
    AggregatorRegistry.setRegistries([metrics.registry]);
    void new AggregatorRegistry();
  }
  const security = new SecurityEvents(logger, metrics);
  const clock = options.clock ?? Date.now;

  const nodeId = randomUUID();
  let bus: Bus;
  if (config.redisUrl !== undefined) {
    // The Redis modules load only when Redis is configured (a single node starts faster: issue #11).
    const { RedisBus } = await import('./realtime/bus/redis.js');
    const redisBus = new RedisBus({ url: config.redisUrl, prefix: config.redisPrefix, nodeId, logger, metrics });
    await redisBus.start();
    bus = redisBus;
  } else if (link !== undefined) {
    bus = new ClusterBus(link);
  } else {
    bus = new LocalBus();
  }
  // Every process's hub gets a channel's events in commit order, whoever wrote them.
  bus = new OrderedBus(bus, { logger, gapMs: options.eventOrderGapMs });
  // The store publishes what its transactions queued, after each commit, to this bus.
  let opened: Awaited<ReturnType<typeof openStore>>;
  try {
    opened = await openStore({
      databaseUrl: config.database.url,
      dataDir: config.dataDir,
      poolSize: config.database.poolSize,
      statementTimeoutMs: config.database.statementTimeoutMs,
      events: bus,
      onEventError: (err) => logger.error({ err }, 'publishing the events of a committed write failed'),
      // Several workers on one SQLite file take turns to write, granted by the primary.
      ...(link === undefined ? {} : {
        writeTurn: async () => {
          const waited = metrics.writeTurnWait.startTimer();
          const turn = await link.writeTurn();
          waited({ outcome: turn.granted ? 'granted' : 'timeout' });
          return turn.release;
        },
      }),
      log: (event) => metrics.dbQueries.observe({ outcome: event.level === 'error' ? 'error' : 'ok' }, event.queryDurationMillis / 1000),
    });
  } catch (err) {
    await bus.close();
    throw err;
  }
  const { store, migrations } = opened;
  if (migrations && migrations.applied.length > 0) logger.info({ applied: migrations.applied, schema_version: migrations.current }, 'database migrated');

  let redis: Redis | undefined;
  if (config.redisUrl !== undefined) {
    const { Redis } = await import('ioredis');
    redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false });
    redis.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'redis error'));
    try {
      await redis.connect();
    } catch (err) {
      logger.warn({ err }, 'redis is not reachable at start; retrying in the background');
    }
  }

  // status_change needs the user's teams: the hub has them loaded for connected users.
  const hubRef: { hub?: Hub } = {};
  const presence = new Presence({
    redis,
    prefix: config.redisPrefix,
    nodeId,
    events: bus,
    logger,
    channelsOf: async (userId) => hubRef.hub?.channelsOf(userId) ?? store.channels.channelIdsForUser(userId),
    // Without Redis, the workers of one machine count connections once, in the primary.
    ...(link === undefined || redis !== undefined ? {} : {
      shared: {
        acquire: (userId, cap) => link.call('acquire', userId, cap),
        release: (userId) => link.call('release', userId),
        setStatus: (userId, status) => link.call('setStatus', userId, status),
        statuses: (userIds) => link.call('statuses', userIds),
      },
    }),
  });
  presence.start();
  if (link !== undefined && redis === undefined) link.onUsersOffline((userIds) => presence.announceOffline(userIds));
  const limits = new RateLimits({ ...config.security, channelMentionsPerMinute: config.notifications.channelMentionsPerMinute }, metrics, logger, redis, config.redisPrefix, link !== undefined);
  const tokens = new TokenService(config.jwt);
  const authzTraces = options.traceAuthorization === true ? new AuthzTraces() : undefined;
  const deps: ServiceDeps = { store: authzTraces === undefined ? store : traceStore(store), security, logger, clock };
  const outbound = new OutboundClient({ allowedHosts: config.outbound.allowedHosts, allowLoopback: !config.isProduction });
  const mailer = config.smtp === undefined ? undefined : createMailer(config.smtp, config.isProduction);
  const storage = await openStorage(config.files);
  const services = buildServices(deps, {
    mailer,
    tokens,
    limits,
    metrics,
    presence,
    expiryHours: config.jwt.expiryHours,
    allowRegistration: config.allowRegistration,
    accessTokens: { enabled: config.integrations.personalAccessTokens, botCreators: config.integrations.botCreators },
    commands: {
      creators: config.integrations.customCommandCreators,
      // Its own client: loopback refused even outside production unless listed (any team admin
      // can point a command anywhere), a small answer, a short deadline.
      fetcher: new OutboundClient({ allowedHosts: config.outbound.allowedHosts, allowLoopback: false, maxBytes: COMMAND_RESPONSE_BYTES, timeoutMs: options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS, ...(options.outboundResolve === undefined ? {} : { resolve: options.outboundResolve }) }),
      status: presence,
    },
    secretBox: new SecretBox(config.encryption.key, config.encryption.previousKey),
    sso: { siteUrl: config.siteUrl, isProduction: config.isProduction, fetch: outbound.fetch, destinationProblem: (url) => outbound.destinationProblem(url) },
    storage,
    files: config.files,
    notifications: {
      ...config.notifications,
      signingSecret: config.jwt.secret,
      // The push proxy through the SSRF-safe client (an internal proxy must be in RUSTCHAT_OUTBOUND_ALLOWED_HOSTS); a hanging proxy times out.
      pushFetch: new OutboundClient({ allowedHosts: config.outbound.allowedHosts, allowLoopback: !config.isProduction, timeoutMs: options.pushTimeoutMs ?? 10_000, maxBytes: 64 * 1024 }).fetch,
      pushBackoffMs: options.pushBackoffMs,
    },
    linkPreviews: {
      enabled: config.linkPreviews.enabled,
      // Its own client: loopback refused even outside production (only SSO's dev IdP needs it),
      // and no body larger than a preview image.
      fetcher: new OutboundClient({ allowedHosts: config.linkPreviews.allowedHosts, allowLoopback: false, allowedPorts: options.linkPreviewPorts ?? LINK_PREVIEW_PORTS, maxBytes: IMAGE_BYTES, timeoutMs: options.linkPreviewTimeoutMs ?? 10_000, ...(options.outboundResolve === undefined ? {} : { resolve: options.outboundResolve }) }),
      ...(options.attachmentImageTaskMs === undefined ? {} : { attachmentTaskMs: options.attachmentImageTaskMs }),
    },
    webhooks: {
      ...config.webhooks,
      siteUrl: config.siteUrl,
      // Its own client: loopback refused in every environment unless the host is listed in
      // RUSTCHAT_OUTBOUND_ALLOWED_HOSTS (any team member can aim a callback), answers bounded.
      fetcher: new OutboundClient({ allowedHosts: config.outbound.allowedHosts, allowLoopback: false, maxBytes: CALLBACK_RESPONSE_BYTES, timeoutMs: options.webhookTimeoutMs ?? CALLBACK_TIMEOUT_MS, ...(options.outboundResolve === undefined ? {} : { resolve: options.outboundResolve }) }),
      retryDelaysMs: options.webhookRetryDelaysMs,
    },
  });
  // Outgoing webhooks keep each team's hook list; a change on any node tells every node to forget it.
  bus.subscribe({ onEvent: () => undefined, onControl: (m) => services.webhooks.onControl(m), onResync: () => services.webhooks.onResync() });
  const hub = new Hub({
    store,
    bus,
    presence,
    metrics,
    logger,
    version: VERSION,
    access: services.access,
    limits: {
      replayFrames: config.ws.replayBufferSize,
      replayBytes: 2 * 1024 * 1024,
      queueFrames: config.ws.sendQueueSize,
      queueBytes: 2 * 1024 * 1024,
      socketHighWater: config.ws.socketBufferBytes,
    },
    resumeWindowMs: config.ws.resumeWindowSeconds * 1000,
    heartbeatMs: config.ws.heartbeatSeconds * 1000,
    actionsPerSecond: config.ws.maxActionsPerSecond,
    presenceFanoutLimit: config.ws.presenceFanoutLimit,
    ...(link === undefined ? {} : { onHello: (connectionId: string) => link.own(connectionId) }),
  });
  hubRef.hub = hub;
  hub.start();
  const ipResolver = clientIpResolver(config.security.trustedProxies);
  const gateway = new Gateway({ config, logger, metrics, security, limits, ipResolver, sessions: services.sessions, presence, hub, cluster: link });

  const readiness: Record<string, () => Promise<void>> = { database: () => store.ping(), storage: () => storage.ping() };
  if (redis !== undefined) {
    const r = redis;
    readiness.redis = async () => {
      if (r.status !== 'ready') throw new Error('not ready');
      await r.ping();
    };
  }

  const http = await buildHttp({
    config, logger, metrics, security, limits, services, readiness, version: VERSION,
    ipResolver,
    authzTraces,
    webRoot: options.webRoot === undefined ? defaultWebRoot() : (options.webRoot ?? undefined),
  });
  gateway.attach(http.server);
  const stopSsoPurge = services.sso.startPurging(options.ssoPurgeIntervalMs);
  const stopFilesSweep = services.files.startSweeping(options.filesSweepIntervalMs);
  const stopStatusExpiry = services.accounts.startStatusExpiry(options.statusExpiryIntervalMs);
  const stopNotifyEmail = services.notifications.startEmailWorker(options.notifyEmailIntervalMs);
  // Posts from before search existed are indexed in the background (a no-op once done), by
  // one process of the machine: a second worker would only wait for the same rows and lock.
  let closing = false;
  const backfill = link === undefined || link.slot === 0 ? backfillSearchIndex(deps, searchDocument, () => closing) : Promise.resolve(0);
  const realtime: Realtime = { nodeId, hub, gateway, presence };

  let metricsServer: Server | undefined;

  return {
    config, http, store, services, metrics, security, logger, bus, redis, realtime, authzTraces,
    async listen() {
      await http.listen({ host: config.server.host, port: config.server.port });
      const address = http.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.server.port;
      // A worker's metrics are served by its primary, aggregated with the other workers'.
      if (config.metrics.port !== 0 && link === undefined) metricsServer = await startMetricsServer(metrics, config.metrics.host, config.metrics.port);
      link?.acceptOn(http.server);
      const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
      return { port, host, url: `${config.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}` };
    },
    async close() {
      stopSsoPurge();
      stopFilesSweep();
      stopStatusExpiry();
      stopNotifyEmail();
      closing = true;
      await backfill;
      await gateway.close();
      await realtime.hub.close();
      await http.close();
      // Closes the background fetch queue link previews and attachment images share.
      await services.linkPreviews.close();
      await services.attachmentImages.close();
      await services.webhooks.close();
      await services.notifications.idle();
      await services.push.idle();
      if (metricsServer) await new Promise<void>((resolve) => metricsServer!.close(() => resolve()));
      await presence.close();
      await bus.close();
      mailer?.close();
      if (redis) redis.disconnect();
      await storage.close();
      await store.close();
    },
  };
}
