/**
 * Parses RUSTCHAT_* variables once, at boot, into the frozen Config.
 *
 * Flow: read `.env` (the process environment wins) → parse every variable, collecting all
 * problems instead of stopping at the first → check secrets (security contract §1) →
 * in development, fill missing secrets from the data directory (generating them once) →
 * freeze. The caller prints every problem and exits non-zero when `errors` is not empty.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { createSecureContext } from 'node:tls';
import { parseEnv } from 'node:util';
import { LOG_LEVELS, type Config, type Environment, type LogLevel } from './config.js';
import { VARIABLE_NAMES } from './schema.js';
import { checkSecret } from '../security/secret-strength.js';
import { parseCidrList } from '../security/client-ip.js';
import { normalizeHost } from '../security/outbound.js';
import { isLoopbackHost } from '../security/loopback.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadResult {
  readonly config: Config | undefined;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  /** True when a secret check failed (the `weak_secret_detected` security event). */
  readonly weakSecret: boolean;
}

/** Reads `.env` from `dir` (if present) under the process environment: the environment wins. */
export function environmentWithDotenv(env: Env, dir: string): Env {
  const path = join(dir, '.env');
  if (!existsSync(path)) return env;
  const fromFile = parseEnv(readFileSync(path, 'utf8'));
  return { ...fromFile, ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) };
}

const BOOL_TRUE = new Set(['true', '1', 'yes', 'on']);
const BOOL_FALSE = new Set(['false', '0', 'no', 'off']);

class Reader {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    if (v === undefined) return undefined;
    const t = v.trim();
    return t === '' ? undefined : t;
  }
  /** Secrets are read exactly (no trimming), but an empty value counts as unset. */
  secret(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : v;
  }
  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }
  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const l = v.toLowerCase();
    if (BOOL_TRUE.has(l)) return true;
    if (BOOL_FALSE.has(l)) return false;
    this.errors.push(`${name} must be a boolean (true/false/1/0/yes/no/on/off)`);
    return fallback;
  }
  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      this.errors.push(`${name} must be an integer between ${min} and ${max}`);
      return fallback;
    }
    return Number(v);
  }
  list(name: string): string[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
  /** Bytes: a plain integer, or a number with KB/MB/GB (KiB/MiB/GiB; powers of 1024). */
  bytes(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(v);
    const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m?.[2] ?? '').charAt(0).toLowerCase()] ?? 1;
    const value = m === null ? NaN : Math.floor(Number(m[1]) * unit);
    if (!Number.isFinite(value) || value < min || value > max) {
      this.errors.push(`${name} must be a size between ${min} and ${max} bytes (bytes, or a number with KB, MB or GB)`);
      return fallback;
    }
    return value;
  }
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const l = v.toLowerCase() as T;
    if (allowed.includes(l)) return l;
    this.errors.push(`${name} must be one of: ${allowed.join(', ')}`);
    return fallback;
  }
}

function normalizeOrigin(value: string): string | undefined {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}

export interface LoadOptions {
  /** Where relative RUSTCHAT_DATA_DIR is resolved; defaults to process.cwd(). */
  readonly cwd?: string;
  /** Whether development may write generated secrets into the data directory (default true). */
  readonly persistGeneratedSecrets?: boolean;
}

