/**
 * Webhooks: incoming (a secret URL that posts into a channel) and outgoing (posts that match
 * are POSTed to a team's own service, whose answer is posted back), in Slack's and
 * Mattermost's formats.
 *
 * Incoming, `POST /hooks/{token}`:
 *   token → SHA-256 → one indexed lookup (unknown: 404; nothing else is compared, so timing
 *   tells no more than the hash lookup) → the per-hook rate limit (429 contract) → the
 *   creator, loaded now (deactivated: 403) → the target channel (the hook's, or the payload's
 *   `channel`, by name in the hook's team, unless the hook is locked) decided by Access.channel
 *   as the creator, now (no access: 403, whatever the reason) → PostService.create as the
 *   creator, with server-set props: `from_webhook: "true"`, `webhook_id`, and when the admin
 *   allows them `override_username` (never an existing user's name) and `override_icon_url`
 *   (kept as a URL, never fetched by the server), plus the normalised `attachments`. The
 *   author is always the creator: a webhook can look like a bot, never like a person.
 *   The attachments' `image_url` and `thumb_url` stay in props as link targets; after the
 *   post commits, PostService hands it to services/attachment-images.ts, which fetches them
 *   through the link previews' SSRF-safe client and queue (RUSTCHAT_LINK_PREVIEWS,
 *   RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS) and stores a re-encoded copy; nothing here waits
 *   for it. An outgoing hook's answer (below) is a post like this one, and gets the same.
 *
 * Outgoing, after a post committed (PostService.onCreated, never awaited by the post):
 *   public channel of a team, post not itself from a webhook (no loops) → the team's hooks
 *   whose channel/trigger word match (domain/webhooks.ts triggerWord) → a bounded in-memory
 *   queue (QUEUE_LIMIT jobs; beyond it a job is dropped, counted and logged; lost on restart)
 *   → per job: the creator must still be active and able to read the channel → each callback
 *   URL through the SSRF-safe outbound client (internal addresses refused unless the host is
 *   in RUSTCHAT_OUTBOUND_ALLOWED_HOSTS; redirects not followed, since the body carries the
 *   token; bounded time and size),
 *   retried after RETRY_DELAYS_MS on a network error, a 5xx or a 429 (never after a refusal or
 *   another 4xx) → every attempt in the hook's delivery log → a JSON answer with `text` or
 *   `attachments` is posted back as the creator, marked like an incoming webhook's post
 *   (`response_type: "comment"` replies in the post's thread).
 *
 *   The team's hooks are matched from a per-process copy of the team's list (HookLists), not
 *   read per post: every change to a team's hooks sends the control message
 *   `outgoing_webhooks_changed` after its commit, and every process of every node forgets that
 *   team's copy; a bus that may have lost messages (Redis outage) forgets all of them; a copy
 *   older than HOOK_LIST_MS is read again regardless. A job re-reads its hook before
 *   delivering and matches it again, so a deleted or changed hook never fires from a stale copy.
 *
 * Managing hooks goes through Access (WEBHOOK_POLICY: creator or system admin; creating: may
 * post in the channel / TEAM_POLICY.create_webhook); every change is an audit entry.
 */
import { randomUUID } from 'node:crypto';
import { AppError, badRequest, conflict, forbidden, invalid, notFound, RateLimitedError } from '../domain/errors.js';
import type { ControlMessage } from '../domain/events.js';
import type { ChannelContext } from '../domain/policy.js';
import type { PostView } from '../domain/presenters.js';
import {
  encodeOutgoing, httpUrl, normalizeAttachments, normalizeCallbackUrls, normalizeTriggerWords, parseList, triggerWord,
  type Attachment, type IncomingWebhook, type OutgoingContentType, type OutgoingPayload, type OutgoingWebhook, type WebhookDelivery,
} from '../domain/webhooks.js';
import type { Metrics } from '../observability/metrics.js';
import { hashSecret, randomToken, type SecretBox } from '../security/crypto.js';
import { OutboundRefused } from '../security/outbound.js';
import type { RateLimits } from '../security/rate-limit.js';
import { OUTGOING_WEBHOOK_TOKEN } from '../store/sealed.js';
import type { Tx } from '../store/store.js';
import type { Access } from './access.js';
import { clampPage, type CallContext, type ServiceDeps } from './context.js';
import type { PostService } from './posts.js';

/** The part of the outbound client webhooks use (security/outbound.ts). */
export interface WebhookFetcher {
  fetch(input: string, init: RequestInit): Promise<Response>;
  /** Why a URL names a host the client would refuse (IP literals, localhost); undefined: maybe fine (names are checked at connect time). */
  destinationProblem(url: URL): string | undefined;
}

