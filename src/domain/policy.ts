/**
 * Authorization as tables: for every resource, each action maps to a short list of
 * allow-rules; an action is allowed when any rule allows it. Services call `can…()` before
 * touching data, with a context loaded by one store query, and every path to a channel's
 * data (REST, WebSocket delivery, search, threads, reactions) goes through `channelCan`.
 *
 * The actor always comes from the session (roles read from the database), never from the
 * request body.
 */
import type { Bot, Channel, ChannelMember, Command, CustomEmoji, FileInfo, Post, SystemRole, Team, TeamMember, User } from './entities.js';

export interface Actor {
  readonly userId: string;
  readonly username: string;
  readonly role: SystemRole;
  readonly sessionId: string;
}

type Rule<C> = (actor: Actor, ctx: C) => boolean;

export interface TeamContext {
  readonly team: Team;
  readonly member: TeamMember | undefined;
}

export interface ChannelContext {
  readonly channel: Channel;
  /** The channel's team; undefined for direct and group channels. */
  readonly team: Team | undefined;
  readonly teamMember: TeamMember | undefined;
  readonly member: ChannelMember | undefined;
}

const isSystemAdmin = (a: Actor): boolean => a.role === 'system_admin';

// ---- teams ----
const teamMember: Rule<TeamContext> = (_a, c) => c.member !== undefined;
const teamAdmin: Rule<TeamContext> = (_a, c) => c.member?.role === 'team_admin';
const teamOpen: Rule<TeamContext> = (_a, c) => c.team.type === 'open' && c.team.archived_at === null;
const teamLive = (rule: Rule<TeamContext>): Rule<TeamContext> => (a, c) => c.team.archived_at === null && rule(a, c);
const sysAdminT: Rule<TeamContext> = (a) => isSystemAdmin(a);

export type TeamAction = 'view' | 'read' | 'update' | 'archive' | 'join' | 'add_member' | 'remove_member' | 'manage_roles' | 'create_channel' | 'create_webhook' | 'manage_commands';

export const TEAM_POLICY: Readonly<Record<TeamAction, readonly Rule<TeamContext>[]>> = {
  /** See that the team exists (open teams are discoverable so that people can join). */
  view: [teamMember, teamOpen, sysAdminT],
  /** Read the team's members and channel list. */
  read: [teamMember, sysAdminT],
  update: [teamLive(teamAdmin), sysAdminT],
  archive: [teamAdmin, sysAdminT],
  join: [teamOpen],
  add_member: [teamLive(teamAdmin), sysAdminT],
  remove_member: [teamAdmin, sysAdminT],
  manage_roles: [teamLive(teamAdmin), sysAdminT],
  create_channel: [teamLive(teamMember)],
  /** Add an outgoing webhook to the team (its members; system admins too). */
  create_webhook: [teamLive(teamMember), teamLive(sysAdminT)],
  /**
   * Register custom slash commands (RUSTCHAT_CUSTOM_COMMAND_CREATORS=team_admins, the
   * default); with `members` the service asks `read` instead (any member of a live team).
   */
  manage_commands: [teamLive(teamAdmin), teamLive(sysAdminT)],
};

/** Whether `actor` may do `action`; nothing is allowed on a team the actor may not even see. */
export function teamCan(actor: Actor, action: TeamAction, ctx: TeamContext): boolean {
  if (action !== 'view' && !TEAM_POLICY.view.some((rule) => rule(actor, ctx))) return false;
  return TEAM_POLICY[action].some((rule) => rule(actor, ctx));
}

// ---- channels ----
const isMember: Rule<ChannelContext> = (_a, c) => c.member !== undefined;
const isTeamChannel = (c: ChannelContext): boolean => c.channel.type === 'public' || c.channel.type === 'private';
const live = (c: ChannelContext): boolean => c.channel.archived_at === null && (c.team === undefined || c.team.archived_at === null);
const publicInMyTeam: Rule<ChannelContext> = (_a, c) => c.channel.type === 'public' && c.teamMember !== undefined;
const channelAdmin: Rule<ChannelContext> = (_a, c) => c.member?.role === 'channel_admin' && isTeamChannel(c);
const teamAdminOf: Rule<ChannelContext> = (_a, c) => c.teamMember?.role === 'team_admin' && isTeamChannel(c);
/** System admins manage team channels (public and private), never other people's direct or group messages. */
const sysAdminC: Rule<ChannelContext> = (a, c) => isSystemAdmin(a) && isTeamChannel(c);
const whenLive = (rule: Rule<ChannelContext>): Rule<ChannelContext> => (a, c) => live(c) && rule(a, c);
const teamChannelOnly = (rule: Rule<ChannelContext>): Rule<ChannelContext> => (a, c) => isTeamChannel(c) && rule(a, c);

