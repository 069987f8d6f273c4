/**
 * Slash commands (issue #16): `POST /api/v1/commands/execute {channel_id, command}`.
 *
 *   command text → Access.channel(…, 'post') (a channel the caller may not read: 404; one they
 *   read but are not a member of: 403)
 *   → a built-in: the same service call, with the same authorization, as the REST action it
 *     stands for (/join → ChannelService.addMember, /header → ChannelService.update, /me →
 *     PostService.create, ...)
 *   → else the team's custom command with that trigger: a request in Mattermost's format to
 *     its URL, through the SSRF-safe outbound client (internal addresses refused unless listed
 *     in RUSTCHAT_OUTBOUND_ALLOWED_HOSTS, bounded time and size), whose JSON answer is posted
 *     (`in_channel`, as the caller) or sent privately (`ephemeral`)
 *   → else 404, like Mattermost.
 *
 * An ephemeral answer is never stored: it goes to the caller's own connections only (the
 * `ephemeral_message` event, broadcast `user_id`) and back in the HTTP answer.
 *
 * Custom commands are managed per team (`/api/v1/commands`): by team admins and system admins,
 * or by any member with RUSTCHAT_CUSTOM_COMMAND_CREATORS=members (then the creator, team
 * admins and system admins manage each, COMMAND_POLICY). Their token is sealed at rest (it is
 * sent with every request) and shown to those who manage the command.
 */
import { randomUUID } from 'node:crypto';
import type { Command, Team, User } from '../domain/entities.js';
import { AppError, badRequest, conflict, notFound } from '../domain/errors.js';
import type { EphemeralPostView } from '../domain/events.js';
import type { ChannelContext } from '../domain/policy.js';
import type { Presence, PostView } from '../domain/presenters.js';
import { validateText } from '../domain/rules.js';
import { normalizeAttachments, type Attachment } from '../domain/webhooks.js';
import type { SecretBox } from '../security/crypto.js';
import { randomToken } from '../security/crypto.js';
import { OutboundRefused } from '../security/outbound.js';
import { RateLimitedError } from '../domain/errors.js';
import type { RateLimits } from '../security/rate-limit.js';
import { safeEqual, signForPurpose } from '../security/crypto.js';
import { COMMAND_TOKEN } from '../store/sealed.js';
import { UniqueViolation } from '../store/errors.js';
import type { Access } from './access.js';
import type { ChannelService } from './channels.js';
import type { CallContext, ServiceDeps } from './context.js';
import { RESERVED_PROPS, type PostService } from './posts.js';
import type { SearchService } from './search.js';
import type { AccountService } from './accounts.js';

/** The longest command line accepted (Mattermost's post limit). */
export const MAX_COMMAND_LENGTH = 4000;
/** The largest answer read from a custom command's service. */
export const COMMAND_RESPONSE_BYTES = 64 * 1024;
export const COMMAND_TIMEOUT_MS = 10_000;
const MAX_COMMANDS_PER_TEAM = 100;
const TRIGGER = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** The part of the outbound client commands use (src/security/outbound.ts). */
export interface CommandFetcher {
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
  /** Why a URL about to be saved names a host the client would refuse. */
  destinationProblem(url: URL): string | undefined;
}

export interface CommandOptions {
  /** RUSTCHAT_CUSTOM_COMMAND_CREATORS. */
  readonly creators: 'team_admins' | 'members';
  readonly fetcher: CommandFetcher;
  /** Presence: /away, /online, /dnd. */
  readonly status: { setStatus(userId: string, status: Presence): Promise<Presence> };
  /** Counts one execution (metrics). */
  readonly count: (command: string, outcome: 'ok' | 'error' | 'unknown') => void;
  /** The site's URL: response URLs are `<siteUrl>/hooks/commands/<token>`. */
  readonly siteUrl: string;
  /** Signs response URLs (RUSTCHAT_JWT_SECRET, under its own purpose). */
  readonly signingSecret: string;
  /** Delayed answers per response URL per minute (the per-integration limit of incoming webhooks). */
  readonly limits: Pick<RateLimits, 'consumeWebhook'>;
  /** /mute: the caller's channel notification preferences (NotificationService). */
  readonly mute: (ctx: CallContext, channelId: string) => Promise<unknown>;
}

/** How long a custom command's response URL takes delayed answers (Mattermost: 30 minutes). */
export const RESPONSE_URL_MS = 30 * 60_000;
const RESPONSE_PURPOSE = 'command-response';