export interface WebhookOptions {
  /** RUSTCHAT_WEBHOOKS_ALLOW_USERNAME_OVERRIDE / _ICON_OVERRIDE. */
  readonly allowUsernameOverride: boolean;
  readonly allowIconOverride: boolean;
  /** For the URL shown at creation. */
  readonly siteUrl: string;
  readonly secretBox: SecretBox;
  readonly limits: RateLimits;
  readonly metrics: Metrics;
  readonly fetcher: WebhookFetcher;
  /** Waits before the 2nd, 3rd… attempt of a callback (default RETRY_DELAYS_MS). */
  readonly retryDelaysMs?: readonly number[];
  /** Jobs waiting; beyond it new ones are dropped (default QUEUE_LIMIT). */
  readonly queueLimit?: number;
  /** Jobs running at once (default 4). */
  readonly concurrency?: number;
}

export const RETRY_DELAYS_MS: readonly number[] = [1000, 5000];
export const QUEUE_LIMIT = 500;
/** Incoming, and outgoing, webhooks one person may have (each kind). */
export const MAX_HOOKS_PER_CREATOR = 50;
/** Outgoing webhooks of one team: every public post of the team is matched against each. */
export const MAX_OUTGOING_PER_TEAM = 100;
/** Callbacks of one creator's hooks waiting at once: one member's hooks cannot fill the queue for everyone. */
export const QUEUE_PER_CREATOR = 100;
/** Delivery attempts kept per outgoing hook. */
export const DELIVERY_LOG_SIZE = 50;
/** The largest callback answer read (the outbound client for webhooks is built with it). */
export const CALLBACK_RESPONSE_BYTES = 64 * 1024;
/** Deadline of one callback attempt, redirects included. */
export const CALLBACK_TIMEOUT_MS = 10_000;
/** The largest incoming webhook request body (a larger one: 413). */
export const INCOMING_BODY_BYTES = 256 * 1024;

const USER_AGENT = 'RustChat-Webhook/1.0';
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export interface IncomingWebhookView {
  id: string;
  channel_id: string;
  team_id: string;
  creator_id: string;
  display_name: string;
  description: string;
  channel_locked: boolean;
  created_at: number;
  updated_at: number;
}

export interface OutgoingWebhookView {
  id: string;
  team_id: string;
  channel_id: string | null;
  creator_id: string;
  display_name: string;
  description: string;
  trigger_words: string[];
  trigger_when: number;
  callback_urls: string[];
  content_type: string;
  created_at: number;
  updated_at: number;
}

export interface DeliveryView {
  id: string;
  url: string;
  attempt: number;
  status: number | null;
  error: string | null;
  duration_ms: number;
  created_at: number;
}

const incomingView = (h: IncomingWebhook): IncomingWebhookView => ({
  id: h.id, channel_id: h.channel_id, team_id: h.team_id, creator_id: h.creator_id, display_name: h.display_name, description: h.description,
  channel_locked: h.channel_locked === 1, created_at: h.created_at, updated_at: h.updated_at,
});

const outgoingView = (h: OutgoingWebhook): OutgoingWebhookView => ({
  id: h.id, team_id: h.team_id, channel_id: h.channel_id, creator_id: h.creator_id, display_name: h.display_name, description: h.description,
  trigger_words: parseList(h.trigger_words), trigger_when: h.trigger_when, callback_urls: parseList(h.callback_urls), content_type: h.content_type,
  created_at: h.created_at, updated_at: h.updated_at,
});

const deliveryView = (d: WebhookDelivery): DeliveryView => ({ id: d.id, url: d.url, attempt: d.attempt, status: d.status, error: d.error, duration_ms: d.duration_ms, created_at: d.created_at });

export interface IncomingInput {
  readonly channel_id?: string | undefined;
  readonly display_name?: string | undefined;
  readonly description?: string | undefined;
  readonly channel_locked?: boolean | undefined;
}

export interface OutgoingInput {
  readonly team_id?: string | undefined;
  readonly channel_id?: string | null | undefined;
  readonly display_name?: string | undefined;
  readonly description?: string | undefined;
  readonly trigger_words?: readonly string[] | undefined;
  readonly trigger_when?: number | undefined;
  readonly callback_urls?: readonly string[] | undefined;
  readonly content_type?: string | undefined;
}

/** Who called an incoming webhook's URL (no session: the token is the credential). */
export interface HookCaller {
  readonly ip: string;
  readonly requestId: string;
}

interface Job {
  readonly hook: OutgoingWebhook;
  readonly post: PostView;
  readonly channel: ChannelContext;
  readonly author: { readonly userId: string; readonly username: string };
}

/** How long a process may match posts against its copy of a team's hooks without reading them again (a backstop: changes are announced). */
export const HOOK_LIST_MS = 60_000;

/**
 * Per-team copies of the outgoing hooks, forgotten on announcement. A read that started before
 * a change was announced does not keep its (possibly stale) answer: each team has a generation
 * that every forget bumps, and an answer is kept only if the generation did not move.
 */