export type ChannelAction =
  | 'read'
  | 'post'
  | 'join'
  | 'add_member'
  | 'remove_member'
  | 'update_info'
  | 'rename'
  | 'archive'
  | 'manage_roles'
  | 'moderate_posts'
  | 'arrange'
  | 'notify_props';

export const CHANNEL_POLICY: Readonly<Record<ChannelAction, readonly Rule<ChannelContext>[]>> = {
  /** See the channel, its members and its posts. Anything else answers 404. */
  read: [isMember, publicInMyTeam, sysAdminC],
  post: [whenLive(isMember)],
  join: [whenLive(publicInMyTeam), whenLive(sysAdminC)],
  add_member: [whenLive(teamChannelOnly(isMember)), whenLive(teamAdminOf), whenLive(sysAdminC)],
  remove_member: [channelAdmin, teamAdminOf, sysAdminC],
  /** Purpose and header. */
  update_info: [whenLive(isMember), whenLive(teamAdminOf), whenLive(sysAdminC)],
  rename: [whenLive(channelAdmin), whenLive(teamAdminOf), whenLive(sysAdminC)],
  archive: [channelAdmin, teamAdminOf, sysAdminC],
  manage_roles: [whenLive(channelAdmin), whenLive(teamAdminOf), whenLive(sysAdminC)],
  /** Delete other people's posts (any member may pin and unpin, as in Mattermost). */
  moderate_posts: [whenLive(channelAdmin), whenLive(teamAdminOf), whenLive(sysAdminC)],
  /** Place the channel in one's own sidebar categories (members only; archived channels too). */
  arrange: [isMember],
  /** One's own notification preferences for the channel (members only; archived channels too). */
  notify_props: [isMember],
};

/** Whether `actor` may do `action`; nothing is allowed on a channel the actor may not read. */
export function channelCan(actor: Actor, action: ChannelAction, ctx: ChannelContext): boolean {
  if (action !== 'read' && !CHANNEL_POLICY.read.some((rule) => rule(actor, ctx))) return false;
  return CHANNEL_POLICY[action].some((rule) => rule(actor, ctx));
}

/**
 * CHANNEL_POLICY.read as a set, for reads that must filter inside the database (search: a
 * filter applied after fetching would make totals and paging lie, and timing tell counts).
 * The store compiles it to SQL; `inReadScope` states the same set as a predicate, and a
 * property test proves it equals `channelCan(actor, 'read', …)` for every context.
 */
export interface ChannelReadScope {
  readonly userId: string;
  /** Channels the user is a member of (any type), plus public channels of the user's teams. */
  readonly memberAndTeamPublic: true;
  /** System admins: every public and private channel (never others' direct or group messages). */
  readonly allTeamChannels: boolean;
}

export function channelReadScope(actor: Actor): ChannelReadScope {
  return { userId: actor.userId, memberAndTeamPublic: true, allTeamChannels: isSystemAdmin(actor) };
}

export function inReadScope(scope: ChannelReadScope, ctx: ChannelContext): boolean {
  if (ctx.member !== undefined) return true;
  if (ctx.channel.type === 'public' && ctx.teamMember !== undefined) return true;
  return scope.allTeamChannels && isTeamChannel(ctx);
}

export function isLive(ctx: ChannelContext): boolean {
  return live(ctx);
}

// ---- posts ----
/** A post and the context of its channel (loaded by the same Access call). */
export interface PostContext {
  readonly post: Post;
  readonly channel: ChannelContext;
}

const inChannel = (action: ChannelAction): Rule<PostContext> => (a, c) => channelCan(a, action, c.channel);
const isAuthor: Rule<PostContext> = (a, c) => c.post.user_id === a.userId;
const both = <C>(x: Rule<C>, y: Rule<C>): Rule<C> => (a, c) => x(a, c) && y(a, c);
const channelMember: Rule<PostContext> = (_a, c) => c.channel.member !== undefined;

