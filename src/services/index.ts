/** Builds every service from its dependencies (called by the composition root only). */
import type { FilesConfig } from '../config/config.js';
import type { Metrics } from '../observability/metrics.js';
import type { SecretBox } from '../security/crypto.js';
import type { RateLimits } from '../security/rate-limit.js';
import type { TokenService } from '../security/tokens.js';
import type { BlobStorage } from '../storage/blob-storage.js';
import { Access } from './access.js';
import { AccessTokenService, type AccessTokenOptions } from './access-tokens.js';
import { AccountService } from './accounts.js';
import { AttachmentImageService } from './attachment-images.js';
import { ChannelService } from './channels.js';
import { CommandService, type CommandOptions } from './commands.js';
import type { PresenceReader, ServiceDeps } from './context.js';
import { EmojiService } from './emoji.js';
import { FetchQueue } from './fetch-queue.js';
import { FileService } from './files.js';
import type { Mailer } from './mail.js';
import { NotificationService, type NotifyContent } from './notifications.js';
import { PushService } from './push.js';
import { PasswordResetService } from './password-reset.js';
import { LinkPreviewService, type PreviewFetcher } from './link-previews.js';
import { PostService } from './posts.js';
import { RegistrationService } from './registration.js';
import { SearchService } from './search.js';
import { SessionService } from './sessions.js';
import { SidebarService } from './sidebar.js';
import { SsoService, type SsoOptions } from './sso.js';
import { TeamService } from './teams.js';
import { ThreadService } from './threads.js';
import { WebhookService, type WebhookFetcher } from './webhooks.js';

export interface Services {
  readonly access: Access;
  readonly sessions: SessionService;
  readonly accounts: AccountService;
  readonly teams: TeamService;
  readonly channels: ChannelService;
  readonly posts: PostService;
  readonly threads: ThreadService;
  readonly files: FileService;
  readonly emoji: EmojiService;
  readonly linkPreviews: LinkPreviewService;
  /** Images of webhooks' Slack attachments, fetched like link previews' (same switch, client and queue). */
  readonly attachmentImages: AttachmentImageService;
  readonly search: SearchService;
  readonly sso: SsoService;
  readonly passwordResets: PasswordResetService;
  readonly registration: RegistrationService;
  readonly sidebar: SidebarService;
  readonly webhooks: WebhookService;
  readonly accessTokens: AccessTokenService;
  readonly commands: CommandService;
  readonly notifications: NotificationService;
  readonly push: PushService;
}

export interface ServiceOptions {
  readonly tokens: TokenService;
  readonly limits: RateLimits;
  readonly metrics: Metrics;
  readonly presence: PresenceReader;
  readonly expiryHours: number;
  readonly allowRegistration: boolean;
  /** Seals secrets at rest (RUSTCHAT_ENCRYPTION_KEY, previous key readable). */
  readonly secretBox: SecretBox;
  readonly sso: SsoOptions;
  /** Sends password-reset and registration mail; undefined: no mail transport configured. */
  readonly mailer: Mailer | undefined;
  /** Where file bytes live (local disk or S3), and the file limits. */
  readonly storage: BlobStorage;
  readonly files: FilesConfig;
  /**
   * Link previews: on or off (RUSTCHAT_LINK_PREVIEWS), and the outbound client they fetch
   * through. Attachment images follow the same switch and use the same client.
   */
  readonly linkPreviews: { readonly enabled: boolean; readonly fetcher: PreviewFetcher; readonly attachmentTaskMs?: number };
  /** Webhooks: what payloads may override, where the URL points, and the outbound client callbacks go through. */
  readonly webhooks: {
    readonly allowUsernameOverride: boolean;
    readonly allowIconOverride: boolean;
    readonly siteUrl: string;
    readonly fetcher: WebhookFetcher;
    readonly retryDelaysMs?: readonly number[] | undefined;
  };
  /** Personal access tokens on or off, who creates bots. */
  readonly accessTokens: AccessTokenOptions;
  /** Slash commands: who registers custom ones, the outbound client they call through, presence for /away etc. */
  readonly commands: Omit<CommandOptions, 'count' | 'siteUrl' | 'signingSecret' | 'limits' | 'mute'>;
  /** Notifications (RUSTCHAT_NOTIFY_*): e-mail delay and content, the @channel confirmation limit, push. */
  readonly notifications: {
    readonly emailDelaySeconds: number;
    readonly content: NotifyContent;
    readonly channelMentionConfirmMembers: number;
    readonly signingSecret: string;
    /** RUSTCHAT_PUSH_PROXY_URL (undefined: no push), and the outbound client's fetch it is reached through. */
    readonly pushProxyUrl: string | undefined;
    readonly pushFetch: (url: string, init: RequestInit) => Promise<Response>;
    /** Back-off base between push tries (tests shorten it). */
    readonly pushBackoffMs?: number | undefined;
  };
}