/** What `execute` answers: Mattermost's command response, plus the post an `in_channel` answer made. */
export interface CommandResult {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
  goto_location: string | null;
  props: Record<string, unknown>;
  /** The post made (`in_channel`). */
  post: PostView | null;
  /** The private message sent to the caller's connections (`ephemeral` with text). */
  ephemeral: EphemeralPostView | null;
}

export interface CommandInput {
  readonly trigger: string;
  readonly url: string;
  readonly method?: 'POST' | 'GET' | undefined;
  readonly auto_complete?: boolean | undefined;
  readonly auto_complete_hint?: string | undefined;
  readonly auto_complete_desc?: string | undefined;
  readonly display_name?: string | undefined;
  readonly description?: string | undefined;
}

export interface CommandView {
  id: string;
  team_id: string;
  creator_id: string;
  trigger: string;
  url: string;
  method: 'POST' | 'GET';
  /** Sent as `token` with every request, so the service can tell it is us; only in the answers that made it (create, regenerate): shown once. */
  token?: string;
  auto_complete: boolean;
  auto_complete_hint: string;
  auto_complete_desc: string;
  display_name: string;
  description: string;
  created_at: number;
  updated_at: number;
}

export interface AutocompleteEntry {
  trigger: string;
  hint: string;
  description: string;
  /** `builtin`, or `custom` (a command of the team). */
  source: 'builtin' | 'custom';
}

interface Invocation {
  readonly ctx: CallContext;
  readonly row: ChannelContext;
  /** The team the command runs in: the channel's, or the one the client named for a direct/group channel. */
  readonly team: Team | undefined;
  readonly trigger: string;
  readonly args: string;
  /** The caller confirmed notifying a large channel (@channel, @all, @here in what gets posted). */
  readonly confirmChannelMention?: boolean;
}

type Builtin = (inv: Invocation) => Promise<CommandResult>;

/** A UUID as its 16 bytes, and back (response URLs). */
const uuidBytes = (id: string): Buffer => Buffer.from(id.replace(/-/g, ''), 'hex');
const uuidOf = (b: Buffer): string => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
const uint32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

const ephemeralOnly = (text: string, extra: Partial<CommandResult> = {}): CommandResult => ({ response_type: 'ephemeral', text, goto_location: null, props: {}, post: null, ephemeral: null, ...extra });