export function loadConfig(env: Env, options: LoadOptions = {}): LoadResult {
  const r = new Reader(env);
  const cwd = options.cwd ?? process.cwd();
  let weakSecret = false;

  for (const key of Object.keys(env)) {
    if (key.startsWith('RUSTCHAT_') && !VARIABLE_NAMES.has(key)) {
      r.warnings.push(`${key} is not a RustChat setting and is ignored (typo?)`);
    }
  }

  const envRaw = r.raw('RUSTCHAT_ENVIRONMENT')?.toLowerCase();
  const environment: Environment = envRaw === 'production' || envRaw === 'prod' ? 'production' : 'development';
  const isProduction = environment === 'production';
  if (envRaw !== undefined && !isProduction && !['development', 'dev', 'test', 'local'].includes(envRaw)) {
    r.warnings.push(`RUSTCHAT_ENVIRONMENT=${envRaw} is not "production", so the server runs in development mode`);
  }

  const host = r.string('RUSTCHAT_SERVER_HOST', '0.0.0.0');
  const port = r.int('RUSTCHAT_SERVER_PORT', 3000, 0, 65535);

  // Site URL.
  let siteUrl = `http://localhost:${port}`;
  const siteRaw = r.raw('RUSTCHAT_SITE_URL');
  if (siteRaw !== undefined) {
    const origin = normalizeOrigin(siteRaw);
    if (origin === undefined) r.errors.push('RUSTCHAT_SITE_URL must be an http:// or https:// URL');
    else siteUrl = origin;
  }
  if (isProduction) {
    if (siteRaw === undefined) r.errors.push('RUSTCHAT_SITE_URL is required in production');
    else if (!siteUrl.startsWith('https://')) r.errors.push('RUSTCHAT_SITE_URL must use https:// in production');
  }

  // CORS allow list.
  const corsAllowedOrigins: string[] = [];
  for (const entry of r.list('RUSTCHAT_CORS_ALLOWED_ORIGINS')) {
    if (entry === '*') {
      if (isProduction) r.errors.push('RUSTCHAT_CORS_ALLOWED_ORIGINS must not contain "*" in production: list the exact origins (https://chat.example.com)');
      else r.warnings.push('RUSTCHAT_CORS_ALLOWED_ORIGINS contains "*": every origin may call the API without credentials (development only)');
      corsAllowedOrigins.push('*');
      continue;
    }
    if (entry.toLowerCase() === 'null') {
      r.errors.push('RUSTCHAT_CORS_ALLOWED_ORIGINS must not contain "null"');
      continue;
    }
    const origin = normalizeOrigin(entry);
    if (origin === undefined) {
      r.errors.push(`RUSTCHAT_CORS_ALLOWED_ORIGINS has an entry that is not an origin URL: ${JSON.stringify(entry)}`);
      continue;
    }
    if (isProduction && !origin.startsWith('https://')) {
      r.errors.push(`RUSTCHAT_CORS_ALLOWED_ORIGINS entries must use https:// in production (${origin})`);
    }
    corsAllowedOrigins.push(origin);
  }

  const databaseUrl = r.raw('RUSTCHAT_DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    r.errors.push('RUSTCHAT_DATABASE_URL must be a postgres:// URL');
  }
  const redisUrl = r.raw('RUSTCHAT_REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) r.errors.push('RUSTCHAT_REDIS_URL must be a redis:// or rediss:// URL');

  const smtpUrl = r.secret('RUSTCHAT_SMTP_URL');
  if (smtpUrl !== undefined) {
    // Parsed here, so that a malformed URL stops the server with its name, never later. No
    // query string: nodemailer would let it override TLS and logging settings.
    let parsed: URL | undefined;
    try {
      parsed = new URL(smtpUrl);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') || parsed.hostname === '') {
      r.errors.push('RUSTCHAT_SMTP_URL must be an smtp:// or smtps:// URL (user and password percent-encoded)');
    } else if (parsed.search !== '' || parsed.hash !== '' || (parsed.pathname !== '' && parsed.pathname !== '/')) {
      r.errors.push('RUSTCHAT_SMTP_URL must be smtp[s]://[user:password@]host[:port] with no path or query options');
    }
  }
  const smtpFrom = r.raw('RUSTCHAT_SMTP_FROM');
  if (smtpFrom !== undefined && !/@[^@\s>]+>?\s*$/.test(smtpFrom)) r.errors.push('RUSTCHAT_SMTP_FROM must be an e-mail address, optionally with a name: `RustChat <no-reply@example.com>`');

  const hostList = (name: string): string[] => {
    const hosts: string[] = [];
    for (const entry of r.list(name)) {
      const host = normalizeHost(entry);
      if (host === undefined) r.errors.push(`${name} has an entry that is not a host name or address (no scheme, port or path): ${JSON.stringify(entry)}`);
      else hosts.push(host);
    }
    return hosts;
  };
  const outboundAllowedHosts = hostList('RUSTCHAT_OUTBOUND_ALLOWED_HOSTS');
  const linkPreviewAllowedHosts = hostList('RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS');

  const adminEmail = r.raw('RUSTCHAT_ADMIN_USER');
  const adminPassword = r.secret('RUSTCHAT_ADMIN_PASSWORD');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    r.errors.push('RUSTCHAT_ADMIN_USER and RUSTCHAT_ADMIN_PASSWORD must be set together');
  }
  if (adminEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(adminEmail)) r.errors.push('RUSTCHAT_ADMIN_USER must be an e-mail address');

  const issuer = r.raw('RUSTCHAT_JWT_ISSUER');
  const audience = r.raw('RUSTCHAT_JWT_AUDIENCE');
  if (isProduction && issuer === undefined) r.errors.push('RUSTCHAT_JWT_ISSUER is required in production');
  if (isProduction && audience === undefined) r.errors.push('RUSTCHAT_JWT_AUDIENCE is required in production');
  const expiryHours = r.int('RUSTCHAT_JWT_EXPIRY_HOURS', 24, 1, 24 * 365);

  const logLevel = r.oneOf<LogLevel>('RUSTCHAT_LOG_LEVEL', LOG_LEVELS, 'info');
  const maxBodyBytes = r.int('RUSTCHAT_MAX_BODY_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024);

  const rateLimitEnabled = r.bool('RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED', true);
  if (!rateLimitEnabled && isProduction) r.warnings.push('RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED=false: auth endpoints and WebSocket handshakes are not rate limited');
  const authPerMinute = r.int('RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE', 10, 1, 1_000_000);
  const wsPerMinute = r.int('RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE', 30, 1, 1_000_000);
  const loginPerAccountPerHour = r.int('RUSTCHAT_SECURITY_RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_HOUR', 100, 1, 1_000_000);
  const trustedProxies = r.list('RUSTCHAT_SECURITY_TRUSTED_PROXIES');
  const cidrProblem = parseCidrList(trustedProxies).error;
  if (cidrProblem !== undefined) r.errors.push(`RUSTCHAT_SECURITY_TRUSTED_PROXIES: ${cidrProblem}`);

  const delivery = r.raw('RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY');
  if (delivery !== undefined && delivery.toLowerCase() !== 'cookie') {
    r.errors.push('RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY must be "cookie": only one-time exchange codes with an HttpOnly cookie are supported (tokens never appear in redirect URLs)');
  }
  if (r.raw('RUSTCHAT_SECURITY_WS_ALLOW_QUERY_TOKEN') !== undefined) {
    const allowQuery = r.bool('RUSTCHAT_SECURITY_WS_ALLOW_QUERY_TOKEN', false);
    if (allowQuery) r.errors.push('RUSTCHAT_SECURITY_WS_ALLOW_QUERY_TOKEN=true is refused: query-token authentication has been removed; send the token in the Authorization header or Sec-WebSocket-Protocol');
    else r.warnings.push('RUSTCHAT_SECURITY_WS_ALLOW_QUERY_TOKEN is deprecated and has no effect (query tokens are always refused); remove it');
  }

  const maxConnectionsPerUser = r.int('RUSTCHAT_WS_MAX_CONNECTIONS_PER_USER', 20, 1, 10_000);
  const maxFrameBytes = r.int('RUSTCHAT_WS_MAX_FRAME_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024);
  const ws = {
    maxConnectionsPerUser,
    maxFrameBytes,
    replayBufferSize: r.int('RUSTCHAT_WS_REPLAY_BUFFER_SIZE', 512, 1, 100_000),
    resumeWindowSeconds: r.int('RUSTCHAT_WS_RESUME_WINDOW_SECONDS', 120, 1, 3600),
    sendQueueSize: r.int('RUSTCHAT_WS_SEND_QUEUE_SIZE', 256, 1, 100_000),
    socketBufferBytes: r.int('RUSTCHAT_WS_SOCKET_BUFFER_BYTES', 256 * 1024, 16 * 1024, 64 * 1024 * 1024),
    maxActionsPerSecond: r.int('RUSTCHAT_WS_MAX_ACTIONS_PER_SECOND', 10, 1, 10_000),
    presenceFanoutLimit: r.int('RUSTCHAT_WS_PRESENCE_FANOUT_LIMIT', 500, 0, 1_000_000),
    heartbeatSeconds: r.int('RUSTCHAT_WS_HEARTBEAT_SECONDS', 30, 1, 3600),
  };
  const metricsPort = r.int('RUSTCHAT_METRICS_PORT', 9464, 0, 65535);
  const metricsHost = r.string('RUSTCHAT_METRICS_HOST', '127.0.0.1');
  const metricsToken = r.secret('RUSTCHAT_METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) r.errors.push('RUSTCHAT_METRICS_TOKEN must be at least 16 characters');

  const dataDir = resolve(cwd, r.string('RUSTCHAT_DATA_DIR', './data'));

  // In-process TLS (optional): both files or neither, and they must make a usable pair.
  let tls: Config['tls'];
  const certRaw = r.raw('RUSTCHAT_TLS_CERT_FILE');
  const keyRaw = r.raw('RUSTCHAT_TLS_KEY_FILE');
  if ((certRaw === undefined) !== (keyRaw === undefined)) {
    r.errors.push('RUSTCHAT_TLS_CERT_FILE and RUSTCHAT_TLS_KEY_FILE must be set together');
  } else if (certRaw !== undefined && keyRaw !== undefined) {
    const certFile = resolve(cwd, certRaw);
    const keyFile = resolve(cwd, keyRaw);
    try {
      createSecureContext({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' });
      tls = { certFile, keyFile };
    } catch (err) {
      // The message names a file or a PEM problem, never key material.
      r.errors.push(`RUSTCHAT_TLS_CERT_FILE/RUSTCHAT_TLS_KEY_FILE are not a readable PEM certificate and matching key (${(err as Error).message.split('\n')[0]})`);
    }
  }

  // Secrets (contract §1): check what is given, generate what is missing in development.
  const secretNames = ['RUSTCHAT_JWT_SECRET', 'RUSTCHAT_ENCRYPTION_KEY'] as const;
  const secrets: Record<(typeof secretNames)[number], string | undefined> = {
    RUSTCHAT_JWT_SECRET: r.secret('RUSTCHAT_JWT_SECRET'),
    RUSTCHAT_ENCRYPTION_KEY: r.secret('RUSTCHAT_ENCRYPTION_KEY'),
  };
  const checkInto = (name: string, value: string): void => {
    for (const f of checkSecret(name, value)) {
      if (f.severity === 'error') {
        weakSecret = true;
        (isProduction ? r.errors : r.warnings).push(f.message);
      } else {
        r.warnings.push(f.message);
      }
    }
  };
  for (const name of secretNames) {
    const value = secrets[name];
    if (value === undefined) {
      if (isProduction) {
        weakSecret = true;
        r.errors.push(`${name} is required in production (generate one with \`openssl rand -base64 48\`)`);
      }
    } else {
      checkInto(name, value);
    }
  }
  for (const name of ['RUSTCHAT_JWT_SECRET_PREVIOUS', 'RUSTCHAT_ENCRYPTION_KEY_PREVIOUS']) {
    const value = r.secret(name);
    if (value !== undefined && Array.from(value).length < 32) {
      (isProduction ? r.errors : r.warnings).push(`${name} is too short (at least 32 characters)`);
    }
  }
  if (secrets.RUSTCHAT_JWT_SECRET !== undefined && secrets.RUSTCHAT_JWT_SECRET === secrets.RUSTCHAT_ENCRYPTION_KEY) {
    weakSecret = true;
    (isProduction ? r.errors : r.warnings).push('RUSTCHAT_JWT_SECRET and RUSTCHAT_ENCRYPTION_KEY must be different');
  }

  const files = readFilesConfig(r, dataDir, isProduction);

  // Read everything before deciding, so that every problem is reported in one go.
  const poolSize = r.int('RUSTCHAT_DATABASE_POOL_SIZE', 10, 1, 1000);
  const statementTimeoutMs = r.int('RUSTCHAT_DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000);
  const workers = r.int('RUSTCHAT_WORKERS', availableParallelism(), 1, 256);
  const redisPrefix = r.string('RUSTCHAT_REDIS_PREFIX', 'rustchat:');
  const allowRegistration = r.bool('RUSTCHAT_ALLOW_REGISTRATION', true);
  const linkPreviews = r.bool('RUSTCHAT_LINK_PREVIEWS', true);
  const webhooks = { allowUsernameOverride: r.bool('RUSTCHAT_WEBHOOKS_ALLOW_USERNAME_OVERRIDE', false), allowIconOverride: r.bool('RUSTCHAT_WEBHOOKS_ALLOW_ICON_OVERRIDE', false) };
  const webhookPerMinute = r.int('RUSTCHAT_SECURITY_RATE_LIMIT_WEBHOOK_PER_MINUTE', 60, 1, 1_000_000);
  const integrations = {
    personalAccessTokens: r.bool('RUSTCHAT_PERSONAL_ACCESS_TOKENS', false),
    botCreators: r.oneOf('RUSTCHAT_BOT_CREATORS', ['admins', 'users'] as const, 'admins'),
    customCommandCreators: r.oneOf('RUSTCHAT_CUSTOM_COMMAND_CREATORS', ['team_admins', 'members'] as const, 'team_admins'),
  };
  const notifications = {
    emailDelaySeconds: r.int('RUSTCHAT_NOTIFY_EMAIL_DELAY_SECONDS', 300, 0, 7 * 24 * 3600),
    content: r.oneOf<'full' | 'generic' | 'id_only'>('RUSTCHAT_NOTIFY_CONTENT', ['full', 'generic', 'id_only'], 'generic'),
    channelMentionConfirmMembers: r.int('RUSTCHAT_NOTIFY_CHANNEL_MENTION_CONFIRM_MEMBERS', 5, 0, 1_000_000),
    channelMentionsPerMinute: r.int('RUSTCHAT_NOTIFY_CHANNEL_MENTIONS_PER_MINUTE', 10, 1, 1_000_000),
    pushProxyUrl: r.raw('RUSTCHAT_PUSH_PROXY_URL'),
  };
  if (notifications.pushProxyUrl !== undefined && !/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(notifications.pushProxyUrl)) r.errors.push('RUSTCHAT_PUSH_PROXY_URL must be an http:// or https:// URL');

  if (r.errors.length > 0) return { config: undefined, errors: r.errors, warnings: r.warnings, weakSecret };

  if (!isProduction && (secrets.RUSTCHAT_JWT_SECRET === undefined || secrets.RUSTCHAT_ENCRYPTION_KEY === undefined)) {
    const generated = developmentSecrets(dataDir, options.persistGeneratedSecrets ?? true);
    for (const name of secretNames) {
      if (secrets[name] === undefined) {
        secrets[name] = generated[name];
        r.warnings.push(`${name} is not set: using a random development value kept in ${join(dataDir, DEV_SECRETS_FILE)} (set it explicitly in production)`);
      }
    }
  }

  const config: Config = deepFreeze({
    environment,
    isProduction,
    server: { host, port },
    tls,
    siteUrl,
    dataDir,
    database: { url: databaseUrl, poolSize, statementTimeoutMs },
    workers,
    redisUrl,
    redisPrefix,
    admin: adminEmail !== undefined && adminPassword !== undefined ? { email: adminEmail, password: adminPassword } : undefined,
    corsAllowedOrigins,
    jwt: {
      secret: secrets.RUSTCHAT_JWT_SECRET!,
      previousSecret: r.secret('RUSTCHAT_JWT_SECRET_PREVIOUS'),
      issuer: issuer ?? 'rustchat',
      audience: audience ?? 'rustchat',
      expiryHours,
    },
    encryption: { key: secrets.RUSTCHAT_ENCRYPTION_KEY!, previousKey: r.secret('RUSTCHAT_ENCRYPTION_KEY_PREVIOUS') },
    smtp: smtpUrl === undefined ? undefined : { url: smtpUrl, from: smtpFrom ?? `RustChat <no-reply@${new URL(siteUrl).hostname}>` },
    outbound: { allowedHosts: outboundAllowedHosts },
    linkPreviews: { enabled: linkPreviews, allowedHosts: linkPreviewAllowedHosts },
    webhooks,
    notifications: { ...notifications, pushProxyUrl: notifications.pushProxyUrl?.replace(/\/+$/, '') },
    allowRegistration,
    integrations,
    logLevel,
    maxBodyBytes,
    security: { rateLimitEnabled, authPerMinute, wsPerMinute, loginPerAccountPerHour, webhookPerMinute, trustedProxies, oauthTokenDelivery: 'cookie' },
    ws,
    metrics: { port: metricsPort, host: metricsHost, token: metricsToken },
    files,
  });
  return { config, errors: [], warnings: r.warnings, weakSecret };
}

function readFilesConfig(r: Reader, dataDir: string, isProduction: boolean): Config['files'] {
  const dir = resolve(dataDir, r.string('RUSTCHAT_FILES_DIR', join(dataDir, 'files')));
  const quota = r.bytes('RUSTCHAT_FILES_USER_QUOTA', 10 * 1024 ** 3, 0, 2 ** 50);
  let s3: Config['files']['s3'];
  const bucket = r.raw('RUSTCHAT_S3_BUCKET');
  const endpoint = r.raw('RUSTCHAT_S3_ENDPOINT');
  const accessKeyId = r.raw('RUSTCHAT_S3_ACCESS_KEY_ID');
  const secretAccessKey = r.secret('RUSTCHAT_S3_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) r.errors.push('RUSTCHAT_S3_ACCESS_KEY_ID and RUSTCHAT_S3_SECRET_ACCESS_KEY must be set together');
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) r.errors.push('RUSTCHAT_S3_ENDPOINT must be an http:// or https:// URL');
    else if (isProduction && url.protocol === 'http:' && !isLoopbackHost(url.hostname)) r.errors.push('RUSTCHAT_S3_ENDPOINT must use https:// in production (files would cross the network in the clear)');
  }
  if (bucket === undefined) {
    if (endpoint !== undefined || accessKeyId !== undefined) r.errors.push('RUSTCHAT_S3_* is set without RUSTCHAT_S3_BUCKET');
  } else {
    s3 = {
      bucket,
      region: r.string('RUSTCHAT_S3_REGION', 'us-east-1'),
      endpoint,
      forcePathStyle: r.bool('RUSTCHAT_S3_FORCE_PATH_STYLE', false),
      credentials: accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : undefined,
    };
  }
  return {
    maxSize: r.bytes('RUSTCHAT_FILES_MAX_SIZE', 50 * 1024 ** 2, 1024, 2 ** 40),
    userQuota: quota === 0 ? null : quota,
    unattachedHours: r.int('RUSTCHAT_FILES_UNATTACHED_HOURS', 24, 1, 24 * 365),
    maxImagePixels: r.int('RUSTCHAT_FILES_MAX_IMAGE_PIXELS', 50_000_000, 1, 1_000_000_000),
    dir,
    tmpDir: join(dir, '.tmp'),
    s3,
  };
}

export const DEV_SECRETS_FILE = 'dev-secrets.json';

/** Development only: random secrets kept in the data directory (mode 0600) so sessions survive restarts. */
function developmentSecrets(dataDir: string, persist: boolean): Record<'RUSTCHAT_JWT_SECRET' | 'RUSTCHAT_ENCRYPTION_KEY', string> {
  const path = join(dataDir, DEV_SECRETS_FILE);
  if (existsSync(path)) {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    if (typeof parsed.RUSTCHAT_JWT_SECRET === 'string' && typeof parsed.RUSTCHAT_ENCRYPTION_KEY === 'string') {
      return { RUSTCHAT_JWT_SECRET: parsed.RUSTCHAT_JWT_SECRET, RUSTCHAT_ENCRYPTION_KEY: parsed.RUSTCHAT_ENCRYPTION_KEY };
    }
  }
  const fresh = {
    RUSTCHAT_JWT_SECRET: randomBytes(48).toString('base64'),
    RUSTCHAT_ENCRYPTION_KEY: randomBytes(48).toString('base64'),
  };
  if (persist) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, JSON.stringify(fresh), { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return fresh;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
