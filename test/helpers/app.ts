/**
 * Starts a real RustChat in this process, on the embedded SQLite (in a temporary data
 * directory) or on a fresh PostgreSQL database, and talks to it over HTTP with `inject`
 * (same hooks, validation and serialisation as a socket) or over a real listener.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { createApp, type AppOptions, type RustChat } from '../../src/app.js';
import { loadConfig, type Env } from '../../src/config/load.js';
import type { Config } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase } from './services.js';
import { strongSecret } from './env.js';

export type StoreKind = 'sqlite' | 'postgres';
export const STORES: readonly StoreKind[] = ['sqlite', 'postgres'];

export interface LogCapture {
  readonly lines: string[];
  text(): string;
}

export interface TestApp {
  readonly app: RustChat;
  readonly config: Config;
  readonly logs: LogCapture;
  readonly dataDir: string;
  readonly api: Api;
  close(): Promise<void>;
}

export interface ApiResponse<T = any> {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: T;
  readonly text: string;
}

export interface RequestOptions {
  readonly token?: string | undefined;
  readonly body?: unknown;
  readonly rawBody?: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly ip?: string;
}

export class Api {
  constructor(private readonly app: RustChat) {}

  async request<T = any>(method: string, url: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let payload: string | Buffer | undefined;
    if (opts.rawBody !== undefined) payload = opts.rawBody;
    else if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await this.app.http.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}), remoteAddress: opts.ip ?? '127.0.0.1' });
    let body: unknown = undefined;
    try {
      body = res.body === '' ? undefined : JSON.parse(res.body);
    } catch {
      body = res.body;
    }
    return { status: res.statusCode, headers: res.headers as Record<string, string | string[] | undefined>, body: body as T, text: res.body };
  }

  get<T = any>(url: string, token?: string, opts: Omit<RequestOptions, 'token'> = {}) {
    return this.request<T>('GET', url, { ...opts, token });
  }
  post<T = any>(url: string, body: unknown, token?: string, opts: Omit<RequestOptions, 'token' | 'body'> = {}) {
    return this.request<T>('POST', url, { ...opts, body, token });
  }
  put<T = any>(url: string, body: unknown, token?: string) {
    return this.request<T>('PUT', url, { body, token });
  }
  patch<T = any>(url: string, body: unknown, token?: string) {
    return this.request<T>('PATCH', url, { body, token });
  }
  delete<T = any>(url: string, token?: string) {
    return this.request<T>('DELETE', url, { token });
  }
}

export { strongSecret } from './env.js';

export function testEnv(overrides: Env = {}): Env {
  return {
    RUSTCHAT_JWT_SECRET: strongSecret(),
    RUSTCHAT_ENCRYPTION_KEY: strongSecret(),
    RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE: '100000',
    RUSTCHAT_METRICS_PORT: '0',
    RUSTCHAT_SERVER_HOST: '127.0.0.1',
    RUSTCHAT_SERVER_PORT: '0',
    RUSTCHAT_LOG_LEVEL: 'info',
    // Every test app gets its own Redis namespace, so parallel runs never share counters or channels.
    RUSTCHAT_REDIS_PREFIX: `rctest:${randomBytes(6).toString('hex')}:`,
    ...overrides,
  };
}

export function captureLogs(): { stream: Writable; capture: LogCapture } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      cb();
    },
  });
  return { stream, capture: { lines, text: () => lines.join('\n') } };
}

export interface StartOptions {
  readonly env?: Env;
  /** Reuse an existing data directory / database (restart tests). */
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  readonly clock?: () => number;
  readonly ssoPurgeIntervalMs?: number;
  /** Serve this directory as the web client (index.html and assets); none by default. */
  readonly webRoot?: string;
  /** Record authorization decisions and store calls per request (`app.authzTraces`). */
  readonly traceAuthorization?: boolean;
  /** How long a channel's later events wait for a missing earlier one (AppOptions.eventOrderGapMs). */
  readonly eventOrderGapMs?: number;
  /** AppOptions.linkPreviewTimeoutMs and AppOptions.outboundResolve (test/http/link-preview.test.ts). */
  readonly linkPreviewTimeoutMs?: number;
  /** AppOptions.attachmentImageTaskMs. */
  readonly attachmentImageTaskMs?: number;
  /** AppOptions.linkPreviewPorts. */
  readonly linkPreviewPorts?: readonly number[];
  readonly outboundResolve?: AppOptions['outboundResolve'];
  /** AppOptions.webhookTimeoutMs and webhookRetryDelaysMs (test/http/webhooks-outgoing.test.ts). */
  readonly webhookTimeoutMs?: number;
  readonly webhookRetryDelaysMs?: readonly number[];
  /** AppOptions.commandTimeoutMs (test/http/commands.test.ts). */
  readonly commandTimeoutMs?: number;
  /** AppOptions.notifyEmailIntervalMs (notification e-mail tests flush by hand). */
  readonly notifyEmailIntervalMs?: number;
  /** AppOptions.pushTimeoutMs / pushBackoffMs (test/http/notify-push.test.ts). */
  readonly pushTimeoutMs?: number;
  readonly pushBackoffMs?: number;
}

