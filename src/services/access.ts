/**
 * The one place where "may this caller see / do this to that channel, team, post, user or
 * session, and is this caller a system admin" is answered (the tables are domain/policy.ts). A caller who may not see a thing gets the same 404 as for a thing that does not
 * exist; a caller who may see it but not do the action gets 403. Every refusal of a thing
 * that exists, hidden or not, is an `access_denied` event with its reason (policy.ts), sent
 * from `refuse` and nowhere else. Every answer, yes or no, is also a recorded decision
 * (authz-trace.ts), which the access matrix uses to prove that no route reads the store by an
 * id before deciding.
 */
import type { AccessToken, Bot, Command, CustomEmoji, FileInfo, Post, User } from '../domain/entities.js';
import type { IncomingWebhook, OutgoingWebhook } from '../domain/webhooks.js';
import { forbidden, notFound } from '../domain/errors.js';
import {
  botCan, channelCan, channelReadScope, commandCan, emojiCan, tokenCan, channelRefusal, fileCan, fileRefusal, postRefusal, teamRefusal, userCan, webhookCan, webhookListScope,
  type ChannelAction, type ChannelContext, type ChannelReadScope, type EmojiAction, type FileAction, type FileContext, type PostAction, type PostContext, type RefusalReason, type TeamAction, type TeamContext, type UserAction, type WebhookAction,
} from '../domain/policy.js';
import type { SecurityEvents } from '../security/events.js';
import type { Store } from '../store/store.js';
import { deciding, recordDecision } from './authz-trace.js';
import type { CallContext } from './context.js';

/** What the author of a 403 sees, per post action (the event carries the exact reason). */
const POST_FORBIDDEN: Readonly<Record<Exclude<PostAction, 'read'>, string>> = {
  edit: 'Only the author can edit a post',
  delete: 'Only the author or a channel admin can delete this post',
  react: 'Only channel members can react',
  pin: 'Only channel members can pin posts',
  mark_unread: 'Only channel members have a read position',
  remove_preview: 'Only the author can remove a post\'s link preview',
};

/**
 * How old a channel access row read with the session may be when Access decides from it. The
 * session is read before the body (an unauthenticated body is never read); a request whose body
 * arrives later than this is decided on a fresh read, so a member removed meanwhile is refused.
 */
export const CHANNEL_READ_FRESH_MS = 250;

const NOT_FOUND_NAME: Readonly<Record<string, string>> = { file: 'File', channel: 'Channel', team: 'Team', post: 'Post', session: 'Session', user: 'User', emoji: 'Emoji', token: 'Token', bot: 'Bot', command: 'Command', webhook: 'Webhook' };

export class Access {
  constructor(private readonly store: Store, private readonly security: SecurityEvents, private readonly clock: () => number = Date.now) {}

  /** Rows read with a request's session that a decision already used: each serves one decision only (a later one reads afresh, e.g. after the request wrote). */
  private readonly usedReads = new WeakSet<object>();

  /**
   * The row read with the session for this channel, if this is the request's first decision on
   * the channel, outside a transaction, and the row is at most CHANNEL_READ_FRESH_MS old (a body
   * that took longer to arrive gets a fresh read); undefined: read it. Any decision on the
   * channel uses the read up, whichever store it was made with.
   */
  private takeRead(ctx: CallContext, channelId: string, store: Store): { row: ChannelContext | undefined } | undefined {
    const read = ctx.channel;
    if (read === undefined || read.id !== channelId || this.usedReads.has(read)) return undefined;
    this.usedReads.add(read);
    if (store !== this.store || this.clock() - read.readAt > CHANNEL_READ_FRESH_MS) return undefined;
    return { row: read.row };
  }

  /** The single refusal path: the event, then the error. */
  private refuse(ctx: CallContext, resource: string, action: string, id: string | undefined, reason: RefusalReason, status: 403 | 404, message?: string): never {
    recordDecision({ resource, action, id, allowed: false, reason });
    this.security.emit('access_denied', {
      ip: ctx.ip, userId: ctx.actor.userId, requestId: ctx.requestId, resource, action, ...(id === undefined ? {} : { resource_id: id }), reason, status,
    });
    if (status === 404) throw notFound(NOT_FOUND_NAME[resource]);
    throw forbidden(message);
  }