export type PostAction = 'read' | 'edit' | 'delete' | 'react' | 'pin' | 'mark_unread' | 'remove_preview';

export const POST_POLICY: Readonly<Record<PostAction, readonly Rule<PostContext>[]>> = {
  /** Posts are as visible as their channel. */
  read: [inChannel('read')],
  /** Only the author, and only while they may still post there. */
  edit: [both(isAuthor, inChannel('post'))],
  /** The author (while they may post there), or a moderator of the channel. */
  delete: [both(isAuthor, inChannel('post')), inChannel('moderate_posts')],
  /** Any member of a live channel, on anyone's post (as in Mattermost). */
  react: [inChannel('post')],
  pin: [inChannel('post')],
  /** Move my read position back: only a member has one, archived channels included (reading them is allowed). */
  mark_unread: [both(channelMember, inChannel('read'))],
  /** Take the link preview off a post: it is part of what the author says, like an edit. */
  remove_preview: [both(isAuthor, inChannel('post'))],
};

/** Whether `actor` may do `action` to the post; nothing is allowed on a post the actor may not read. */
export function postCan(actor: Actor, action: PostAction, ctx: PostContext): boolean {
  if (action !== 'read' && !POST_POLICY.read.some((rule) => rule(actor, ctx))) return false;
  return POST_POLICY[action].some((rule) => rule(actor, ctx));
}

// ---- files ----
/** A file and the context of the channel it was uploaded to (loaded by the same Access call). */
export interface FileContext {
  readonly file: FileInfo;
  readonly channel: ChannelContext;
}

const inFileChannel = (action: ChannelAction): Rule<FileContext> => (a, c) => channelCan(a, action, c.channel);
const isUploader: Rule<FileContext> = (a, c) => c.file.user_id === a.userId;
const isPosted: Rule<FileContext> = (_a, c) => c.file.post_id !== null;

export type FileAction = 'read' | 'delete';

export const FILE_POLICY: Readonly<Record<FileAction, readonly Rule<FileContext>[]>> = {
  /**
   * A posted file is exactly as visible as its channel (every route to its bytes asks this);
   * an upload not yet posted only to its uploader, and only while they may still read the channel.
   */
  read: [both(isPosted, inFileChannel('read')), both(isUploader, inFileChannel('read'))],
  /** The uploader while they may post there; a moderator of the channel for a posted file. */
  delete: [both(isUploader, inFileChannel('post')), both(isPosted, inFileChannel('moderate_posts'))],
};

/** Whether `actor` may do `action` to the file; nothing is allowed on a file the actor may not read. */
export function fileCan(actor: Actor, action: FileAction, ctx: FileContext): boolean {
  if (action !== 'read' && !FILE_POLICY.read.some((rule) => rule(actor, ctx))) return false;
  return FILE_POLICY[action].some((rule) => rule(actor, ctx));
}

// ---- users ----
export interface UserContext {
  readonly user: Pick<User, 'id'>;
}

export type UserAction = 'view' | 'see_email';

export const USER_POLICY: Readonly<Record<UserAction, readonly Rule<UserContext>[]>> = {
  /** The directory is server-wide: any signed-in user sees anyone's profile and presence. */
  view: [() => true],
  /** E-mail addresses: one's own, and system admins. */
  see_email: [(a, c) => c.user.id === a.userId, (a) => isSystemAdmin(a)],
};

export function userCan(actor: Pick<Actor, 'userId' | 'role'>, action: UserAction, ctx: UserContext): boolean {
  return USER_POLICY[action].some((rule) => rule(actor as Actor, ctx));
}

// ---- custom emoji ----
/** The emoji an action is about; undefined for actions on no particular one (create, list). */
export interface EmojiContext {
  readonly emoji: Pick<CustomEmoji, 'creator_id'> | undefined;
}

export type EmojiAction = 'read' | 'create' | 'delete';

const isEmojiCreator: Rule<EmojiContext> = (a, c) => c.emoji !== undefined && c.emoji.creator_id === a.userId;

export const EMOJI_POLICY: Readonly<Record<EmojiAction, readonly Rule<EmojiContext>[]>> = {
  /** Custom emoji are server-wide, like the user directory: any signed-in user sees the list and the images. */
  read: [() => true],
  /** Any signed-in, active user (Mattermost's default). */
  create: [() => true],
  /** Its creator, or a system admin. */
  delete: [isEmojiCreator, (a) => isSystemAdmin(a)],
};