export class HookLists {
  private readonly lists = new Map<string, { readonly hooks: readonly OutgoingWebhook[]; readonly at: number }>();
  private readonly generations = new Map<string, number>();
  private epoch = 0;

  constructor(private readonly clock: () => number, private readonly read: (teamId: string) => Promise<OutgoingWebhook[]>) {}

  async of(teamId: string): Promise<readonly OutgoingWebhook[]> {
    const now = this.clock();
    const cached = this.lists.get(teamId);
    if (cached !== undefined && now - cached.at < HOOK_LIST_MS) return cached.hooks;
    const generation = this.generations.get(teamId) ?? 0;
    const epoch = this.epoch;
    const hooks = await this.read(teamId);
    if (epoch === this.epoch && generation === (this.generations.get(teamId) ?? 0)) this.lists.set(teamId, { hooks, at: now });
    return hooks;
  }

  forget(teamId: string): void {
    this.lists.delete(teamId);
    this.generations.set(teamId, (this.generations.get(teamId) ?? 0) + 1);
  }

  forgetAll(): void {
    this.lists.clear();
    this.generations.clear();
    this.epoch++;
  }
}

const isTeamChannel = (row: ChannelContext): boolean => row.channel.type === 'public' || row.channel.type === 'private';

export class WebhookService {
  private readonly queue: Job[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly stop = new AbortController();
  private readonly retryDelays: readonly number[];
  private readonly queueLimit: number;
  private readonly concurrency: number;
  private closed = false;
  private readonly hookLists: HookLists;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly access: Access,
    private readonly posts: PostService,
    private readonly options: WebhookOptions,
  ) {
    this.hookLists = new HookLists(deps.clock, (teamId) => deps.store.webhooks.outgoingForTeam(teamId));
    this.retryDelays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.queueLimit = Math.max(options.queueLimit ?? QUEUE_LIMIT, 0);
    this.concurrency = Math.max(options.concurrency ?? 4, 1);
    posts.onCreated((post, channel, author) => this.postCreated(post, channel, author));
  }

  /** A control message from the bus (any node): forgets a team's hooks when they changed. */
  onControl(message: ControlMessage): void {
    if (message.kind === 'outgoing_webhooks_changed') this.hookLists.forget(message.teamId);
  }

  /** The bus may have lost messages: forget every team's hooks. */
  onResync(): void {
    this.hookLists.forgetAll();
  }

  private async audit(tx: Tx, ctx: CallContext, action: string, type: 'incoming_webhook' | 'outgoing_webhook', id: string, details: Record<string, unknown>): Promise<void> {
    await tx.audit.append({ id: randomUUID(), actor_id: ctx.actor.userId, action, target_type: type, target_id: id, ip: ctx.ip, details: JSON.stringify(details), created_at: this.deps.clock() });
  }

  private hookUrl(token: string): string {
    return `${this.options.siteUrl.replace(/\/+$/, '')}/hooks/${token}`;
  }

  // ---- incoming: management ----

  /** A channel an incoming hook may post to: one the caller may post in, of a team. */
  private async hookChannel(ctx: CallContext, channelId: string): Promise<ChannelContext> {
    const row = await this.access.channel(ctx, channelId, 'post');
    if (!isTeamChannel(row)) throw invalid('channel_id', 'Incoming webhooks post to public or private channels of a team');
    return row;
  }

  async createIncoming(ctx: CallContext, input: IncomingInput): Promise<IncomingWebhookView & { token: string; url: string }> {
    if (input.channel_id === undefined) throw invalid('channel_id', 'channel_id is required');
    const row = await this.hookChannel(ctx, input.channel_id);
    const token = randomToken(32);
    const now = this.deps.clock();
    const hook: IncomingWebhook = {
      id: randomUUID(), token_hash: hashSecret(token), channel_id: row.channel.id, team_id: row.channel.team_id!, creator_id: ctx.actor.userId,
      display_name: input.display_name ?? '', description: input.description ?? '', channel_locked: input.channel_locked === true ? 1 : 0, created_at: now, updated_at: now,
    };
    await this.deps.store.transaction(async (tx) => {
      if ((await tx.webhooks.listIncoming(ctx.actor.userId, undefined, 0, MAX_HOOKS_PER_CREATOR)).length >= MAX_HOOKS_PER_CREATOR) {
        throw conflict(`A person may create at most ${MAX_HOOKS_PER_CREATOR} incoming webhooks; delete one first`);
      }
      await tx.webhooks.createIncoming(hook);
      await this.audit(tx, ctx, 'webhook.incoming.create', 'incoming_webhook', hook.id, { channel_id: hook.channel_id, display_name: hook.display_name });
    });
    // The token leaves the server here, once; only its hash is kept.
    return { ...incomingView(hook), token, url: this.hookUrl(token) };
  }