export async function startApp(kind: StoreKind, opts: StartOptions = {}): Promise<TestApp> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'rustchat-test-'));
  let dropDb: (() => Promise<void>) | undefined;
  let databaseUrl = opts.databaseUrl;
  if (kind === 'postgres' && databaseUrl === undefined) {
    const db = await createTestDatabase();
    databaseUrl = db.url;
    dropDb = db.drop;
  }
  const env = testEnv({ RUSTCHAT_DATA_DIR: dataDir, ...(databaseUrl ? { RUSTCHAT_DATABASE_URL: databaseUrl } : {}), ...(opts.env ?? {}) });
  const loaded = loadConfig(env, { persistGeneratedSecrets: false });
  if (loaded.config === undefined) throw new Error(`test config invalid: ${loaded.errors.join('; ')}`);
  const config = loaded.config;
  const { stream, capture } = captureLogs();
  const app = await createApp(config, { logger: createLogger(config.logLevel, stream), defaultMetrics: false, webRoot: opts.webRoot ?? null, ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.traceAuthorization ? { traceAuthorization: true } : {}), ...(opts.ssoPurgeIntervalMs !== undefined ? { ssoPurgeIntervalMs: opts.ssoPurgeIntervalMs } : {}), ...(opts.eventOrderGapMs !== undefined ? { eventOrderGapMs: opts.eventOrderGapMs } : {}), ...(opts.linkPreviewTimeoutMs !== undefined ? { linkPreviewTimeoutMs: opts.linkPreviewTimeoutMs } : {}), ...(opts.attachmentImageTaskMs !== undefined ? { attachmentImageTaskMs: opts.attachmentImageTaskMs } : {}), ...(opts.linkPreviewPorts !== undefined ? { linkPreviewPorts: opts.linkPreviewPorts } : {}), ...(opts.outboundResolve !== undefined ? { outboundResolve: opts.outboundResolve } : {}), ...(opts.webhookTimeoutMs !== undefined ? { webhookTimeoutMs: opts.webhookTimeoutMs } : {}), ...(opts.webhookRetryDelaysMs !== undefined ? { webhookRetryDelaysMs: opts.webhookRetryDelaysMs } : {}), ...(opts.commandTimeoutMs !== undefined ? { commandTimeoutMs: opts.commandTimeoutMs } : {}), ...(opts.notifyEmailIntervalMs !== undefined ? { notifyEmailIntervalMs: opts.notifyEmailIntervalMs } : {}), ...(opts.pushTimeoutMs !== undefined ? { pushTimeoutMs: opts.pushTimeoutMs } : {}), ...(opts.pushBackoffMs !== undefined ? { pushBackoffMs: opts.pushBackoffMs } : {}) });
  await app.http.ready();
  return {
    app,
    config,
    logs: capture,
    dataDir,
    api: new Api(app),
    async close() {
      await app.close();
      if (dropDb) await dropDb();
      if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