  /** Nothing there to refuse: the plain 404, no event (a decision all the same). */
  private missing(resource: string, action: string, id: string): never {
    recordDecision({ resource, action, id, allowed: false, reason: 'not_found' });
    throw notFound(NOT_FOUND_NAME[resource]);
  }

  /**
   * System administrators only (403 and an `access_denied` event otherwise). `action` names
   * what was asked (`<resource>.<verb>`, e.g. `user.create`), for the event; it has no default
   * so that no refusal is logged as a vague "admin".
   */
  requireSystemAdmin(ctx: CallContext, action: string): void {
    if (ctx.actor.role !== 'system_admin') this.refuse(ctx, 'system', action, undefined, 'not_system_admin', 403, 'System administrators only');
    recordDecision({ resource: 'system', action, id: undefined, allowed: true });
  }

  /**
   * Loads a channel the caller may read, then checks `action` (403 when not allowed). The row
   * read with the request's session (ctx.channel, same channel id) is used instead of a second
   * read, except inside a write's transaction (`store` given), which reads its own.
   */
  channel(ctx: CallContext, channelId: string, action: ChannelAction | ((row: ChannelContext) => ChannelAction) = 'read', store: Store = this.store): Promise<ChannelContext> {
    return deciding(async () => {
      const row = (this.takeRead(ctx, channelId, store) ?? { row: await store.channels.getAccess(channelId, ctx.actor.userId) }).row;
      if (row === undefined) this.missing('channel', typeof action === 'function' ? 'read' : action, channelId);
      const act = typeof action === 'function' ? action(row) : action;
      const reason = channelRefusal(ctx.actor, act, row);
      if (reason !== undefined) this.refuse(ctx, 'channel', act, channelId, reason, channelCan(ctx.actor, 'read', row) ? 403 : 404);
      recordDecision({ resource: 'channel', action: act, id: channelId, allowed: true });
      return row;
    });
  }

  /** The users of a list (the directory) the caller may see (no error, no event): for filtering lists. */
  visibleUsers(ctx: Pick<CallContext, 'actor'>, users: readonly User[], action: UserAction): User[] {
    return users.filter((user) => {
      const allowed = userCan(ctx.actor, action, { user });
      recordDecision({ resource: 'user', action, id: user.id, allowed });
      return allowed;
    });
  }

  /**
   * What a search may return: the channels the caller may read (CHANNEL_POLICY.read as a set,
   * policy.ts ChannelReadScope), for the store to apply inside the query. Never refuses: a
   * caller who may read nothing finds nothing.
   */
  searchScope(ctx: Pick<CallContext, 'actor'>): ChannelReadScope {
    recordDecision({ resource: 'search', action: 'read', id: undefined, allowed: true });
    return channelReadScope(ctx.actor);
  }

  /** Whether the caller may see any user's e-mail address (USER_POLICY.see_email on someone else): searching by e-mail is for them only. */
  maySeeEveryEmail(ctx: Pick<CallContext, 'actor'>): boolean {
    const allowed = userCan(ctx.actor, 'see_email', { user: { id: '' } });
    recordDecision({ resource: 'user', action: 'see_email', id: undefined, allowed });
    return allowed;
  }

  /** Whether the caller may read the channel (no error, no event): for filtering lists. */
  canReadChannel(ctx: Pick<CallContext, 'actor'>, channelId: string): Promise<boolean> {
    return deciding(async () => {
      const row = await this.store.channels.getAccess(channelId, ctx.actor.userId);
      const allowed = row !== undefined && channelCan(ctx.actor, 'read', row);
      recordDecision({ resource: 'channel', action: 'read', id: channelId, allowed });
      return allowed;
    });
  }

  /**
   * Of `userIds`, the active users who may read the channel now (CHANNEL_POLICY.read, each
   * judged as themselves): whom a user-addressed event about the channel's content may reach
   * (thread updates go to a thread's followers, not to the channel). `store`: the write's
   * transaction, so the answer matches what it commits.
   */
  readersAmong(channelId: string, userIds: readonly string[], store: Store = this.store): Promise<string[]> {
    return deciding(async () => {
      if (userIds.length === 0) return [];
      const users = await store.users.getMany(userIds);
      // Every follower's access row in three queries, not one query per follower.
      const rows = await store.channels.getAccessMany(channelId, users.map((u) => u.id));
      const readers: string[] = [];
      for (const user of users) {
        if (user.deactivated_at !== null) continue;
        const row = rows.get(user.id);
        const allowed = row !== undefined && channelCan({ userId: user.id, username: user.username, role: user.role, sessionId: '' }, 'read', row);
        recordDecision({ resource: 'channel', action: 'read', id: channelId, allowed });
        if (allowed) readers.push(user.id);
      }
      return readers;
    });
  }

