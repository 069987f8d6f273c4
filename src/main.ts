/**
 * `rustchat serve`: load and check the configuration (refusing to start on errors, before
 * listening), start the server, create the bootstrap admin, and stop gracefully on
 * SIGINT/SIGTERM.
 */
import cluster from 'node:cluster';
import type { PrimaryLink } from './cluster/worker.js';
import { isLogLevel, type Config } from './config/config.js';
import { environmentWithDotenv, loadConfig, type Env } from './config/load.js';
import type { RustChat } from './app.js';
import { createLogger, type Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { SecurityEvents } from './security/events.js';

export interface Boot {
  readonly config: Config;
  readonly logger: Logger;
  /** A secret check found a problem (development: a warning); the app emits the event. */
  readonly weakSecret: boolean;
}

/**
 * Reads the configuration, logs every warning and problem, and returns undefined (after
 * logging) when the server must not start.
 */
export function boot(env: Env = process.env, cwd: string = process.cwd()): Boot | undefined {
  const result = loadConfig(environmentWithDotenv(env, cwd), { cwd });
  const levelRaw = (env.RUSTCHAT_LOG_LEVEL ?? 'info').toLowerCase();
  const logger = createLogger(result.config?.logLevel ?? (isLogLevel(levelRaw) ? levelRaw : 'info'));
  // A worker reads the same configuration its primary has already checked and reported.
  if (!cluster.isWorker) for (const w of result.warnings) logger.warn({ config: true }, w);
  if (result.config === undefined) {
    if (result.weakSecret) {
      // The process stops now, so a throwaway registry counts it; the log line is what matters.
      new SecurityEvents(logger, new Metrics({ defaultMetrics: false })).emit('weak_secret_detected', { reason: 'startup refused' });
    }
    for (const e of result.errors) logger.fatal({ config: true }, e);
    logger.fatal({ config: true, problems: result.errors.length }, `configuration has ${result.errors.length} problem(s); not starting`);
    return undefined;
  }
  return { config: result.config, logger, weakSecret: result.weakSecret };
}

export async function serve(env: Env = process.env): Promise<number> {
  const booted = boot(env);
  if (booted === undefined) return 1;
  const { config, logger: baseLogger } = booted;
  if (cluster.isPrimary && config.workers > 1) {
    // Several processes: this one only forks, relays and supervises (cluster/primary.ts).
    const { runPrimary } = await import('./cluster/primary.js');
    return runPrimary(config, baseLogger).done;
  }
  let link: PrimaryLink | undefined;
  let logger = baseLogger;
  if (cluster.isWorker) {
    const { PrimaryLink: Link } = await import('./cluster/worker.js');
    link = new Link();
    logger = baseLogger.child({ worker: link.slot });
    // Without its primary a worker gets no new connections and no events from the others: it stops.
    process.once('disconnect', () => {
      logger.error('cluster: the primary process is gone; stopping this worker');
      process.kill(process.pid, 'SIGTERM');
    });
  }
  let app: RustChat;
  try {
    // Loaded only now: a refused configuration stops before the server's modules load.
    const { createApp } = await import('./app.js');
    // Other workers open the database once the first has migrated it.
    await link?.waitForGo();
    app = await createApp(config, { logger, ...(link === undefined ? {} : { cluster: link }) });
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    return 1;
  }
  // Development started with a weak secret: counted on the running server's metrics too (once per machine).
  if (booted.weakSecret && (link === undefined || link.slot === 0)) app.security.emit('weak_secret_detected', { reason: 'development: warning only, production would refuse to start' });
  // One worker creates the bootstrap admin (before the others start), never several at once.
  if (config.admin !== undefined && (link === undefined || link.slot === 0)) {
    try {
      const outcome = await app.services.accounts.bootstrapAdmin(config.admin.email, config.admin.password);
      if (outcome === 'created') logger.info('created the bootstrap system admin from RUSTCHAT_ADMIN_USER');
    } catch (err) {
      logger.fatal({ err }, 'could not create the bootstrap admin from RUSTCHAT_ADMIN_USER/RUSTCHAT_ADMIN_PASSWORD');
      await app.close();
      return 1;
    }
  }
  const address = await app.listen();
  if (link !== undefined) link.ready(address.url);
  else logger.info({ url: address.url, database: app.store.dialect, environment: config.environment, redis: config.redisUrl !== undefined }, `RustChat listening on ${address.url}`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => resolve(1), 10_000);
      force.unref();
      app.close().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, 'error during shutdown');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