  async listIncoming(ctx: CallContext, teamId: string | undefined, page: number | undefined, perPage: number | undefined): Promise<IncomingWebhookView[]> {
    const { creatorId } = this.access.webhookList(ctx);
    const { offset, limit } = clampPage(page, perPage, 200);
    return (await this.deps.store.webhooks.listIncoming(creatorId, teamId, offset, limit)).map(incomingView);
  }

  async getIncoming(ctx: CallContext, id: string): Promise<IncomingWebhookView> {
    return incomingView(await this.access.incomingWebhook(ctx, id, 'manage'));
  }

  async updateIncoming(ctx: CallContext, id: string, input: IncomingInput): Promise<IncomingWebhookView> {
    const hook = await this.access.incomingWebhook(ctx, id, 'manage');
    const patch: { channel_id?: string; team_id?: string; display_name?: string; description?: string; channel_locked?: number } = {};
    if (input.channel_id !== undefined && input.channel_id !== hook.channel_id) {
      const row = await this.hookChannel(ctx, input.channel_id);
      patch.channel_id = row.channel.id;
      patch.team_id = row.channel.team_id!;
    }
    if (input.display_name !== undefined) patch.display_name = input.display_name;
    if (input.description !== undefined) patch.description = input.description;
    if (input.channel_locked !== undefined) patch.channel_locked = input.channel_locked ? 1 : 0;
    const updated = await this.deps.store.transaction(async (tx) => {
      const row = await tx.webhooks.updateIncoming(id, patch, this.deps.clock());
      if (row !== undefined) await this.audit(tx, ctx, 'webhook.incoming.update', 'incoming_webhook', id, { ...patch });
      return row;
    });
    if (updated === undefined) throw notFound('Webhook');
    return incomingView(updated);
  }

  async deleteIncoming(ctx: CallContext, id: string): Promise<void> {
    await this.access.incomingWebhook(ctx, id, 'manage');
    const gone = await this.deps.store.transaction(async (tx) => {
      const row = await tx.webhooks.deleteIncoming(id);
      if (row !== undefined) await this.audit(tx, ctx, 'webhook.incoming.delete', 'incoming_webhook', id, { channel_id: row.channel_id, creator_id: row.creator_id });
      return row;
    });
    if (gone === undefined) throw notFound('Webhook');
  }

  /** A new secret URL for the hook; the old one stops working at once. */
  async regenerateIncoming(ctx: CallContext, id: string): Promise<IncomingWebhookView & { token: string; url: string }> {
    await this.access.incomingWebhook(ctx, id, 'manage');
    const token = randomToken(32);
    const updated = await this.deps.store.transaction(async (tx) => {
      const row = await tx.webhooks.updateIncoming(id, { token_hash: hashSecret(token) }, this.deps.clock());
      if (row !== undefined) await this.audit(tx, ctx, 'webhook.incoming.regenerate_token', 'incoming_webhook', id, {});
      return row;
    });
    if (updated === undefined) throw notFound('Webhook');
    return { ...incomingView(updated), token, url: this.hookUrl(token) };
  }

  // ---- incoming: execution ----

  /** Runs an incoming webhook (`payload`: the parsed JSON, or the form's `payload` parsed). */
  async executeIncoming(caller: HookCaller, token: string, payload: unknown): Promise<{ post_id: string }> {
    // Only the hash is looked up: a wrong token costs the same whatever it resembles.
    const hook = TOKEN_RE.test(token) ? await this.deps.store.webhooks.getIncomingByTokenHash(hashSecret(token)) : undefined;
    if (hook === undefined) {
      // A wrong token is a refusal like any other (contract §7), and guessing is limited per
      // client address (the per-hook limit below only counts once a hook is found).
      this.deps.security.emit('access_denied', { ip: caller.ip, requestId: caller.requestId, resource: 'webhook', action: 'execute', reason: 'unknown_token', status: 404 });
      const probe = await this.options.limits.consumeWebhook(`unknown-token:${caller.ip}`);
      if (!probe.allowed) throw new RateLimitedError(probe.limit, probe.resetAt, probe.retryAfter, 'webhook');
      throw notFound('Webhook');
    }
    const count = (outcome: string): void => {
      this.options.metrics.webhookExecutions.inc({ hook_id: hook.id, kind: 'incoming', outcome });
    };
    const decision = await this.options.limits.consumeWebhook(hook.id);
    if (!decision.allowed) {
      count('rate_limited');
      throw new RateLimitedError(decision.limit, decision.resetAt, decision.retryAfter, 'webhook');
    }
    try {
      const posted = await this.runIncoming(caller, hook, payload);
      count('posted');
      return posted;
    } catch (err) {
      count(err instanceof AppError && (err.status === 403 || err.status === 404) ? 'refused' : 'invalid');
      throw err;
    }
  }