  /** Loads a team the caller may see, then checks `action`. */
  team(ctx: CallContext, teamId: string, action: TeamAction | ((row: TeamContext) => TeamAction) = 'view', store: Store = this.store): Promise<TeamContext> {
    return deciding(async () => {
      const row = await store.teams.getWithMember(teamId, ctx.actor.userId);
      if (row === undefined) this.missing('team', typeof action === 'function' ? 'view' : action, teamId);
      const act = typeof action === 'function' ? action(row) : action;
      const reason = teamRefusal(ctx.actor, act, row);
      if (reason !== undefined) this.refuse(ctx, 'team', act, teamId, reason, teamRefusal(ctx.actor, 'view', row) === undefined ? 403 : 404);
      recordDecision({ resource: 'team', action: act, id: teamId, allowed: true });
      return row;
    });
  }

  /**
   * Loads a live post the caller may read, with its channel, then checks `action` against
   * POST_POLICY (ownership included). A post in a channel the caller cannot see is a 404.
   */
  post(ctx: CallContext, postId: string, action: PostAction = 'read', store: Store = this.store): Promise<{ post: Post; row: ChannelContext }> {
    return deciding(async () => {
      const post = await store.posts.get(postId);
      if (post === undefined || post.deleted_at !== null) this.missing('post', action, postId);
      const row = await store.channels.getAccess(post.channel_id, ctx.actor.userId);
      if (row === undefined) this.missing('post', action, postId);
      const pc: PostContext = { post, channel: row };
      const reason = postRefusal(ctx.actor, action, pc);
      if (reason !== undefined) {
        const hidden = postRefusal(ctx.actor, 'read', pc) !== undefined;
        this.refuse(ctx, 'post', action, postId, reason, hidden ? 404 : 403, action === 'read' ? undefined : POST_FORBIDDEN[action]);
      }
      recordDecision({ resource: 'post', action, id: postId, allowed: true });
      return { post, row };
    });
  }

  /**
   * Loads a live file the caller may read, with its channel, then checks `action` against
   * FILE_POLICY. Every route to a file's metadata or bytes (download, thumbnail, preview)
   * comes here first; a file the caller may not read is the same 404 as a missing one.
   */
  file(ctx: CallContext, fileId: string, action: FileAction = 'read', store: Store = this.store): Promise<FileContext> {
    return deciding(async () => {
      const file: FileInfo | undefined = await store.files.get(fileId);
      if (file === undefined) this.missing('file', action, fileId);
      const row = await store.channels.getAccess(file.channel_id, ctx.actor.userId);
      if (row === undefined) this.missing('file', action, fileId);
      const fc: FileContext = { file, channel: row };
      const reason = fileRefusal(ctx.actor, action, fc);
      if (reason !== undefined) this.refuse(ctx, 'file', action, fileId, reason, fileCan(ctx.actor, 'read', fc) ? 403 : 404, 'Only the uploader or a channel admin can delete this file');
      recordDecision({ resource: 'file', action, id: fileId, allowed: true });
      return fc;
    });
  }

  /** Loads a user and checks `action` (USER_POLICY; nothing there refuses a signed-in caller yet). */
  user(ctx: CallContext, userId: string, action: UserAction): Promise<User> {
    return deciding(async () => {
      const user = await this.store.users.get(userId);
      if (user === undefined) this.missing('user', action, userId);
      if (!userCan(ctx.actor, action, { user })) this.refuse(ctx, 'user', action, userId, 'insufficient_role', 403);
      recordDecision({ resource: 'user', action, id: userId, allowed: true });
      return user;
    });
  }

  /** Loads several users and checks `action` on each (a missing one: 404, like a single one). */
  users(ctx: CallContext, userIds: readonly string[], action: UserAction): Promise<User[]> {
    return deciding(async () => {
      const users = await this.store.users.getMany(userIds);
      const found = new Map(users.map((u) => [u.id, u]));
      for (const id of userIds) {
        const user = found.get(id);
        if (user === undefined) this.missing('user', action, id);
        if (!userCan(ctx.actor, action, { user })) this.refuse(ctx, 'user', action, id, 'insufficient_role', 403);
        recordDecision({ resource: 'user', action, id, allowed: true });
      }
      return users;
    });
  }