export class CommandService {
  private readonly builtins: ReadonlyMap<string, { hint: string; description: string; run: Builtin }>;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly access: Access,
    private readonly box: SecretBox,
    private readonly services: { channels: ChannelService; posts: PostService; search: SearchService; accounts: AccountService },
    private readonly options: CommandOptions,
  ) {
    const say = (decorate: (text: string) => string, requireText: string | undefined): Builtin => async (inv) => {
      if (requireText !== undefined && inv.args === '') throw badRequest(requireText);
      return this.postAs(inv, decorate(inv.args));
    };
    const status = (presence: Presence, words: string): Builtin => async (inv) => {
      await this.options.status.setStatus(inv.ctx.actor.userId, presence);
      return ephemeralOnly(`You are now ${words}.`);
    };
    this.builtins = new Map<string, { hint: string; description: string; run: Builtin }>([
      ['away', { hint: '', description: 'Set your status to away', run: status('away', 'away') }],
      ['dnd', { hint: '', description: 'Do not disturb: no notifications', run: status('dnd', 'in Do Not Disturb') }],
      ['echo', { hint: '[text]', description: 'Post the text as it is', run: say((t) => t, 'Usage: /echo text') }],
      ['header', { hint: '[text]', description: 'Change the channel header', run: (inv) => this.channelInfo(inv, 'header') }],
      ['help', { hint: '', description: 'List the commands you can run here', run: (inv) => this.help(inv) }],
      ['invite', { hint: '@username [~channel]', description: 'Add someone to this (or another) channel', run: (inv) => this.invite(inv) }],
      ['join', { hint: '~channel', description: 'Join a public channel of this team', run: (inv) => this.join(inv) }],
      ['leave', { hint: '', description: 'Leave this channel', run: (inv) => this.leave(inv) }],
      ['me', { hint: '[text]', description: 'Do an action', run: say((t) => `*${t}*`, 'Usage: /me text') }],
      ['msg', { hint: '@username [text]', description: 'Send a direct message', run: (inv) => this.msg(inv) }],
      ['mute', { hint: '', description: 'Mute this channel (no notifications, not shown as unread)', run: async (inv) => {
        await this.options.mute(inv.ctx, inv.row.channel.id);
        return ephemeralOnly(`~${inv.row.channel.name} is muted: unmute it from the sidebar or the channel's notification preferences.`);
      } }],
      ['online', { hint: '', description: 'Set your status to online', run: status('online', 'online') }],
      ['purpose', { hint: '[text]', description: 'Change the channel purpose', run: (inv) => this.channelInfo(inv, 'purpose') }],
      ['search', { hint: '[terms]', description: 'Search messages', run: (inv) => this.searchPosts(inv) }],
      ['shrug', { hint: '[text]', description: 'Post ¯\\_(ツ)_/¯ after your text', run: say((t) => `${t === '' ? '' : `${t} `}¯\\\\\\_(ツ)\\_/¯`, undefined) }],
      ['status', { hint: '[text | clear]', description: 'Show, set or clear your custom status', run: (inv) => this.customStatus(inv) }],
    ]);
  }

  // ---- running ----

  async execute(ctx: CallContext, input: { channel_id: string; command: string; team_id?: string | undefined; confirm_channel_mention?: boolean | undefined }): Promise<CommandResult> {
    const row = await this.access.channel(ctx, input.channel_id, 'post');
    const line = input.command.trim();
    if (line.length > MAX_COMMAND_LENGTH) throw new AppError('VALIDATION_ERROR', `A command may be at most ${MAX_COMMAND_LENGTH} characters`, { field: 'command' });
    const match = /^\/(\S+)(?:\s+([\s\S]*))?$/.exec(line);
    if (match === null) throw new AppError('VALIDATION_ERROR', 'A command starts with / and a trigger word, e.g. /help', { field: 'command' });
    const trigger = match[1]!.toLowerCase();
    const args = (match[2] ?? '').trim();
    let team: Team | undefined = row.team;
    if (team === undefined && input.team_id !== undefined) team = (await this.access.team(ctx, input.team_id, 'read')).team;
    const inv: Invocation = { ctx, row, team, trigger, args, confirmChannelMention: input.confirm_channel_mention === true };
    const builtin = this.builtins.get(trigger);
    const custom = builtin !== undefined || team === undefined ? undefined : await this.deps.store.commands.getByTrigger(team.id, trigger);
    if (builtin === undefined && custom === undefined) {
      this.options.count('custom', 'unknown');
      throw new AppError('NOT_FOUND', `No command /${trigger.slice(0, 64)} here: /help lists the commands you can run`);
    }
    const result = await this.counted(builtin === undefined ? 'custom' : trigger, () => (builtin === undefined ? this.runCustom(inv, custom!) : builtin.run(inv)));
    return result.response_type === 'ephemeral' && result.text !== '' ? this.privately(inv, result) : result;
  }

  private async counted(label: string, run: () => Promise<CommandResult>): Promise<CommandResult> {
    try {
      const result = await run();
      this.options.count(label, 'ok');
      return result;
    } catch (err) {
      this.options.count(label, 'error');
      throw err;
    }
  }

  /**
   * Posts `message` in the channel as the caller (PostService.create: CHANNEL_POLICY.post), with
   * the Slack attachments of a custom command's answer (normalised; the server's own prop, so
   * their images are fetched and stored like a webhook's).
   */
  private async postAs(inv: Invocation, message: string, props: Record<string, unknown> = {}, attachments: readonly Attachment[] = []): Promise<CommandResult> {
    // Keys the server reserves for itself (from_, override_, system_: PostService) are dropped, not refused: the service that answered is not the caller.
    const own = Object.fromEntries(Object.entries(props).filter(([k]) => !RESERVED_PROPS.test(k)));
    const server = attachments.length === 0 ? {} : { props: { attachments }, allowEmpty: true };
    const { post } = await this.services.posts.create(inv.ctx, inv.row.channel.id, { message, ...(Object.keys(own).length === 0 ? {} : { props: own }), ...(inv.confirmChannelMention === true ? { confirm_channel_mention: true } : {}) }, server);
    return { response_type: 'in_channel', text: message, goto_location: null, props: {}, post, ephemeral: null };
  }

  private async channelInfo(inv: Invocation, field: 'header' | 'purpose'): Promise<CommandResult> {
    await this.services.channels.update(inv.ctx, inv.row.channel.id, { [field]: inv.args });
    return ephemeralOnly(inv.args === '' ? `The channel ${field} was cleared.` : `The channel ${field} is now: ${inv.args}`);
  }

  private teamOf(inv: Invocation): Team {
    if (inv.team === undefined) throw badRequest(`/${inv.trigger} needs a team: run it in a team channel (or send team_id)`);
    return inv.team;
  }

  private async join(inv: Invocation): Promise<CommandResult> {
    const name = /^~?([a-z0-9][a-z0-9_-]*)$/i.exec(inv.args)?.[1];
    if (name === undefined) throw badRequest('Usage: /join ~channel');
    const channel = await this.services.channels.getByName(inv.ctx, this.teamOf(inv).id, name.toLowerCase());
    await this.services.channels.addMember(inv.ctx, channel.id, inv.ctx.actor.userId);
    return ephemeralOnly(`You joined ~${channel.name}.`, { goto_location: `/channels/${channel.id}` });
  }

  private async leave(inv: Invocation): Promise<CommandResult> {
    await this.services.channels.removeMember(inv.ctx, inv.row.channel.id, inv.ctx.actor.userId);
    return ephemeralOnly(`You left ~${inv.row.channel.name}.`);
  }

  /** The active users named `@name` (through the directory's own decision, Access.visibleUsers). */
  private async userNamed(inv: Invocation, word: string | undefined): Promise<User> {
    const name = /^@?([a-z0-9._-]+)$/i.exec(word ?? '')?.[1]?.toLowerCase();
    if (name === undefined) throw badRequest(`Usage: /${inv.trigger} ${this.builtins.get(inv.trigger)!.hint}`);
    const found = this.access.visibleUsers(inv.ctx, await this.deps.store.users.getByUsernames([name]), 'view').find((u) => u.deactivated_at === null);
    if (found === undefined) throw notFound('User');
    return found;
  }

  private async invite(inv: Invocation): Promise<CommandResult> {
    const [who, where] = inv.args.split(/\s+/);
    const user = await this.userNamed(inv, who);
    let channelId = inv.row.channel.id;
    if (where !== undefined && where !== '') {
      const name = /^~?([a-z0-9][a-z0-9_-]*)$/i.exec(where)?.[1];
      if (name === undefined) throw badRequest('Usage: /invite @username [~channel]');
      channelId = (await this.services.channels.getByName(inv.ctx, this.teamOf(inv).id, name.toLowerCase())).id;
    }
    await this.services.channels.addMember(inv.ctx, channelId, user.id);
    return ephemeralOnly(`@${user.username} was added to the channel.`);
  }

  private async msg(inv: Invocation): Promise<CommandResult> {
    const space = inv.args.search(/\s/);
    const who = space < 0 ? inv.args : inv.args.slice(0, space);
    const text = space < 0 ? '' : inv.args.slice(space).trim();
    const user = await this.userNamed(inv, who);
    const { channel } = await this.services.channels.create(inv.ctx, { channel_type: 'direct', target_user_id: user.id });
    if (text !== '') await this.services.posts.create(inv.ctx, channel.id, { message: text });
    return ephemeralOnly(text === '' ? `Opened your conversation with @${user.username}.` : `Message sent to @${user.username}.`, { goto_location: `/channels/${channel.id}` });
  }

  private async customStatus(inv: Invocation): Promise<CommandResult> {
    if (inv.args === '') {
      const me = await this.services.accounts.me(inv.ctx);
      return ephemeralOnly(me.status_text === '' ? 'You have no custom status. /status text sets one.' : `Your status: ${me.status_emoji === '' ? '' : `:${me.status_emoji}: `}${me.status_text}`);
    }
    const clear = inv.args.toLowerCase() === 'clear';
    await this.services.accounts.updateProfile(inv.ctx, clear ? { status_text: '', status_emoji: '', status_expires_at: null } : { status_text: inv.args });
    return ephemeralOnly(clear ? 'Your custom status was cleared.' : `Your status is now: ${inv.args}`);
  }

  private async searchPosts(inv: Invocation): Promise<CommandResult> {
    if (inv.args === '') throw badRequest('Usage: /search terms');
    const found = await this.services.search.searchPosts(inv.ctx, { q: inv.args, ...(inv.team === undefined ? {} : { team_id: inv.team.id }), per_page: 5 });
    const lines = found.results.map((hit) => `- ~${hit.channel.name}: ${hit.post.message.replace(/\s+/g, ' ').slice(0, 120)}`);
    const more = found.total > found.results.length ? `\n…and more: open the search for all ${found.total_capped ? `${found.total}+` : found.total}.` : '';
    const text = lines.length === 0 ? `No messages match "${inv.args}".` : `Messages matching "${inv.args}":\n${lines.join('\n')}${more}`;
    // The client may open its own search with the terms (a hint, like Mattermost's).
    return ephemeralOnly(text, { props: { search_terms: inv.args } });
  }

  private async help(inv: Invocation): Promise<CommandResult> {
    const entries = await this.entries(inv.team?.id);
    return ephemeralOnly(['Commands you can run here:', ...entries.map((e) => `/${e.trigger}${e.hint === '' ? '' : ` ${e.hint}`} — ${e.description}`)].join('\n'));
  }

  /** Runs a team's custom command: Mattermost's request to its URL, then its answer posted or sent privately. */
  private async runCustom(inv: Invocation, command: Command): Promise<CommandResult> {
    const team = this.teamOf(inv);
    const user = await this.deps.store.users.get(inv.ctx.actor.userId);
    const fields: Record<string, string> = {
      token: this.box.open(command.token_sealed, COMMAND_TOKEN.aad(command.id)),
      team_id: team.id,
      team_domain: team.name,
      channel_id: inv.row.channel.id,
      channel_name: inv.row.channel.name,
      user_id: inv.ctx.actor.userId,
      user_name: user?.username ?? inv.ctx.actor.username,
      command: `/${command.trigger_word}`,
      text: inv.args,
      // Up to RESPONSE_URL_MS later the service may answer again through this URL (respond()).
      response_url: this.responseUrl(inv, command),
      trigger_id: randomToken(24),
    };
    const form = new URLSearchParams(fields);
    const url = new URL(command.url);
    if (command.method === 'GET') for (const [k, v] of form) url.searchParams.append(k, v);
    let answer: Response;
    try {
      answer = await this.options.fetcher.fetch(url, {
        method: command.method,
        // Not followed: the request carries the command's token (in the body, or the query for
        // GET), which a redirect would hand to whatever origin it names.
        redirect: 'manual',
        headers: { accept: 'application/json', authorization: `Token ${fields.token}`, ...(command.method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(command.method === 'POST' ? { body: form.toString() } : {}),
      });
    } catch (err) {
      this.deps.logger.info({ command_id: command.id, reason: err instanceof OutboundRefused ? err.reason : (err as Error).name }, 'commands: custom command request failed');
      const why = err instanceof OutboundRefused ? 'its URL names an address the server may not reach' : 'its service did not answer in time, or answered too much';
      return ephemeralOnly(`/${command.trigger_word} failed: ${why}.`);
    }
    if (answer.status < 200 || answer.status > 299) return ephemeralOnly(`/${command.trigger_word} failed: its service answered HTTP ${answer.status}.`);
    const type = answer.headers.get('content-type') ?? '';
    const body = await answer.text();
    if (!/^application\/json\b/i.test(type)) {
      if (body.trim() === '') return ephemeralOnly('');
      return ephemeralOnly(`/${command.trigger_word} failed: its service answered ${type === '' ? 'without a content type' : type.split(';')[0]} instead of JSON.`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return ephemeralOnly(`/${command.trigger_word} failed: its service answered invalid JSON.`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return ephemeralOnly(`/${command.trigger_word} failed: its service's answer is not a JSON object.`);
    return this.answered(inv, parsed as Record<string, unknown>);
  }

  /** A custom command's answer (at once, or later through its response URL): posted as the caller, or privately. */
  private async answered(inv: Invocation, reply: Record<string, unknown>): Promise<CommandResult> {
    const text = typeof reply.text === 'string' ? reply.text : '';
    const props = reply.props !== null && typeof reply.props === 'object' && !Array.isArray(reply.props) ? (reply.props as Record<string, unknown>) : {};
    const goto = typeof reply.goto_location === 'string' && /^(https?:\/\/|\/(?![/\\]))/i.test(reply.goto_location) ? reply.goto_location : null;
    let attachments: Attachment[];
    try {
      attachments = normalizeAttachments(reply.attachments);
    } catch (err) {
      // The service's answer is at fault, not the caller: said to the caller only, nothing posted.
      if (err instanceof AppError) return ephemeralOnly(`The command's answer was not used: ${err.message}.`);
      throw err;
    }
    if (reply.response_type === 'in_channel' && (text !== '' || attachments.length > 0)) {
      // Posted as the caller; `username` and `icon_url` overrides are not honoured (nobody may speak as someone else).
      const result = await this.postAs(inv, text, props, attachments);
      return { ...result, goto_location: goto };
    }
    if (text === '') return ephemeralOnly('', { goto_location: goto, props });
    return ephemeralOnly(text, { goto_location: goto, props });
  }

  /**
   * The response URL of one run: `<site>/hooks/commands/<payload>.<signature>`, the payload
   * naming the caller, channel, command and expiry, signed for this purpose only (a token for
   * unsubscribing or anything else does not verify here). Nothing is stored: any node checks it.
   */
  private responseUrl(inv: Invocation, command: Command): string {
    // Binary (three ids of 16 bytes, the expiry in seconds) and a 128-bit signature: the whole
    // token fits one URL path segment (93 characters; Fastify refuses segments over 100).
    const payload = Buffer.concat([uuidBytes(inv.ctx.actor.userId), uuidBytes(inv.row.channel.id), uuidBytes(command.id), uint32(Math.ceil((this.deps.clock() + RESPONSE_URL_MS) / 1000))]).toString('base64url');
    return `${this.options.siteUrl.replace(/\/+$/, '')}/hooks/commands/${payload}.${this.responseSignature(payload)}`;
  }

  private responseSignature(payload: string): string {
    return signForPurpose(this.options.signingSecret, RESPONSE_PURPOSE, payload).slice(0, 22);
  }

  /**
   * A delayed answer through a response URL (Mattermost's `response_url`): the same answer as
   * at once (`in_channel` posted as the caller, `ephemeral` to the caller's connections), decided
   * again now: the caller must still be active and allowed to post in the channel, and the
   * command must still exist. A URL that is forged, altered or past its 30 minutes is a 404.
   */
  async respond(caller: { ip: string; requestId: string }, token: string, body: unknown): Promise<CommandResult> {
    const gone = (): never => {
      this.deps.security.emit('access_denied', { ip: caller.ip, requestId: caller.requestId, resource: 'command', action: 'respond', reason: 'invalid_response_url', status: 404 });
      throw notFound('Response URL');
    };
    const m = /^([A-Za-z0-9_-]{70})\.([A-Za-z0-9_-]{22})$/.exec(token);
    if (m === null || !safeEqual(this.responseSignature(m[1]!), m[2]!)) return gone();
    const bytes = Buffer.from(m[1]!, 'base64url');
    if (bytes.length !== 52) return gone();
    const claim = { u: uuidOf(bytes.subarray(0, 16)), c: uuidOf(bytes.subarray(16, 32)), k: uuidOf(bytes.subarray(32, 48)), e: bytes.readUInt32BE(48) * 1000 };
    if (claim.e < this.deps.clock()) return gone();
    const decision = await this.options.limits.consumeWebhook(`command-response:${m[2]!}`);
    if (!decision.allowed) throw new RateLimitedError(decision.limit, decision.resetAt, decision.retryAfter, 'webhook');
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The answer must be a JSON object');
    const command = await this.deps.store.commands.get(claim.k);
    const user = await this.deps.store.users.get(claim.u);
    if (command === undefined || command.deleted_at !== null || user === undefined || user.deactivated_at !== null) return gone();
    const ctx: CallContext = { actor: { userId: user.id, username: user.username, role: user.role, sessionId: '' }, ip: caller.ip, requestId: caller.requestId };
    const row = await this.access.channel(ctx, claim.c, 'post');
    const team = row.team ?? (await this.access.team(ctx, command.team_id, 'read')).team;
    const inv: Invocation = { ctx, row, team, trigger: command.trigger_word, args: '' };
    const result = await this.counted('custom', () => this.answered(inv, body as Record<string, unknown>));
    return result.response_type === 'ephemeral' && result.text !== '' ? this.privately(inv, result) : result;
  }

  /** An answer for the caller only: to their own connections (never stored) and in the HTTP answer. */
  private async privately(inv: Invocation, result: CommandResult): Promise<CommandResult> {
    const post: EphemeralPostView = {
      id: randomUUID(), channel_id: inv.row.channel.id, user_id: inv.ctx.actor.userId, message: result.text, props: { ...result.props, from_command: inv.trigger }, created_at: this.deps.clock(), type: 'ephemeral',
    };
    // Nothing is written: the write is only the way events leave a service (after its commit).
    await this.deps.store.write((tx) => {
      tx.publish({ event: 'ephemeral_message', data: { channel_id: post.channel_id, post }, broadcast: { user_id: inv.ctx.actor.userId } });
      return Promise.resolve();
    });
    return { ...result, ephemeral: post };
  }

  // ---- autocomplete ----

  private async entries(teamId: string | undefined): Promise<AutocompleteEntry[]> {
    const builtins: AutocompleteEntry[] = [...this.builtins].map(([trigger, b]) => ({ trigger, hint: b.hint, description: b.description, source: 'builtin' }));
    const custom = teamId === undefined ? [] : await this.deps.store.commands.listForTeam(teamId);
    const mine: AutocompleteEntry[] = custom.filter((c) => c.auto_complete === 1 && !this.builtins.has(c.trigger_word))
      .map((c) => ({ trigger: c.trigger_word, hint: c.auto_complete_hint, description: c.auto_complete_desc, source: 'custom' }));
    return [...builtins, ...mine].sort((a, b) => (a.trigger < b.trigger ? -1 : a.trigger > b.trigger ? 1 : 0));
  }

  /** The commands the composer offers in a team: built-ins and the team's own (a member of the team, Access.team read). */
  async autocomplete(ctx: CallContext, teamId: string | undefined): Promise<AutocompleteEntry[]> {
    if (teamId !== undefined) await this.access.team(ctx, teamId, 'read');
    else this.access.searchScope(ctx);
    return this.entries(teamId);
  }

  // ---- custom command management ----

  /** `withToken`: only when the token is new (created, regenerated): a secret is shown once. */
  private view(c: Command, withToken = false): CommandView {
    return {
      id: c.id, team_id: c.team_id, creator_id: c.creator_id, trigger: c.trigger_word, url: c.url, method: c.method,
      ...(withToken ? { token: this.box.open(c.token_sealed, COMMAND_TOKEN.aad(c.id)) } : {}),
      auto_complete: c.auto_complete === 1, auto_complete_hint: c.auto_complete_hint, auto_complete_desc: c.auto_complete_desc, display_name: c.display_name, description: c.description,
      created_at: c.created_at, updated_at: c.updated_at,
    };
  }

  private validTrigger(trigger: string): string {
    const t = trigger.trim().replace(/^\//, '').toLowerCase();
    if (!TRIGGER.test(t)) throw new AppError('VALIDATION_ERROR', 'A trigger is 1–128 letters, digits, dots, dashes or underscores (no spaces, no leading /)', { field: 'trigger' });
    if (this.builtins.has(t)) throw conflict(`/${t} is a built-in command`, { field: 'trigger' });
    return t;
  }

  private validUrl(raw: string): string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new AppError('VALIDATION_ERROR', 'The URL must be an absolute http(s) URL', { field: 'url' });
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || raw.length > 1024) {
      throw new AppError('VALIDATION_ERROR', 'The URL must be an http(s) URL without credentials, at most 1024 characters', { field: 'url' });
    }
    const problem = this.options.fetcher.destinationProblem(url);
    if (problem !== undefined) throw new AppError('VALIDATION_ERROR', `The server may not call that address (${problem}); an admin can trust an internal host with RUSTCHAT_OUTBOUND_ALLOWED_HOSTS`, { field: 'url' });
    return url.toString();
  }

  private fields(input: Partial<CommandInput>): Partial<Omit<Command, 'id' | 'team_id' | 'creator_id' | 'token_sealed' | 'created_at' | 'updated_at' | 'deleted_at'>> {
    return {
      ...(input.trigger === undefined ? {} : { trigger_word: this.validTrigger(input.trigger) }),
      ...(input.url === undefined ? {} : { url: this.validUrl(input.url) }),
      ...(input.method === undefined ? {} : { method: input.method }),
      ...(input.auto_complete === undefined ? {} : { auto_complete: input.auto_complete ? 1 : 0 }),
      ...(input.auto_complete_hint === undefined ? {} : { auto_complete_hint: validateText('auto_complete_hint', input.auto_complete_hint, 1024) }),
      ...(input.auto_complete_desc === undefined ? {} : { auto_complete_desc: validateText('auto_complete_desc', input.auto_complete_desc, 1024) }),
      ...(input.display_name === undefined ? {} : { display_name: validateText('display_name', input.display_name, 64) }),
      ...(input.description === undefined ? {} : { description: validateText('description', input.description, 1024) }),
    };
  }

  private triggerTaken(err: unknown): never {
    if (err instanceof UniqueViolation) throw conflict('The team already has a command with that trigger', { field: 'trigger' });
    throw err;
  }

  async create(ctx: CallContext, teamId: string, input: CommandInput): Promise<CommandView> {
    await this.access.team(ctx, teamId, this.options.creators === 'members' ? 'read' : 'manage_commands');
    const f = this.fields(input);
    const now = this.deps.clock();
    const id = randomUUID();
    const command: Command = {
      id, team_id: teamId, creator_id: ctx.actor.userId, trigger_word: f.trigger_word!, url: f.url!, method: f.method ?? 'POST', token_sealed: this.box.seal(randomToken(24), COMMAND_TOKEN.aad(id)),
      auto_complete: f.auto_complete ?? 0, auto_complete_hint: f.auto_complete_hint ?? '', auto_complete_desc: f.auto_complete_desc ?? '', display_name: f.display_name ?? '', description: f.description ?? '',
      created_at: now, updated_at: now, deleted_at: null,
    };
    await this.deps.store.transaction(async (tx) => {
      if ((await tx.commands.listForTeam(teamId)).length >= MAX_COMMANDS_PER_TEAM) throw conflict(`A team may have at most ${MAX_COMMANDS_PER_TEAM} custom commands`);
      await tx.commands.create(command);
      await this.audit(tx, ctx, 'command.create', id, { team_id: teamId, trigger: command.trigger_word });
    }).catch((err: unknown) => this.triggerTaken(err));
    return this.view(command, true);
  }

  /** The team's commands the caller manages (all of them for team and system admins; their own otherwise). */
  async list(ctx: CallContext, teamId: string): Promise<CommandView[]> {
    const { member } = await this.access.team(ctx, teamId, 'read');
    const all = await this.deps.store.commands.listForTeam(teamId);
    const manager = ctx.actor.role === 'system_admin' || member?.role === 'team_admin';
    return all.filter((c) => manager || c.creator_id === ctx.actor.userId).map((c) => this.view(c));
  }

  async get(ctx: CallContext, id: string): Promise<CommandView> {
    return this.view(await this.access.command(ctx, id));
  }

  async update(ctx: CallContext, id: string, patch: Partial<CommandInput>): Promise<CommandView> {
    await this.access.command(ctx, id);
    const f = this.fields(patch);
    const updated = await this.deps.store.transaction(async (tx) => {
      const row = await tx.commands.update(id, f, this.deps.clock());
      if (row === undefined) throw notFound('Command');
      await this.audit(tx, ctx, 'command.update', id, { fields: Object.keys(f) });
      return row;
    }).catch((err: unknown) => this.triggerTaken(err));
    return this.view(updated);
  }

  async regenerateToken(ctx: CallContext, id: string): Promise<CommandView> {
    await this.access.command(ctx, id);
    const updated = await this.deps.store.transaction(async (tx) => {
      const row = await tx.commands.update(id, { token_sealed: this.box.seal(randomToken(24), COMMAND_TOKEN.aad(id)) }, this.deps.clock());
      if (row === undefined) throw notFound('Command');
      await this.audit(tx, ctx, 'command.regenerate_token', id, {});
      return row;
    });
    return this.view(updated, true);
  }

  async delete(ctx: CallContext, id: string): Promise<void> {
    await this.access.command(ctx, id);
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.commands.markDeleted(id, this.deps.clock()))) throw notFound('Command');
      await this.audit(tx, ctx, 'command.delete', id, {});
    });
  }

  private async audit(tx: ServiceDeps['store'], ctx: CallContext, action: string, targetId: string, details: Record<string, unknown>): Promise<void> {
    await tx.audit.append({
      id: randomUUID(), actor_id: ctx.actor.userId, action, target_type: 'command', target_id: targetId, ip: ctx.ip, details: JSON.stringify(details), created_at: this.deps.clock(),
    });
  }
}
