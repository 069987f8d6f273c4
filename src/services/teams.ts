/** Teams and their members. A new team gets a `town-square` channel that every member joins. */
import { randomUUID } from 'node:crypto';
import type { Channel, Team, TeamRole, TeamType } from '../domain/entities.js';
import { badRequest, conflict, notFound } from '../domain/errors.js';
import { teamCan } from '../domain/policy.js';
import { validateDisplayName, validateTeamName, validateText } from '../domain/rules.js';
import { UniqueViolation } from '../store/errors.js';
import type { Store } from '../store/store.js';
import type { TeamMember } from '../domain/entities.js';
import type { Access } from './access.js';
import { clampPage, type CallContext, type ServiceDeps } from './context.js';

export const DEFAULT_CHANNEL = 'town-square';

export interface TeamInput {
  readonly name: string;
  readonly display_name: string;
  readonly description?: string | undefined;
  readonly type?: TeamType | undefined;
}

export class TeamService {
  constructor(private readonly deps: ServiceDeps, private readonly access: Access) {}

  async create(ctx: CallContext, input: TeamInput): Promise<Team> {
    const name = validateTeamName(input.name);
    const now = this.deps.clock();
    const team: Team = {
      id: randomUUID(),
      name,
      display_name: validateDisplayName('display_name', input.display_name),
      description: validateText('description', input.description ?? '', 1024),
      type: input.type ?? 'invite',
      creator_id: ctx.actor.userId,
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    const square: Channel = {
      id: randomUUID(), team_id: team.id, type: 'public', name: DEFAULT_CHANNEL, display_name: 'Town Square', purpose: '', header: '',
      creator_id: ctx.actor.userId, created_at: now, updated_at: now, archived_at: null, last_post_at: now, last_post_seq: 0, event_seq: 0, member_key: null,
    };
    try {
      await this.deps.store.transaction(async (tx) => {
        await tx.teams.create(team);
        await tx.teams.addMember({ team_id: team.id, user_id: ctx.actor.userId, role: 'team_admin', created_at: now });
        await tx.channels.create(square);
        await tx.channels.addMember({ channel_id: square.id, user_id: ctx.actor.userId, role: 'channel_admin', last_viewed_seq: 0, last_viewed_at: now, created_at: now });
        tx.control({ kind: 'team_member_added', teamId: team.id, userId: ctx.actor.userId });
        tx.publish({ event: 'user_added', data: { user_id: ctx.actor.userId, channel_id: square.id, team_id: team.id, added_by: ctx.actor.userId }, broadcast: { channel_id: square.id } });
      });
    } catch (err) {
      if (err instanceof UniqueViolation) throw conflict('A team with that name already exists', { field: 'name' });
      throw err;
    }
    return team;
  }

  listMine(ctx: CallContext, includeArchived = false): Promise<Team[]> {
    return this.deps.store.teams.listForUser(ctx.actor.userId, includeArchived);
  }

  listJoinable(ctx: CallContext): Promise<Team[]> {
    return this.deps.store.teams.listJoinable(ctx.actor.userId);
  }

  async get(ctx: CallContext, teamId: string): Promise<Team> {
    return (await this.access.team(ctx, teamId)).team;
  }

  async update(ctx: CallContext, teamId: string, patch: { display_name?: string | undefined; description?: string | undefined; type?: TeamType | undefined }): Promise<Team> {
    await this.access.team(ctx, teamId, 'update');
    const set: { display_name?: string; description?: string; type?: TeamType } = {};
    if (patch.display_name !== undefined) set.display_name = validateDisplayName('display_name', patch.display_name);
    if (patch.description !== undefined) set.description = validateText('description', patch.description, 1024);
    if (patch.type !== undefined) set.type = patch.type;
    const team = await this.deps.store.teams.update(teamId, set, this.deps.clock());
    if (team === undefined) throw notFound('Team');
    return team;
  }

  async archive(ctx: CallContext, teamId: string): Promise<Team> {
    const { team } = await this.access.team(ctx, teamId, 'archive');
    if (team.archived_at !== null) return team;
    return (await this.deps.store.teams.update(teamId, { archived_at: this.deps.clock() }, this.deps.clock()))!;
  }

  /** Unarchives a team (team admins and system admins, like archiving). */
  async restore(ctx: CallContext, teamId: string): Promise<Team> {
    const { team } = await this.access.team(ctx, teamId, 'archive');
    if (team.archived_at === null) return team;
    return (await this.deps.store.teams.update(teamId, { archived_at: null }, this.deps.clock()))!;
  }

  async members(ctx: CallContext, teamId: string, page?: number, perPage?: number): Promise<TeamMember[]> {
    await this.access.team(ctx, teamId, 'read');
    const { offset, limit } = clampPage(page, perPage);
    return this.deps.store.teams.listMembers(teamId, offset, limit);
  }

  /** Adds a user: themself to an open team, anyone when the caller is a team or system admin. */
  async addMember(ctx: CallContext, teamId: string, userId: string): Promise<TeamMember> {
    const self = userId === ctx.actor.userId;
    // Joining yourself is the `join` right (open teams); adding anyone else needs `add_member`.
    const tc = await this.access.team(ctx, teamId, (row) => (self && !teamCan(ctx.actor, 'add_member', row) ? 'join' : 'add_member'));
    if (tc.team.archived_at !== null) throw badRequest('The team is archived');
    const target = await this.deps.store.users.get(userId);
    if (target === undefined || target.deactivated_at !== null) throw notFound('User');
    const now = this.deps.clock();
    let member: TeamMember = { team_id: teamId, user_id: userId, role: 'member', created_at: now };
    const joined = await this.deps.store.transaction(async (tx) => {
      const added = await tx.teams.addMember(member);
      if (!added) return false;
      // A team with no active admin (its last member left, or its admins were deactivated)
      // gets one when a system admin adds someone. Never by joining an open team oneself:
      // that would hand team-admin rights, private channels included, to whoever comes first.
      if (ctx.actor.role === 'system_admin' && (await tx.teams.memberCounts(teamId)).admins === 0) {
        await tx.teams.setMemberRole(teamId, userId, 'team_admin');
        member = { ...member, role: 'team_admin' };
      }
      tx.control({ kind: 'team_member_added', teamId, userId });
      const square = await tx.channels.getByName(teamId, DEFAULT_CHANNEL);
      if (square !== undefined && square.archived_at === null) {
        await tx.channels.addMember({ channel_id: square.id, user_id: userId, role: 'member', last_viewed_seq: square.last_post_seq, last_viewed_at: now, created_at: now });
        tx.publish({ event: 'user_added', data: { user_id: userId, channel_id: square.id, team_id: teamId, added_by: ctx.actor.userId }, broadcast: { channel_id: square.id } });
      }
      return true;
    });
    if (!joined) return (await this.deps.store.teams.getMember(teamId, userId))!;
    return member;
  }

  /** Removes a user from the team and from all of its channels. Anyone may leave. */
  async removeMember(ctx: CallContext, teamId: string, userId: string): Promise<void> {
    const self = userId === ctx.actor.userId;
    await this.access.team(ctx, teamId, self ? 'view' : 'remove_member');
    const left = await this.deps.store.transaction(async (tx) => {
      const member = await tx.teams.getMember(teamId, userId);
      if (member === undefined) return false;
      if (member.role === 'team_admin') await this.keepAnAdmin(tx, teamId);
      const channels = await tx.channels.removeUserFromTeamChannels(teamId, userId);
      await tx.teams.removeMember(teamId, userId);
      for (const channelId of channels) {
        tx.publish({ event: 'user_removed', data: { user_id: userId, channel_id: channelId, removed_by: ctx.actor.userId }, broadcast: { channel_id: channelId } });
      }
      tx.control({ kind: 'team_member_removed', teamId, userId });
      return true;
    });
    if (!left) throw notFound('Team member');
  }

  /**
   * Changes a member's team role. The caller's right is checked again inside the transaction,
   * after the team row is locked (memberCounts): of two admins demoting each other at once,
   * the second one to get the lock is no longer an admin and gets 403, exactly as if the two
   * requests had come one after the other. Checked only before the lock, the answer would
   * depend on timing (403 or the last-admin 409).
   */
  async setMemberRole(ctx: CallContext, teamId: string, userId: string, role: TeamRole): Promise<TeamMember> {
    await this.access.team(ctx, teamId, 'manage_roles');
    return this.deps.store.transaction(async (tx) => {
      await tx.teams.memberCounts(teamId);
      await this.access.team(ctx, teamId, 'manage_roles', tx);
      const member = await tx.teams.getMember(teamId, userId);
      if (member === undefined) throw notFound('Team member');
      if (member.role === 'team_admin' && role !== 'team_admin') await this.keepAnAdmin(tx, teamId);
      if (!(await tx.teams.setMemberRole(teamId, userId, role))) throw notFound('Team member');
      return { ...member, role };
    });
  }

  /**
   * A team with other members keeps at least one team admin: the last one cannot leave, be
   * removed or be demoted until another member is made team admin (the sole member may leave;
   * a system admin then appoints one by adding them, see addMember).
   * Called inside the transaction that makes the change, before it, for a current team admin.
   */
  private async keepAnAdmin(tx: Store, teamId: string): Promise<void> {
    const { members, admins } = await tx.teams.memberCounts(teamId);
    if (admins <= 1 && members > 1) throw conflict('The team needs a team admin: make another member team admin first');
  }

  /** Every team, archived ones included (system admins). */
  async listAll(ctx: CallContext, page?: number, perPage?: number): Promise<Team[]> {
    this.access.requireSystemAdmin(ctx, 'team.list_all');
    const { offset, limit } = clampPage(page, perPage);
    return this.deps.store.teams.listAll(offset, limit);
  }

  async channels(ctx: CallContext, teamId: string, includeArchived = false): Promise<Channel[]> {
    await this.access.team(ctx, teamId, 'read');
    return this.deps.store.channels.listVisibleInTeam(teamId, ctx.actor.userId, includeArchived);
  }
}