  private async runIncoming(caller: HookCaller, hook: IncomingWebhook, payload: unknown): Promise<{ post_id: string }> {
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw badRequest('The payload must be a JSON object');
    const p = payload as Record<string, unknown>;
    const ctx = await this.creatorContext(hook.creator_id, caller);
    if (ctx === undefined) {
      this.deps.security.emit('access_denied', { ip: caller.ip, requestId: caller.requestId, userId: hook.creator_id, resource: 'webhook', action: 'execute', resource_id: hook.id, reason: 'creator_deactivated', status: 403 });
      throw forbidden('This webhook is disabled: its creator\'s account is deactivated');
    }
    let channelId = hook.channel_id;
    if (p.channel !== undefined && p.channel !== null && p.channel !== '') {
      if (typeof p.channel !== 'string' || p.channel.length > 128) throw invalid('channel', 'channel must be a channel name');
      const name = p.channel.replace(/^[#~]/, '');
      if (name.startsWith('@')) throw invalid('channel', 'Webhooks post to channels; posting to a person (@name) is not supported');
      if (hook.channel_locked === 1) throw forbidden('This webhook is locked to its channel');
      // The name is resolved in the hook's team only; an unknown name is refused like a channel the creator may not post in.
      const target = await this.deps.store.channels.getByName(hook.team_id, name.toLowerCase());
      if (target === undefined) throw forbidden('This webhook may not post to that channel');
      channelId = target.id;
    }
    try {
      await this.access.channel(ctx, channelId, 'post');
    } catch (err) {
      if (err instanceof AppError && (err.status === 403 || err.status === 404)) throw forbidden('This webhook may not post to that channel');
      throw err;
    }
    if (p.text !== undefined && p.text !== null && typeof p.text !== 'string') throw invalid('text', 'text must be a string');
    const text = typeof p.text === 'string' ? p.text : '';
    const attachments = normalizeAttachments(p.attachments);
    if (text.trim() === '' && attachments.length === 0) throw invalid('text', 'The payload needs text or attachments');
    if (p.props !== undefined && p.props !== null && (typeof p.props !== 'object' || Array.isArray(p.props))) throw invalid('props', 'props must be an object');
    const server = await this.markedProps(hook.id, p, attachments);
    const { post } = await this.posts.create(ctx, channelId, { message: text, ...(p.props ? { props: p.props as Record<string, unknown> } : {}) }, { props: server, allowEmpty: attachments.length > 0, noChannelMentionConfirm: true });
    return { post_id: post.id };
  }

  /** The creator as the caller, or undefined when the account is deactivated (or gone). */
  private async creatorContext(userId: string, caller: HookCaller): Promise<CallContext | undefined> {
    const user = await this.deps.store.users.get(userId);
    if (user === undefined || user.deactivated_at !== null) return undefined;
    return { actor: { userId: user.id, username: user.username, role: user.role, sessionId: '' }, ip: caller.ip, requestId: caller.requestId };
  }

  /**
   * The props that mark a post as a webhook's: always `from_webhook` and `webhook_id`; the
   * name and icon overrides only when the admin allows them (ignored otherwise, as Mattermost
   * does); attachments when there are some.
   */
  private async markedProps(hookId: string, p: Record<string, unknown>, attachments: readonly Attachment[]): Promise<Record<string, unknown>> {
    const props: Record<string, unknown> = { from_webhook: 'true', webhook_id: hookId };
    if (this.options.allowUsernameOverride && typeof p.username === 'string' && p.username.trim() !== '') {
      const name = p.username.trim();
      if (Array.from(name).length > 64) throw invalid('username', 'username must be at most 64 characters');
      // Never a person's name: the post would read as theirs.
      const taken = await this.deps.store.users.getByUsernames([name.toLowerCase().replace(/^@/, '')]);
      if (taken.length > 0) throw invalid('username', 'username is the name of an existing user: choose another');
      props.override_username = name;
    }
    if (this.options.allowIconOverride && typeof p.icon_url === 'string' && p.icon_url !== '') {
      const icon = httpUrl('icon_url', p.icon_url);
      // Never fetched by the server; an internal address is still refused, so no client is pointed at one either.
      if (this.options.fetcher.destinationProblem(new URL(icon)) !== undefined) throw invalid('icon_url', 'icon_url must point to a public address');
      props.override_icon_url = icon;
    }
    if (attachments.length > 0) props.attachments = attachments;
    return props;
  }

  // ---- outgoing: management ----

  private async outgoingChannel(ctx: CallContext, teamId: string, channelId: string): Promise<string> {
    const row = await this.access.channel(ctx, channelId, 'read');
    if (row.channel.type !== 'public' || row.channel.team_id !== teamId) throw invalid('channel_id', 'channel_id must be a public channel of the hook\'s team');
    return row.channel.id;
  }

  private checkUrls(urls: readonly string[]): string[] {
    const list = normalizeCallbackUrls(urls);
    for (const u of list) {
      const problem = this.options.fetcher.destinationProblem(new URL(u));
      if (problem !== undefined) throw invalid('callback_urls', `${new URL(u).host} is an internal address (${problem}): an admin must list its host in RUSTCHAT_OUTBOUND_ALLOWED_HOSTS`);
    }
    return list;
  }

  private contentType(raw: string | undefined): OutgoingContentType {
    if (raw === undefined || raw === '' || raw === 'application/json' || raw === 'json') return 'application/json';
    if (raw === 'application/x-www-form-urlencoded') return raw;
    throw invalid('content_type', 'content_type must be application/json or application/x-www-form-urlencoded');
  }

  async createOutgoing(ctx: CallContext, input: OutgoingInput): Promise<OutgoingWebhookView & { token: string }> {
    if (input.team_id === undefined) throw invalid('team_id', 'team_id is required');
    const team = await this.access.team(ctx, input.team_id, 'create_webhook');
    const channelId = input.channel_id === undefined || input.channel_id === null || input.channel_id === '' ? null : await this.outgoingChannel(ctx, team.team.id, input.channel_id);
    const words = normalizeTriggerWords(input.trigger_words ?? []);
    if (words.length === 0 && channelId === null) throw invalid('trigger_words', 'An outgoing webhook needs trigger words, a channel, or both');
    const urls = this.checkUrls(input.callback_urls ?? []);
    const token = randomToken(32);
    const id = randomUUID();
    const now = this.deps.clock();
    const hook: OutgoingWebhook = {
      id, token_sealed: this.options.secretBox.seal(token, OUTGOING_WEBHOOK_TOKEN.aad(id)), team_id: team.team.id, channel_id: channelId, creator_id: ctx.actor.userId,
      display_name: input.display_name ?? '', description: input.description ?? '', trigger_words: JSON.stringify(words), trigger_when: input.trigger_when === 1 ? 1 : 0,
      callback_urls: JSON.stringify(urls), content_type: this.contentType(input.content_type), created_at: now, updated_at: now,
    };
    await this.deps.store.transaction(async (tx) => {
      // Every public post of the team is matched against all of them: a bound on both counts.
      if ((await tx.webhooks.listOutgoing(ctx.actor.userId, undefined, 0, MAX_HOOKS_PER_CREATOR)).length >= MAX_HOOKS_PER_CREATOR) {
        throw conflict(`A person may create at most ${MAX_HOOKS_PER_CREATOR} outgoing webhooks; delete one first`);
      }
      if ((await tx.webhooks.outgoingForTeam(hook.team_id)).length >= MAX_OUTGOING_PER_TEAM) throw conflict(`A team may have at most ${MAX_OUTGOING_PER_TEAM} outgoing webhooks`);
      await tx.webhooks.createOutgoing(hook);
      tx.control({ kind: 'outgoing_webhooks_changed', teamId: hook.team_id });
      await this.audit(tx, ctx, 'webhook.outgoing.create', 'outgoing_webhook', id, { team_id: hook.team_id, channel_id: channelId, callback_urls: urls });
    });
    return { ...outgoingView(hook), token };
  }

  async listOutgoing(ctx: CallContext, teamId: string | undefined, page: number | undefined, perPage: number | undefined): Promise<OutgoingWebhookView[]> {
    const { creatorId } = this.access.webhookList(ctx);
    const { offset, limit } = clampPage(page, perPage, 200);
    return (await this.deps.store.webhooks.listOutgoing(creatorId, teamId, offset, limit)).map(outgoingView);
  }

  async getOutgoing(ctx: CallContext, id: string): Promise<OutgoingWebhookView> {
    return outgoingView(await this.access.outgoingWebhook(ctx, id, 'manage'));
  }

  async updateOutgoing(ctx: CallContext, id: string, input: OutgoingInput): Promise<OutgoingWebhookView> {
    const hook = await this.access.outgoingWebhook(ctx, id, 'manage');
    if (input.team_id !== undefined && input.team_id !== hook.team_id) throw invalid('team_id', 'An outgoing webhook stays in its team');
    const patch: { channel_id?: string | null; display_name?: string; description?: string; trigger_words?: string; trigger_when?: number; callback_urls?: string; content_type?: string } = {};
    if (input.channel_id !== undefined) patch.channel_id = input.channel_id === null || input.channel_id === '' ? null : await this.outgoingChannel(ctx, hook.team_id, input.channel_id);
    if (input.trigger_words !== undefined) patch.trigger_words = JSON.stringify(normalizeTriggerWords(input.trigger_words));
    const channelAfter = patch.channel_id !== undefined ? patch.channel_id : hook.channel_id;
    if (parseList(patch.trigger_words ?? hook.trigger_words).length === 0 && channelAfter === null) throw invalid('trigger_words', 'An outgoing webhook needs trigger words, a channel, or both');
    if (input.trigger_when !== undefined) patch.trigger_when = input.trigger_when === 1 ? 1 : 0;
    if (input.callback_urls !== undefined) patch.callback_urls = JSON.stringify(this.checkUrls(input.callback_urls));
    if (input.content_type !== undefined) patch.content_type = this.contentType(input.content_type);
    if (input.display_name !== undefined) patch.display_name = input.display_name;
    if (input.description !== undefined) patch.description = input.description;
    const updated = await this.deps.store.transaction(async (tx) => {
      const row = await tx.webhooks.updateOutgoing(id, patch, this.deps.clock());
      if (row !== undefined) {
        tx.control({ kind: 'outgoing_webhooks_changed', teamId: row.team_id });
        await this.audit(tx, ctx, 'webhook.outgoing.update', 'outgoing_webhook', id, { ...patch });
      }
      return row;
    });
    if (updated === undefined) throw notFound('Webhook');
    return outgoingView(updated);
  }

  async deleteOutgoing(ctx: CallContext, id: string): Promise<void> {
    await this.access.outgoingWebhook(ctx, id, 'manage');
    const gone = await this.deps.store.transaction(async (tx) => {
      const row = await tx.webhooks.deleteOutgoing(id);
      if (row !== undefined) {
        tx.control({ kind: 'outgoing_webhooks_changed', teamId: row.team_id });
        await this.audit(tx, ctx, 'webhook.outgoing.delete', 'outgoing_webhook', id, { team_id: row.team_id, creator_id: row.creator_id });
      }
      return row;
    });
    if (gone === undefined) throw notFound('Webhook');
  }

  /** A new token for the hook (shown once); callbacks carry it from now on. */
  async regenerateOutgoing(ctx: CallContext, id: string): Promise<OutgoingWebhookView & { token: string }> {
    await this.access.outgoingWebhook(ctx, id, 'manage');
    const token = randomToken(32);
    const updated = await this.deps.store.transaction(async (tx) => {
      const row = await tx.webhooks.updateOutgoing(id, { token_sealed: this.options.secretBox.seal(token, OUTGOING_WEBHOOK_TOKEN.aad(id)) }, this.deps.clock());
      if (row !== undefined) await this.audit(tx, ctx, 'webhook.outgoing.regenerate_token', 'outgoing_webhook', id, {});
      return row;
    });
    if (updated === undefined) throw notFound('Webhook');
    return { ...outgoingView(updated), token };
  }

  /** The hook's last delivery attempts, newest first. */
  async deliveries(ctx: CallContext, id: string): Promise<DeliveryView[]> {
    await this.access.outgoingWebhook(ctx, id, 'manage');
    return (await this.deps.store.webhooks.deliveries(id, DELIVERY_LOG_SIZE)).map(deliveryView);
  }

  // ---- outgoing: delivery ----

  private postCreated(post: PostView, channel: ChannelContext, author: { userId: string; username: string }): void {
    if (this.closed || channel.channel.type !== 'public' || channel.channel.team_id === null) return;
    // A webhook's own post (or a reply to a callback) never triggers another callback.
    if (post.props.from_webhook !== undefined) return;
    this.track(this.match(post, channel, author));
  }

  private async match(post: PostView, channel: ChannelContext, author: { userId: string; username: string }): Promise<void> {
    const hooks = await this.hookLists.of(channel.channel.team_id!);
    for (const hook of hooks) {
      if (triggerWord(hook, channel.channel.id, post.message) === undefined) continue;
      const mine = this.queue.reduce((n, job) => n + (job.hook.creator_id === hook.creator_id ? 1 : 0), 0);
      if (this.queue.length >= this.queueLimit || mine >= QUEUE_PER_CREATOR) {
        this.deps.logger.warn({ hook_id: hook.id, post_id: post.id, queued: this.queue.length, creator_queued: mine }, 'outgoing webhook dropped: the queue is full');
        this.options.metrics.webhookExecutions.inc({ hook_id: hook.id, kind: 'outgoing', outcome: 'dropped' });
        continue;
      }
      this.queue.push({ hook, post, channel, author: { userId: author.userId, username: author.username } });
    }
    this.pump();
  }

  private track(work: Promise<void>): void {
    const run: Promise<void> = work
      .catch((err: unknown) => this.deps.logger.error({ err }, 'outgoing webhook failed'))
      .finally(() => {
        this.running.delete(run);
        this.pump();
      });
    this.running.add(run);
  }

  private busy = 0;

  private pump(): void {
    while (!this.closed && this.busy < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.busy++;
      this.track(this.run(job).finally(() => {
        this.busy--;
      }));
    }
  }

  private async run(job: Job): Promise<void> {
    const { hook, post, channel } = job;
    // Decided now, as the creator: a hook whose creator left the team (or was deactivated) stops.
    const ctx = await this.creatorContext(hook.creator_id, { ip: '', requestId: `webhook:${hook.id}` });
    if (ctx === undefined || !(await this.access.canReadChannel(ctx, channel.channel.id))) {
      this.deps.logger.info({ hook_id: hook.id, post_id: post.id }, 'outgoing webhook skipped: its creator may no longer read the channel');
      return;
    }
    // The hook as it is now (the match used the process's copy of the team's list): deleted, or
    // changed so that the post no longer matches, it does not fire.
    const current = await this.deps.store.webhooks.getOutgoing(hook.id);
    const word = current === undefined ? undefined : triggerWord(current, channel.channel.id, post.message);
    if (current === undefined || word === undefined) return;
    const payload: OutgoingPayload = {
      token: this.options.secretBox.open(current.token_sealed, OUTGOING_WEBHOOK_TOKEN.aad(current.id)),
      team_id: channel.channel.team_id!, team_domain: channel.team?.name ?? '', channel_id: channel.channel.id, channel_name: channel.channel.name,
      timestamp: post.created_at, user_id: job.author.userId, user_name: job.author.username, post_id: post.id, text: post.message,
      trigger_word: word, file_ids: post.file_ids.join(','),
    };
    const body = encodeOutgoing(payload, current.content_type);
    for (const url of parseList(current.callback_urls)) {
      if (this.closed) return;
      const answer = await this.deliver(current, url, body);
      if (answer !== undefined) await this.reply(ctx, current, post, answer);
    }
  }

  /** POSTs to one callback URL, with retries; the body of a 2xx answer, or undefined. */
  private async deliver(hook: OutgoingWebhook, url: string, body: string): Promise<string | undefined> {
    const count = (outcome: string): void => {
      this.options.metrics.webhookExecutions.inc({ hook_id: hook.id, kind: 'outgoing', outcome });
    };
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      let status: number | null = null;
      let error: string | null = null;
      let answer: string | undefined;
      let retry = false;
      try {
        const res = await this.options.fetcher.fetch(url, {
          // Not followed: the body carries the hook's token, which must not travel to wherever a 3xx points.
          method: 'POST', body, redirect: 'manual', signal: this.stop.signal,
          headers: { 'content-type': hook.content_type, accept: 'application/json', 'user-agent': USER_AGENT },
        });
        status = res.status;
        const text = await res.text();
        if (status >= 200 && status < 300) answer = text;
        else retry = status >= 500 || status === 429;
      } catch (err) {
        error = err instanceof OutboundRefused ? `refused: ${err.reason}` : err instanceof Error ? err.message.slice(0, 300) : 'failed';
        retry = !(err instanceof OutboundRefused) || /cut off/.test(err.reason);
      }
      await this.deps.store.webhooks.addDelivery({
        id: randomUUID(), hook_id: hook.id, url, attempt, status, error, duration_ms: Math.round(performance.now() - started), created_at: this.deps.clock(),
      }, DELIVERY_LOG_SIZE);
      if (answer !== undefined) {
        count('delivered');
        return answer;
      }
      const delay = this.retryDelays[attempt - 1];
      if (!retry || delay === undefined || this.closed) {
        count(error?.startsWith('refused:') ? 'refused' : 'failed');
        if (error !== null) this.deps.logger.info({ hook_id: hook.id, host: new URL(url).host, attempt, error }, 'outgoing webhook callback failed');
        return undefined;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.stop.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  }

  /** Posts a callback's JSON answer back into the channel, as the hook's creator, marked as a webhook's post. */
  private async reply(ctx: CallContext, hook: OutgoingWebhook, post: PostView, answer: string): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer);
    } catch {
      return; // Not JSON (or empty): nothing to post, as in Mattermost.
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return;
    const r = parsed as Record<string, unknown>;
    try {
      const text = typeof r.text === 'string' ? r.text : '';
      const attachments = normalizeAttachments(r.attachments);
      if (text.trim() === '' && attachments.length === 0) return;
      const props = await this.markedProps(hook.id, r, attachments);
      const clientProps = r.props !== null && typeof r.props === 'object' && !Array.isArray(r.props) ? (r.props as Record<string, unknown>) : undefined;
      const root = r.response_type === 'comment' ? (post.root_post_id ?? post.id) : undefined;
      await this.posts.create(ctx, post.channel_id, { message: text, ...(clientProps ? { props: clientProps } : {}), ...(root ? { root_post_id: root } : {}) }, { props, allowEmpty: attachments.length > 0, noChannelMentionConfirm: true });
    } catch (err) {
      this.deps.logger.info({ hook_id: hook.id, post_id: post.id, reason: err instanceof Error ? err.message : String(err) }, 'outgoing webhook answer not posted');
    }
  }

  /** Resolves when nothing is queued or running (tests: "the callbacks are over"). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.queue.length > 0) await Promise.allSettled([...this.running]);
  }

  /** Stops taking work, abandons what is queued, aborts what runs and waits for it. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.stop.abort();
    await Promise.allSettled([...this.running]);
  }
}