export function buildServices(deps: ServiceDeps, options: ServiceOptions): Services {
  const access = new Access(deps.store, deps.security, deps.clock);
  const sessions = new SessionService(deps, options.tokens, options.expiryHours, options.accessTokens.enabled);
  const files = new FileService(deps, access, options.storage, options.files);
  // Each needs the other: posts schedule previews, a preview's event carries the post's view.
  // Previews and attachment images share one bounded queue of background fetches.
  const fetchQueue = new FetchQueue(deps.logger);
  const linkPreviews: LinkPreviewService = new LinkPreviewService(deps, access, files, fetchQueue, { ...options.linkPreviews, count: (outcome) => options.metrics.linkPreviews.inc({ outcome }) }, (post, store) => posts.view(post, store));
  const attachmentImages: AttachmentImageService = new AttachmentImageService(deps, access, files, fetchQueue, {
    enabled: options.linkPreviews.enabled, fetcher: options.linkPreviews.fetcher, count: (outcome) => options.metrics.attachmentImages.inc({ outcome }),
    ...(options.linkPreviews.attachmentTaskMs === undefined ? {} : { taskMs: options.linkPreviews.attachmentTaskMs }),
  }, (post, store) => posts.view(post, store));
  const push = new PushService(deps, {
    proxyUrl: options.notifications.pushProxyUrl,
    content: options.notifications.content,
    fetch: options.notifications.pushFetch,
    count: (outcome) => options.metrics.notifications.inc({ medium: 'push', outcome }),
    ...(options.notifications.pushBackoffMs === undefined ? {} : { backoffMs: options.notifications.pushBackoffMs }),
  }, new URL(options.sso.siteUrl).host);
  const notifications = new NotificationService(deps, access, options.presence, {
    siteUrl: options.sso.siteUrl,
    mailer: options.mailer,
    content: options.notifications.content,
    emailDelayMs: options.notifications.emailDelaySeconds * 1000,
    channelMentionConfirmMembers: options.notifications.channelMentionConfirmMembers,
    signingSecret: options.notifications.signingSecret,
    limits: options.limits,
    push,
    count: (medium, outcome) => options.metrics.notifications.inc({ medium, outcome }),
  });
  const posts = new PostService(deps, access, options.presence, options.metrics, files, linkPreviews, notifications, attachmentImages);
  const secretBox = options.secretBox;
  const webhooks = new WebhookService(deps, access, posts, {
    allowUsernameOverride: options.webhooks.allowUsernameOverride, allowIconOverride: options.webhooks.allowIconOverride, siteUrl: options.webhooks.siteUrl,
    fetcher: options.webhooks.fetcher, secretBox, limits: options.limits, metrics: options.metrics,
    ...(options.webhooks.retryDelaysMs === undefined ? {} : { retryDelaysMs: options.webhooks.retryDelaysMs }),
  });
  const channels = new ChannelService(deps, access);
  const accounts = new AccountService(deps, sessions, access, options.limits, options.presence);
  const search = new SearchService(deps, access, posts);
  const commands = new CommandService(deps, access, options.secretBox, { channels, posts, search, accounts }, {
    ...options.commands, count: (command, outcome) => options.metrics.commandExecutions.inc({ command, outcome }),
    siteUrl: options.sso.siteUrl, signingSecret: options.notifications.signingSecret, limits: options.limits,
    mute: (ctx, channelId) => notifications.setChannelProps(ctx, channelId, { mark_unread: 'mention' }),
  });
  return {
    access,
    webhooks,
    sessions,
    accounts,
    teams: new TeamService(deps, access),
    channels,
    posts,
    threads: new ThreadService(deps, access, posts),
    files,
    emoji: new EmojiService(deps, access, files, options.storage),
    linkPreviews,
    attachmentImages,
    search,
    sso: new SsoService(deps, sessions, access, options.secretBox, options.sso),
    passwordResets: new PasswordResetService(deps, sessions, access, options.mailer, options.sso.siteUrl),
    sidebar: new SidebarService(deps, access),
    accessTokens: new AccessTokenService(deps, access, sessions, options.accessTokens),
    commands,
    notifications,
    push,
    registration: new RegistrationService(deps, sessions, options.secretBox, { allowRegistration: options.allowRegistration, mailer: options.mailer, siteUrl: options.sso.siteUrl }),
  };
}
