/** The typed, frozen configuration object passed to every part of the server. */
export type Environment = 'production' | 'development';
/** The log levels (pino's), most severe first: the one list the parser, the docs and early boot use. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export interface Config {
  readonly environment: Environment;
  readonly isProduction: boolean;
  readonly server: { readonly host: string; readonly port: number };
  /** Terminate TLS in process (TLS 1.2+); undefined: plain HTTP behind a TLS proxy. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** Public origin of the site, without a trailing slash. */
  readonly siteUrl: string;
  readonly dataDir: string;
  /** `statementTimeoutMs`: PostgreSQL cancels a request's statement after that long (0 = never). */
  readonly database: { readonly url: string | undefined; readonly poolSize: number; readonly statementTimeoutMs: number };
  /** Server processes on this machine (1 = one process, no primary); default: the number of cores. */
  readonly workers: number;
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string;
  readonly admin: { readonly email: string; readonly password: string } | undefined;
  readonly corsAllowedOrigins: readonly string[];
  readonly jwt: {
    readonly secret: string;
    readonly previousSecret: string | undefined;
    readonly issuer: string;
    readonly audience: string;
    readonly expiryHours: number;
  };
  readonly encryption: { readonly key: string; readonly previousKey: string | undefined };
  /** Outgoing mail (password reset); undefined: no mail transport, reset by e-mail is off. */
  readonly smtp: { readonly url: string; readonly from: string } | undefined;
  /** The outbound HTTP client (src/security/outbound.ts): internal hosts an admin trusts. */
  readonly outbound: { readonly allowedHosts: readonly string[] };
  /**
   * Link previews (services/link-previews.ts): fetched through the outbound client, public
   * addresses on ports 80/443 only, unless the host is in their own allow-list.
   */
  readonly linkPreviews: { readonly enabled: boolean; readonly allowedHosts: readonly string[] };
  /** Integrations (services/webhooks.ts): what a webhook payload may override. */
  readonly webhooks: { readonly allowUsernameOverride: boolean; readonly allowIconOverride: boolean };
  /** Notifications (services/notifications.ts): e-mail delay and content, the @channel confirmation and flood limits, the push proxy. */
  readonly notifications: {
    readonly emailDelaySeconds: number;
    readonly content: 'full' | 'generic' | 'id_only';
    readonly channelMentionConfirmMembers: number;
    readonly channelMentionsPerMinute: number;
    readonly pushProxyUrl: string | undefined;
  };
  readonly allowRegistration: boolean;
  /** Integrations (issue #16): personal access tokens on or off, who creates bots and custom slash commands. */
  readonly integrations: {
    readonly personalAccessTokens: boolean;
    readonly botCreators: 'admins' | 'users';
    readonly customCommandCreators: 'team_admins' | 'members';
  };
  readonly logLevel: LogLevel;
  readonly maxBodyBytes: number;
  readonly security: {
    readonly rateLimitEnabled: boolean;
    readonly authPerMinute: number;
    readonly wsPerMinute: number;
    readonly loginPerAccountPerHour: number;
    /** Executions per minute of one incoming webhook. */
    readonly webhookPerMinute: number;
    readonly trustedProxies: readonly string[];
    readonly oauthTokenDelivery: 'cookie';
  };
  readonly ws: {
    readonly maxConnectionsPerUser: number;
    readonly maxFrameBytes: number;
    readonly replayBufferSize: number;
    readonly resumeWindowSeconds: number;
    readonly sendQueueSize: number;
    readonly socketBufferBytes: number;
    readonly maxActionsPerSecond: number;
    readonly presenceFanoutLimit: number;
    readonly heartbeatSeconds: number;
  };
  readonly metrics: { readonly port: number; readonly host: string; readonly token: string | undefined };
  readonly files: FilesConfig;
}

/** Shared files and avatars (RUSTCHAT_FILES_*, RUSTCHAT_S3_*). */
export interface FilesConfig {
  /** Largest accepted file, in bytes. */
  readonly maxSize: number;
  /** Bytes of live files one user may keep; null: no quota. */
  readonly userQuota: number | null;
  /** Uploads never attached to a post are removed after this many hours. */
  readonly unattachedHours: number;
  /** Images larger than this many pixels (width × height, any frame) are refused. */
  readonly maxImagePixels: number;
  /** Local-disk storage root (used when `s3` is undefined). */
  readonly dir: string;
  /** Temporary files of uploads in progress (same filesystem as `dir`: stored by a rename). */
  readonly tmpDir: string;
  readonly s3: S3Config | undefined;
}

export interface S3Config {
  readonly bucket: string;
  readonly region: string;
  /** Custom endpoint (MinIO, Ceph, ...); undefined: AWS. */
  readonly endpoint: string | undefined;
  readonly forcePathStyle: boolean;
  /** Undefined: the SDK's default credential chain (environment, instance role). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
}
