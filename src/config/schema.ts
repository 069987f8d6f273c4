/**
 * Every RUSTCHAT_* variable the server reads, with its default and meaning.
 *
 * This table is the single source for: the parser (config/load.ts), the warning about
 * unknown RUSTCHAT_* names (typos), and the README configuration table (a test checks
 * that every variable here is documented there).
 */
import { LOG_LEVELS } from './config.js';

export interface VariableDoc {
  readonly name: string;
  /** Default as written in the README; '' means "unset". */
  readonly default: string;
  readonly doc: string;
  /** Never printed, never logged. */
  readonly secret?: boolean;
}

export const VARIABLES: readonly VariableDoc[] = [
  { name: 'RUSTCHAT_ENVIRONMENT', default: 'development', doc: '`production` (or `prod`) turns on strict mode: weak secrets and unsafe settings stop the server. Anything else is development.' },
  { name: 'RUSTCHAT_SERVER_HOST', default: '0.0.0.0', doc: 'Address the HTTP/WebSocket server listens on.' },
  { name: 'RUSTCHAT_SERVER_PORT', default: '3000', doc: 'Port the HTTP/WebSocket server listens on.' },
  { name: 'RUSTCHAT_SITE_URL', default: 'http://localhost:<port> (development)', doc: 'Public URL of the site. Required and `https://` in production. Used for redirects and as the allowed WebSocket origin.' },
  { name: 'RUSTCHAT_DATA_DIR', default: './data', doc: 'Directory for the embedded database and, in development, generated secrets.' },
  { name: 'RUSTCHAT_DATABASE_URL', default: '', doc: 'PostgreSQL connection URL (`postgres://user@host:5432/db`). Unset: the embedded SQLite database in the data directory.' },
  { name: 'RUSTCHAT_DATABASE_POOL_SIZE', default: '10', doc: 'PostgreSQL connection pool size.' },
  { name: 'RUSTCHAT_DATABASE_STATEMENT_TIMEOUT_MS', default: '30000', doc: 'PostgreSQL: a statement of a request that runs longer (a stuck lock, a runaway query) is cancelled and the request answers 503, so it cannot hold a pooled connection for ever. `0`: no limit. Migrations and the background search indexing are not limited.' },
  { name: 'RUSTCHAT_WORKERS', default: 'number of cores', doc: 'Server processes on this machine. More than 1: a primary process accepts the connections and hands them to that many workers sharing the database (SQLite in WAL mode or PostgreSQL), with events, presence, connection caps and rate limits shared between them (through the primary, or Redis when set). `1`: one process. See docs/process-model.md.' },
  { name: 'RUSTCHAT_REDIS_URL', default: '', doc: 'Redis URL (`redis://127.0.0.1:6379`). Set it to run several nodes: events, presence, connection caps and rate-limit counters are shared through it.' },
  { name: 'RUSTCHAT_REDIS_PREFIX', default: 'rustchat:', doc: 'Prefix of every Redis key and pub/sub channel, so several deployments (or test runs) can share one Redis.' },
  { name: 'RUSTCHAT_ADMIN_USER', default: '', doc: 'E-mail of a system admin created at start when no user has that e-mail.' },
  { name: 'RUSTCHAT_ADMIN_PASSWORD', default: '', doc: 'Password for `RUSTCHAT_ADMIN_USER` (must meet the password rules).', secret: true },
  { name: 'RUSTCHAT_CORS_ALLOWED_ORIGINS', default: '', doc: 'Comma-separated origins allowed to call the API from a browser. `*` is refused in production; `null` is never allowed.' },
  { name: 'RUSTCHAT_JWT_SECRET', default: 'generated (development)', doc: 'HS256 signing secret for session tokens, ≥ 32 random characters. Required in production; in development a random one is generated and kept in the data directory.', secret: true },
  { name: 'RUSTCHAT_JWT_SECRET_PREVIOUS', default: '', doc: 'Previous JWT secret, still accepted for verification during a rotation grace period.', secret: true },
  { name: 'RUSTCHAT_JWT_ISSUER', default: 'rustchat (development)', doc: '`iss` claim of tokens. Required in production.' },
  { name: 'RUSTCHAT_JWT_AUDIENCE', default: 'rustchat (development)', doc: '`aud` claim of tokens. Required in production.' },
  { name: 'RUSTCHAT_JWT_EXPIRY_HOURS', default: '24', doc: 'Lifetime of a session and its token, in hours.' },
  { name: 'RUSTCHAT_ENCRYPTION_KEY', default: 'generated (development)', doc: 'Key for secrets stored at rest (AES-256-GCM), ≥ 32 random characters, different from the JWT secret. Required in production.', secret: true },
  { name: 'RUSTCHAT_ENCRYPTION_KEY_PREVIOUS', default: '', doc: 'Old encryption key, read by `rustchat rotate-encryption-key` and while a rotation is under way.', secret: true },
  { name: 'RUSTCHAT_SMTP_URL', default: '', doc: 'Mail relay for password-reset and registration e-mails: `smtp://user:pass@host:587` (STARTTLS when offered; required in production unless the relay is on loopback) or `smtps://…:465`. Unset: `POST /auth/password/forgot` answers 503 (no reset by e-mail), and registration creates the account at once (see API).', secret: true },
  { name: 'RUSTCHAT_SMTP_FROM', default: 'RustChat <no-reply@<site host>>', doc: 'Sender (`From:`) of the e-mails the server sends.' },
  { name: 'RUSTCHAT_OUTBOUND_ALLOWED_HOSTS', default: '', doc: 'Comma-separated host names (or addresses) the server may fetch from even though they are internal: loopback, private, link-local, CGNAT and the like are refused otherwise (SSRF). For an identity provider an admin runs inside the network, e.g. `sso.corp.internal`, or a service that outbound integrations (outgoing webhooks, custom slash commands) may call on a private address. Outside production SSO may also reach loopback (a developer\'s local IdP); integrations never do unless the host is listed. Since any team member can aim an outgoing webhook, a host listed here is reachable from every team. Link previews and webhooks\' attachment images do not use this list (see `RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS`).' },
  { name: 'RUSTCHAT_NOTIFY_EMAIL_DELAY_SECONDS', default: '300', doc: 'E-mail notifications: how long after a post a person who is away, offline or in do-not-disturb is mailed about it (messages they read meanwhile are left out). Each person\'s `email_interval` (15 minutes by default) batches further messages into one mail. Needs `RUSTCHAT_SMTP_URL`.' },
  { name: 'RUSTCHAT_NOTIFY_CONTENT', default: 'generic', doc: 'What e-mail and push notifications say: `full` (sender, channel name and message text), `generic` (the sender and, for public channels, the channel name; never message text, and "a private channel" / "a direct message" instead of private names). `id_only`: push carries the ids only (the app fetches the message); e-mail treats it as `generic`.' },
  { name: 'RUSTCHAT_NOTIFY_CHANNEL_MENTION_CONFIRM_MEMBERS', default: '5', doc: 'A post with `@channel`, `@all` or `@here` in a channel with more members than this is refused with `409 CHANNEL_MENTION_CONFIRM_REQUIRED` unless it says `confirm_channel_mention: true` (the client asks the sender first, as Mattermost does).' },
  { name: 'RUSTCHAT_NOTIFY_CHANNEL_MENTIONS_PER_MINUTE', default: '10', doc: 'Posts with `@channel`, `@all` or `@here` one account may make per minute; more get the 429 rate-limit answer (shared across nodes with Redis).' },
  { name: 'RUSTCHAT_PUSH_PROXY_URL', default: '', doc: 'Mattermost-compatible push proxy (`https://push.example.com`) that phones registered by the Mattermost mobile app are notified through (`POST <url>/api/v1/send_push`). Unset: no push notifications. Fetched through the outbound client (an internal proxy must be in `RUSTCHAT_OUTBOUND_ALLOWED_HOSTS`).' },
  { name: 'RUSTCHAT_LINK_PREVIEWS', default: 'true', doc: 'Link previews: after a post is saved, the server fetches its first http(s) link (through the SSRF-safe outbound client: public addresses on ports 80 and 443 only, loopback refused even outside production, unless the host is in `RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS`) and attaches the page\'s title, description, site name and image (stored, never hot-linked). The same switch, client and limits cover the `image_url` and `thumb_url` of webhooks\' Slack attachments (fetched, re-encoded and stored, so readers see them from this server). `false`: no link and no attachment image is ever fetched (attachment images stay links).' },
  { name: 'RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS', default: '', doc: 'Comma-separated internal host names (or addresses) link previews and webhooks\' attachment images may be fetched from, on any port (an intranet wiki whose links should get previews, a CI server whose charts a webhook posts). Kept apart from `RUSTCHAT_OUTBOUND_ALLOWED_HOSTS` because any signed-in user can make the server fetch a link: trusting the IdP for SSO must not open it (or any port of it) to everyone\'s posts.' },
  { name: 'RUSTCHAT_WEBHOOKS_ALLOW_USERNAME_OVERRIDE', default: 'false', doc: 'Whether an incoming webhook\'s payload may set the name its post is shown under (`username`). The post is always the hook creator\'s and marked as from a webhook; a name equal to an existing user\'s is refused. `false`: the field is ignored.' },
  { name: 'RUSTCHAT_WEBHOOKS_ALLOW_ICON_OVERRIDE', default: 'false', doc: 'Whether an incoming webhook\'s payload (or an outgoing webhook\'s reply) may set the icon its post is shown with (`icon_url`, http(s), kept as a URL: the server never fetches it). `false`: the field is ignored.' },
  { name: 'RUSTCHAT_SECURITY_RATE_LIMIT_WEBHOOK_PER_MINUTE', default: '60', doc: 'Executions per minute of one incoming webhook (`POST /hooks/{token}`), whoever calls it; more get the 429 of the rate-limit contract.' },
  { name: 'RUSTCHAT_PERSONAL_ACCESS_TOKENS', default: 'false', doc: 'Personal access tokens (`Authorization: Bearer <token>` for scripts and bots, carrying their owner\'s current permissions). Off by default, as in Mattermost: a token never expires by itself, so an admin opts in. `false` also stops every existing token at once (they work again when turned back on, unless revoked).' },
  { name: 'RUSTCHAT_BOT_CREATORS', default: 'admins', doc: 'Who may create bot accounts: `admins` (system admins only) or `users` (any active user; the creator owns the bot and manages its tokens).' },
  { name: 'RUSTCHAT_CUSTOM_COMMAND_CREATORS', default: 'team_admins', doc: 'Who may register a team\'s custom slash commands: `team_admins` (team admins and system admins) or `members` (any member of the team; only the creator, team admins and system admins then change or delete a command).' },
  { name: 'RUSTCHAT_ALLOW_REGISTRATION', default: 'true', doc: 'Whether anyone may create an account with `POST /api/v1/auth/register`. `false`: only admins create accounts (and SSO auto-provisioning, where enabled).' },
  { name: 'RUSTCHAT_LOG_LEVEL', default: 'info', doc: `One of ${LOG_LEVELS.map((l) => `\`${l}\``).join(', ')}.` },
  { name: 'RUSTCHAT_MAX_BODY_BYTES', default: '1048576', doc: 'Largest accepted JSON request body; larger bodies get 413.' },
  { name: 'RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED', default: 'true', doc: 'Per-IP rate limiting of auth endpoints and WebSocket handshakes. Turning it off in production logs a warning.' },
  { name: 'RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE', default: '10', doc: 'Requests per minute per client IP, shared by all auth endpoints (login, register, password reset, OAuth login/callback/exchange).' },
  { name: 'RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE', default: '30', doc: 'WebSocket handshakes per minute per client IP.' },
  { name: 'RUSTCHAT_SECURITY_RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_HOUR', default: '100', doc: 'Failed logins per account per hour, whatever the source IP. An address the account signed in from in the last 14 days may still sign in while the account is throttled (with a tenth of this budget for wrong passwords), so an attack cannot lock the real user out.' },
  { name: 'RUSTCHAT_SECURITY_TRUSTED_PROXIES', default: '', doc: 'Comma-separated CIDRs of reverse proxies whose `X-Forwarded-For`/`X-Real-IP` are believed (e.g. `127.0.0.1/32`).' },
  { name: 'RUSTCHAT_SECURITY_OAUTH_TOKEN_DELIVERY', default: 'cookie', doc: 'Only `cookie` (one-time exchange code plus HttpOnly cookie) is supported; any other value stops the server.' },
  { name: 'RUSTCHAT_SECURITY_WS_ALLOW_QUERY_TOKEN', default: 'false', doc: '`true` stops the server (query-token authentication has been removed); `false` logs a deprecation warning.' },
  { name: 'RUSTCHAT_WS_MAX_CONNECTIONS_PER_USER', default: '20', doc: 'WebSocket connections one user may hold at once, across all nodes.' },
  { name: 'RUSTCHAT_WS_MAX_FRAME_BYTES', default: '65536', doc: 'Largest accepted WebSocket frame from a client; larger frames close the socket with 1009.' },
  { name: 'RUSTCHAT_WS_REPLAY_BUFFER_SIZE', default: '512', doc: 'Events kept per WebSocket connection for resume (`connection_id` + `sequence_number`); a longer gap gets a new `hello` (the client refetches).' },
  { name: 'RUSTCHAT_WS_RESUME_WINDOW_SECONDS', default: '120', doc: 'How long a dropped WebSocket connection stays resumable; events for it are kept meanwhile.' },
  { name: 'RUSTCHAT_WS_SEND_QUEUE_SIZE', default: '256', doc: 'Events that may wait for a slow WebSocket client. When full, typing and presence events are dropped first, then the client is disconnected (it may resume).' },
  { name: 'RUSTCHAT_WS_SOCKET_BUFFER_BYTES', default: '262144', doc: 'Bytes that may pile up unsent in one WebSocket before further events wait in the send queue.' },
  { name: 'RUSTCHAT_WS_PRESENCE_FANOUT_LIMIT', default: '500', doc: 'Presence changes (`status_change`) go to the people a user shares a channel with, except through channels with more members online on a node than this: there clients load presence when they show the member list (`POST /api/v1/users/status/ids`). Keeps presence from costing n² on large servers.' },
  { name: 'RUSTCHAT_WS_MAX_ACTIONS_PER_SECOND', default: '10', doc: 'Client actions (ping, typing, presence) per WebSocket per second, bursts of twice that; beyond it actions fail with `RATE_LIMIT_EXCEEDED` and the socket is read more slowly.' },
  { name: 'RUSTCHAT_WS_HEARTBEAT_SECONDS', default: '30', doc: 'WebSocket ping period; a client that has not answered the previous ping is dropped (it may resume).' },
  { name: 'RUSTCHAT_TLS_CERT_FILE', default: '', doc: 'PEM certificate chain. Set together with `RUSTCHAT_TLS_KEY_FILE` to have the server terminate TLS itself (TLS 1.2 and 1.3 only) instead of running behind a TLS proxy.' },
  { name: 'RUSTCHAT_TLS_KEY_FILE', default: '', doc: 'PEM private key for `RUSTCHAT_TLS_CERT_FILE`.' },
  { name: 'RUSTCHAT_METRICS_PORT', default: '9464', doc: 'Port of the Prometheus `/metrics` listener. `0` turns the separate listener off.' },
  { name: 'RUSTCHAT_METRICS_HOST', default: '127.0.0.1', doc: 'Address of the metrics listener (loopback: not public by default).' },
  { name: 'RUSTCHAT_METRICS_TOKEN', default: '', doc: 'When set, `/metrics` is also served on the main port to requests with `Authorization: Bearer <token>`.', secret: true },
  { name: 'RUSTCHAT_FILES_MAX_SIZE', default: '50MB', doc: 'Largest file one may upload: bytes, or a number with `KB`, `MB` or `GB` (powers of 1024). Larger uploads get 413.' },
  { name: 'RUSTCHAT_FILES_USER_QUOTA', default: '10GB', doc: 'Bytes of files one user may keep (uploads of deleted posts no longer count), same units; `0`: no quota. An upload over it gets 413.' },
  { name: 'RUSTCHAT_FILES_UNATTACHED_HOURS', default: '24', doc: 'Uploads that no post attached are removed after this many hours.' },
  { name: 'RUSTCHAT_FILES_MAX_IMAGE_PIXELS', default: '50000000', doc: 'Images with more pixels than this (width × height) are refused with 400, before they are decoded (decompression bombs).' },
  { name: 'RUSTCHAT_FILES_DIR', default: '<data dir>/files', doc: 'Where files are stored on local disk (when `RUSTCHAT_S3_BUCKET` is unset). Uploads in progress are written to `<this>/.tmp` first.' },
  { name: 'RUSTCHAT_S3_BUCKET', default: '', doc: 'Store files in this S3 bucket (any S3-compatible store) instead of on local disk. The bucket must exist.' },
  { name: 'RUSTCHAT_S3_REGION', default: 'us-east-1', doc: 'Region of the S3 bucket.' },
  { name: 'RUSTCHAT_S3_ENDPOINT', default: '', doc: 'Endpoint of an S3-compatible store (`https://minio.internal:9000`). Unset: AWS. In production it must be `https://` unless it is on loopback.' },
  { name: 'RUSTCHAT_S3_FORCE_PATH_STYLE', default: 'false', doc: '`true`: address the bucket in the path (`endpoint/bucket/key`), as MinIO and most self-hosted stores need.' },
  { name: 'RUSTCHAT_S3_ACCESS_KEY_ID', default: '', doc: 'S3 access key. Unset (with the secret): the AWS SDK default credentials (environment, instance role).' },
  { name: 'RUSTCHAT_S3_SECRET_ACCESS_KEY', default: '', doc: 'S3 secret key, set together with `RUSTCHAT_S3_ACCESS_KEY_ID`.', secret: true },
];

export const VARIABLE_NAMES: ReadonlySet<string> = new Set(VARIABLES.map((v) => v.name));