export function emojiCan(actor: Actor, action: EmojiAction, ctx: EmojiContext): boolean {
  return EMOJI_POLICY[action].some((rule) => rule(actor, ctx));
}

// ---- webhooks ----
/**
 * The webhook an action is about (incoming or outgoing). Creating one is decided on its
 * channel (CHANNEL_POLICY.post, incoming) or team (TEAM_POLICY.create_webhook, outgoing);
 * executing an incoming one is decided as its creator, on the channel, every time.
 */
export interface WebhookContext {
  readonly hook: { readonly creator_id: string };
}

/** `manage`: see it, change it, delete it, regenerate its token, read its delivery log. */
export type WebhookAction = 'manage';

const isHookCreator: Rule<WebhookContext> = (a, c) => c.hook.creator_id === a.userId;

export const WEBHOOK_POLICY: Readonly<Record<WebhookAction, readonly Rule<WebhookContext>[]>> = {
  /** Its creator, or a system admin; anyone else is told it does not exist. */
  manage: [isHookCreator, (a) => isSystemAdmin(a)],
};

export function webhookCan(actor: Actor, action: WebhookAction, ctx: WebhookContext): boolean {
  return WEBHOOK_POLICY[action].some((rule) => rule(actor, ctx));
}

/** Whose webhooks a list shows: the caller's own, or everyone's for a system admin. */
export function webhookListScope(actor: Actor): { readonly creatorId: string | undefined } {
  return { creatorId: isSystemAdmin(actor) ? undefined : actor.userId };
}

// ---- personal access tokens and bots ----
/** The user whose personal access tokens an action is about, and their bot record when they are a bot. */
export interface TokenOwnerContext {
  readonly user: Pick<User, 'id' | 'is_bot'>;
  readonly bot: Pick<Bot, 'owner_id'> | undefined;
}

export type TokenAction = 'manage';

export const TOKEN_POLICY: Readonly<Record<TokenAction, readonly Rule<TokenOwnerContext>[]>> = {
  /**
   * Create, list and revoke a user's tokens: a person their own, a bot's owner the bot's (a
   * bot never mints tokens for itself), a system admin anyone's.
   */
  manage: [(a, c) => c.user.id === a.userId && c.user.is_bot === 0, (a, c) => c.bot !== undefined && c.bot.owner_id === a.userId, (a) => isSystemAdmin(a)],
};

export function tokenCan(actor: Actor, action: TokenAction, ctx: TokenOwnerContext): boolean {
  return TOKEN_POLICY[action].some((rule) => rule(actor, ctx));
}

export interface BotContext {
  readonly bot: Pick<Bot, 'owner_id'>;
}

export type BotAction = 'manage';

export const BOT_POLICY: Readonly<Record<BotAction, readonly Rule<BotContext>[]>> = {
  /** See, change, disable and enable a bot: its owner and system admins (others get the 404 of a bot that does not exist). */
  manage: [(a, c) => c.bot.owner_id === a.userId, (a) => isSystemAdmin(a)],
};

export function botCan(actor: Actor, action: BotAction, ctx: BotContext): boolean {
  return BOT_POLICY[action].some((rule) => rule(actor, ctx));
}

// ---- custom slash commands ----
export interface CommandContext {
  readonly command: Pick<Command, 'creator_id'>;
  readonly team: TeamContext;
}

export type CommandAction = 'manage';

export const COMMAND_POLICY: Readonly<Record<CommandAction, readonly Rule<CommandContext>[]>> = {
  /**
   * See (with its token), change, regenerate the token of and delete a command: its creator
   * while still in the team, the team's admins, system admins. Other members only see the
   * team's commands through autocomplete (no URL, no token).
   */
  manage: [(a, c) => c.command.creator_id === a.userId && c.team.member !== undefined, (_a, c) => c.team.member?.role === 'team_admin', (a) => isSystemAdmin(a)],
};

export function commandCan(actor: Actor, action: CommandAction, ctx: CommandContext): boolean {
  return COMMAND_POLICY[action].some((rule) => rule(actor, ctx));
}

// ---- why a refusal happened ----
// For the `access_denied` security event only: the client sees the same 404 (or 403) whatever
// the reason. The reason is found by asking which one change to the context would allow the
// action, so it always agrees with the tables above.