  /** Custom emoji actions on no particular emoji (`read`: the list or a name; `create`), per EMOJI_POLICY. */
  emoji(ctx: CallContext, action: Exclude<EmojiAction, 'delete'>): void {
    if (!emojiCan(ctx.actor, action, { emoji: undefined })) this.refuse(ctx, 'emoji', action, undefined, 'insufficient_role', 403, 'You may not add custom emoji');
    recordDecision({ resource: 'emoji', action, id: undefined, allowed: true });
  }

  /** Loads a live custom emoji, then checks `action` (EMOJI_POLICY: 403 for a delete by someone else than its creator or a system admin). */
  customEmoji(ctx: CallContext, emojiId: string, action: EmojiAction): Promise<CustomEmoji> {
    return deciding(async () => {
      const emoji = await this.store.customEmoji.get(emojiId);
      if (emoji === undefined) this.missing('emoji', action, emojiId);
      if (!emojiCan(ctx.actor, action, { emoji })) this.refuse(ctx, 'emoji', action, emojiId, 'not_owner', 403, 'Only its creator or a system admin can delete a custom emoji');
      recordDecision({ resource: 'emoji', action, id: emojiId, allowed: true });
      return emoji;
    });
  }

  /** Loads an incoming webhook and checks `action` (WEBHOOK_POLICY: anyone but its creator or a system admin gets the 404 of a missing one). */
  incomingWebhook(ctx: CallContext, hookId: string, action: WebhookAction, store: Store = this.store): Promise<IncomingWebhook> {
    return deciding(async () => this.webhook(ctx, hookId, action, await store.webhooks.getIncoming(hookId)));
  }

  /** Loads an outgoing webhook and checks `action`, like `incomingWebhook`. */
  outgoingWebhook(ctx: CallContext, hookId: string, action: WebhookAction, store: Store = this.store): Promise<OutgoingWebhook> {
    return deciding(async () => this.webhook(ctx, hookId, action, await store.webhooks.getOutgoing(hookId)));
  }

  private webhook<H extends { creator_id: string }>(ctx: CallContext, hookId: string, action: WebhookAction, hook: H | undefined): H {
    if (hook === undefined) this.missing('webhook', action, hookId);
    if (!webhookCan(ctx.actor, action, { hook })) this.refuse(ctx, 'webhook', action, hookId, 'not_owner', 404);
    recordDecision({ resource: 'webhook', action, id: hookId, allowed: true });
    return hook;
  }

  /** Whose webhooks the caller's lists show (their own; a system admin's: everyone's). */
  webhookList(ctx: Pick<CallContext, 'actor'>): { readonly creatorId: string | undefined } {
    recordDecision({ resource: 'webhook', action: 'list', id: undefined, allowed: true });
    return webhookListScope(ctx.actor);
  }

  /**
   * The user whose personal access tokens the caller manages (TOKEN_POLICY.manage): a user the
   * caller may not manage is the same 404 as a user that does not exist, so the answer says
   * nothing about who owns which bot.
   */
  tokenOwner(ctx: CallContext, userId: string): Promise<{ user: User; bot: Bot | undefined }> {
    return deciding(async () => {
      const user = await this.store.users.get(userId);
      if (user === undefined) this.missing('user', 'manage_tokens', userId);
      const bot = user.is_bot === 1 ? await this.store.bots.get(userId) : undefined;
      if (!tokenCan(ctx.actor, 'manage', { user, bot })) this.refuse(ctx, 'user', 'manage_tokens', userId, 'not_owner', 404);
      recordDecision({ resource: 'user', action: 'manage_tokens', id: userId, allowed: true });
      return { user, bot };
    });
  }

