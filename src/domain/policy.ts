/**
 * Authorization as tables: for every resource, each action maps to a short list of
 * allow-rules; an action is allowed when any rule allows it. Services call `can…()` before
 * touching data, with a context loaded by one store query, and every path to a channel's
 * data (REST, WebSocket delivery, search, threads, reactions) goes through `channelCan`.
 *
 * The actor always comes from the session (roles read from the database), never from the
 * request body.
 */
import type { Channel, ChannelMember, SystemRole, Team, TeamMember } from './entities.js';

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

export type TeamAction = 'view' | 'read' | 'update' | 'archive' | 'join' | 'add_member' | 'remove_member' | 'manage_roles' | 'create_channel';

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
  | 'moderate_posts';

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
};

/** Whether `actor` may do `action`; nothing is allowed on a channel the actor may not read. */
export function channelCan(actor: Actor, action: ChannelAction, ctx: ChannelContext): boolean {
  if (action !== 'read' && !CHANNEL_POLICY.read.some((rule) => rule(actor, ctx))) return false;
  return CHANNEL_POLICY[action].some((rule) => rule(actor, ctx));
}

export function isLive(ctx: ChannelContext): boolean {
  return live(ctx);
}