export type RefusalReason = 'not_team_member' | 'private_channel' | 'not_member' | 'archived' | 'not_owner' | 'insufficient_role' | 'not_system_admin' | 'bot_account' | 'token_session';

const revivedChannel = (c: ChannelContext): ChannelContext => ({ ...c, channel: { ...c.channel, archived_at: null }, team: c.team && { ...c.team, archived_at: null } });
const asChannelMember = (a: Actor, c: ChannelContext): ChannelContext =>
  c.member !== undefined ? c : { ...c, member: { channel_id: c.channel.id, user_id: a.userId, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 0 } };

/** Why the caller may not see the channel at all (answered as 404). */
function hiddenChannelReason(ctx: ChannelContext): RefusalReason {
  if (ctx.channel.type === 'private') return 'private_channel';
  return isTeamChannel(ctx) && ctx.teamMember === undefined ? 'not_team_member' : 'not_member';
}

/** Why `action` is refused on the channel; undefined when it is allowed. */
export function channelRefusal(actor: Actor, action: ChannelAction, ctx: ChannelContext): RefusalReason | undefined {
  if (channelCan(actor, action, ctx)) return undefined;
  if (!channelCan(actor, 'read', ctx)) return hiddenChannelReason(ctx);
  const can = (c: ChannelContext): boolean => channelCan(actor, action, c);
  if (!live(ctx) && (can(revivedChannel(ctx)) || can(asChannelMember(actor, revivedChannel(ctx))))) return 'archived';
  if (ctx.member === undefined && can(asChannelMember(actor, ctx))) return 'not_member';
  return 'insufficient_role';
}

/** Why `action` is refused on the team; undefined when it is allowed. */
export function teamRefusal(actor: Actor, action: TeamAction, ctx: TeamContext): RefusalReason | undefined {
  if (teamCan(actor, action, ctx)) return undefined;
  if (!teamCan(actor, 'view', ctx)) return 'not_team_member';
  const can = (c: TeamContext): boolean => teamCan(actor, action, c);
  const revived: TeamContext = { ...ctx, team: { ...ctx.team, archived_at: null } };
  const asMember = (c: TeamContext): TeamContext => (c.member !== undefined ? c : { ...c, member: { team_id: c.team.id, user_id: actor.userId, role: 'member', created_at: 0 } });
  if (ctx.team.archived_at !== null && (can(revived) || can(asMember(revived)))) return 'archived';
  if (ctx.member === undefined && can(asMember(ctx))) return 'not_team_member';
  return 'insufficient_role';
}

/** Why `action` is refused on the post; undefined when it is allowed. */
export function postRefusal(actor: Actor, action: PostAction, ctx: PostContext): RefusalReason | undefined {
  if (postCan(actor, action, ctx)) return undefined;
  if (!postCan(actor, 'read', ctx)) return hiddenChannelReason(ctx.channel);
  const can = (c: ChannelContext): boolean => postCan(actor, action, { ...ctx, channel: c });
  const channel = ctx.channel;
  if (!live(channel) && (can(revivedChannel(channel)) || can(asChannelMember(actor, revivedChannel(channel))))) return 'archived';
  if (channel.member === undefined && can(asChannelMember(actor, channel))) return 'not_member';
  if (ctx.post.user_id !== actor.userId) return 'not_owner';
  return 'insufficient_role';
}

/** Why `action` is refused on the file; undefined when it is allowed. */
export function fileRefusal(actor: Actor, action: FileAction, ctx: FileContext): RefusalReason | undefined {
  if (fileCan(actor, action, ctx)) return undefined;
  if (!fileCan(actor, 'read', ctx)) return channelCan(actor, 'read', ctx.channel) ? 'not_owner' : hiddenChannelReason(ctx.channel);
  const channel = ctx.channel;
  const can = (c: ChannelContext): boolean => fileCan(actor, action, { ...ctx, channel: c });
  if (!live(channel) && (can(revivedChannel(channel)) || can(asChannelMember(actor, revivedChannel(channel))))) return 'archived';
  if (channel.member === undefined && can(asChannelMember(actor, channel))) return 'not_member';
  if (ctx.file.user_id !== actor.userId) return 'not_owner';
  return 'insufficient_role';
}