  /** A personal access token the caller may revoke (its owner's TOKEN_POLICY.manage); anyone else's is a 404. */
  accessToken(ctx: CallContext, tokenId: string): Promise<AccessToken> {
    return deciding(async () => {
      const token = await this.store.accessTokens.get(tokenId);
      const owner = token === undefined ? undefined : await this.store.sessions.getWithUser(token.id);
      if (token === undefined || owner === undefined || owner.session.revoked_at !== null) this.missing('token', 'revoke', tokenId);
      const bot = owner.user.is_bot === 1 ? await this.store.bots.get(owner.user.id) : undefined;
      if (!tokenCan(ctx.actor, 'manage', { user: owner.user, bot })) this.refuse(ctx, 'token', 'revoke', tokenId, 'not_owner', 404);
      recordDecision({ resource: 'token', action: 'revoke', id: tokenId, allowed: true });
      return token;
    });
  }

  /** A bot the caller manages (BOT_POLICY: its owner or a system admin); anyone else's is the 404 of a missing one. */
  bot(ctx: CallContext, botUserId: string): Promise<{ bot: Bot; user: User }> {
    return deciding(async () => {
      const bot = await this.store.bots.get(botUserId);
      const user = bot === undefined ? undefined : await this.store.users.get(botUserId);
      if (bot === undefined || user === undefined) this.missing('bot', 'manage', botUserId);
      if (!botCan(ctx.actor, 'manage', { bot })) this.refuse(ctx, 'bot', 'manage', botUserId, 'not_owner', 404);
      recordDecision({ resource: 'bot', action: 'manage', id: botUserId, allowed: true });
      return { bot, user };
    });
  }

  /** Listing one's own bots: about the caller only, allowed to every signed-in user. */
  ownBots(_ctx: CallContext): void {
    recordDecision({ resource: 'bot', action: 'list_own', id: undefined, allowed: true });
  }

  /** Creating a bot: system admins, or any user when RUSTCHAT_BOT_CREATORS=users. */
  createBot(ctx: CallContext, anyUser: boolean): Promise<void> {
    return deciding(async () => {
      // A bot never owns a bot: its owner's deactivation must reach every token (one level).
      const caller = await this.store.users.get(ctx.actor.userId);
      if (caller?.is_bot === 1) this.refuse(ctx, 'bot', 'create', undefined, 'bot_account', 403, 'Bots cannot create bots');
      if (!anyUser) {
        this.requireSystemAdmin(ctx, 'bot.create');
        return;
      }
      recordDecision({ resource: 'bot', action: 'create', id: undefined, allowed: true });
    });
  }

  /**
   * Minting a personal access token needs a signed-in session, not a token: a token that leaked
   * must not be able to outlive its own revocation by minting others.
   */
  mintToken(ctx: CallContext, ownerId: string): Promise<void> {
    return deciding(async () => {
      const session = await this.store.sessions.getWithUser(ctx.actor.sessionId);
      if (session === undefined || session.session.kind === 'token') this.refuse(ctx, 'user', 'create_token', ownerId, 'token_session', 403, 'Personal access tokens are created from a signed-in session, not with a token');
      recordDecision({ resource: 'user', action: 'create_token', id: ownerId, allowed: true });
    });
  }

  /**
   * A live custom command the caller manages (COMMAND_POLICY.manage), with its team; a command
   * of a team the caller cannot see, or one they do not manage, is the 404 of a missing one
   * (its URL and token are not for every member).
   */
  command(ctx: CallContext, commandId: string): Promise<Command> {
    return deciding(async () => {
      const command = await this.store.commands.get(commandId);
      const team = command === undefined ? undefined : await this.store.teams.getWithMember(command.team_id, ctx.actor.userId);
      if (command === undefined || team === undefined) this.missing('command', 'manage', commandId);
      if (!commandCan(ctx.actor, 'manage', { command, team })) this.refuse(ctx, 'command', 'manage', commandId, 'not_owner', 404);
      recordDecision({ resource: 'command', action: 'manage', id: commandId, allowed: true });
      return command;
    });
  }

  /** One of the caller's own sessions; anyone else's is a 404 like a session that does not exist. */
  session(ctx: CallContext, sessionId: string): Promise<void> {
    return deciding(async () => {
      const session = (await this.store.sessions.getWithUser(sessionId))?.session;
      if (session === undefined || session.revoked_at !== null || session.expires_at <= this.clock()) this.missing('session', 'revoke', sessionId);
      if (session.user_id !== ctx.actor.userId) this.refuse(ctx, 'session', 'revoke', sessionId, 'not_owner', 404);
      recordDecision({ resource: 'session', action: 'revoke', id: sessionId, allowed: true });
    });
  }
}
