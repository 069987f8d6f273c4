/**
 * Channels: public and private team channels, direct (one per pair of users) and group
 * (one per set of 3–8 users) channels, their members, read pointers and unread counts.
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ChannelMember, ChannelRole, ChannelType } from '../domain/entities.js';
import { badRequest, conflict, invalid, notFound } from '../domain/errors.js';
import { channelCan } from '../domain/policy.js';
import { channelView } from '../domain/presenters.js';
import { conversationKey, validateChannelName, validateDisplayName, validateText } from '../domain/rules.js';
import { UniqueViolation } from '../store/errors.js';
import type { ChannelStats, UnreadRow } from '../store/store.js';
import type { Access } from './access.js';
import { clampPage, type CallContext, type ServiceDeps } from './context.js';
import { collapsedThreads } from './threads.js';

export interface ChannelInput {
  readonly team_id?: string | undefined;
  readonly name?: string | undefined;
  readonly display_name?: string | undefined;
  readonly purpose?: string | undefined;
  readonly header?: string | undefined;
  readonly channel_type: ChannelType;
  readonly target_user_id?: string | undefined;
  readonly user_ids?: readonly string[] | undefined;
}

export interface ChannelPatch {
  readonly name?: string | undefined;
  readonly display_name?: string | undefined;
  readonly purpose?: string | undefined;
  readonly header?: string | undefined;
}

/** Direct and group channels: fixed membership, no team, no admins. */
function isConversation(row: { channel: Channel }): boolean {
  return row.channel.type === 'direct' || row.channel.type === 'group';
}

export const GROUP_MIN = 3;
export const GROUP_MAX = 8;

export class ChannelService {
  constructor(private readonly deps: ServiceDeps, private readonly access: Access) {}

  /** Creates a channel; for direct and group channels an existing one is returned (`created: false`). */
  async create(ctx: CallContext, input: ChannelInput): Promise<{ channel: Channel; created: boolean }> {
    if (input.channel_type === 'direct' || input.channel_type === 'group') return this.createPrivateConversation(ctx, input);
    if (input.team_id === undefined) throw invalid('team_id', 'team_id is required for public and private channels');
    if (input.name === undefined) throw invalid('name', 'name is required');
    await this.access.team(ctx, input.team_id, 'create_channel');
    const name = validateChannelName(input.name);
    const now = this.deps.clock();
    const channel: Channel = {
      id: randomUUID(),
      team_id: input.team_id,
      type: input.channel_type,
      name,
      display_name: validateDisplayName('display_name', input.display_name ?? name),
      purpose: validateText('purpose', input.purpose ?? '', 250),
      header: validateText('header', input.header ?? '', 1024),
      creator_id: ctx.actor.userId,
      created_at: now,
      updated_at: now,
      archived_at: null,
      last_post_at: now,
      last_post_seq: 0, event_seq: 0,
      member_key: null,
    };
    try {
      await this.deps.store.transaction(async (tx) => {
        await tx.channels.create(channel);
        await tx.channels.addMember({ channel_id: channel.id, user_id: ctx.actor.userId, role: 'channel_admin', last_viewed_seq: 0, last_viewed_at: now, created_at: now });
        tx.publish({ event: 'channel_created', data: { channel: channelView(channel) }, broadcast: channel.type === 'public' ? { team_id: channel.team_id! } : { user_id: ctx.actor.userId } });
        tx.publish({ event: 'user_added', data: { user_id: ctx.actor.userId, channel_id: channel.id, team_id: channel.team_id, added_by: ctx.actor.userId }, broadcast: { channel_id: channel.id } });
      });
    } catch (err) {
      if (err instanceof UniqueViolation) throw conflict('A channel with that name already exists in this team', { field: 'name' });
      throw err;
    }
    return { channel, created: true };
  }

  private async createPrivateConversation(ctx: CallContext, input: ChannelInput): Promise<{ channel: Channel; created: boolean }> {
    let others: string[];
    if (input.channel_type === 'direct') {
      if (input.target_user_id === undefined) throw invalid('target_user_id', 'target_user_id is required for a direct channel');
      others = [input.target_user_id];
    } else {
      others = [...new Set((input.user_ids ?? []).filter((id) => id !== ctx.actor.userId))];
      if (others.length + 1 < GROUP_MIN || others.length + 1 > GROUP_MAX) {
        throw invalid('user_ids', `A group channel has ${GROUP_MIN} to ${GROUP_MAX} members including you`);
      }
    }
    const users = await this.access.users(ctx, others, 'view');
    const live = new Set(users.filter((u) => u.deactivated_at === null).map((u) => u.id));
    if (others.some((id) => !live.has(id))) throw notFound('User');
    const members = [...new Set([ctx.actor.userId, ...others])];
    const key = conversationKey(input.channel_type === 'direct' ? 'direct' : 'group', members);
    const existing = await this.deps.store.channels.getByMemberKey(key);
    if (existing !== undefined) return { channel: existing, created: false };
    const now = this.deps.clock();
    const channel: Channel = {
      id: randomUUID(), team_id: null, type: input.channel_type, name: key.replace(/[^a-z0-9]/gi, '').slice(0, 64), display_name: '', purpose: '', header: '',
      creator_id: ctx.actor.userId, created_at: now, updated_at: now, archived_at: null, last_post_at: now, last_post_seq: 0, event_seq: 0, member_key: key,
    };
    try {
      await this.deps.store.transaction(async (tx) => {
        await tx.channels.create(channel);
        for (const userId of members) {
          await tx.channels.addMember({ channel_id: channel.id, user_id: userId, role: 'member', last_viewed_seq: 0, last_viewed_at: now, created_at: now });
          tx.publish({ event: 'channel_created', data: { channel: channelView(channel) }, broadcast: { user_id: userId } });
        }
      });
    } catch (err) {
      // Two people opened the same conversation at once: the other request won.
      if (err instanceof UniqueViolation) {
        const winner = await this.deps.store.channels.getByMemberKey(key);
        if (winner !== undefined) return { channel: winner, created: false };
      }
      throw err;
    }
    return { channel, created: true };
  }

  async get(ctx: CallContext, channelId: string): Promise<Channel> {
    return (await this.access.channel(ctx, channelId)).channel;
  }

  async getByName(ctx: CallContext, teamId: string, name: string): Promise<Channel> {
    // Decide about the team before looking inside it (the channel's own check follows).
    await this.access.team(ctx, teamId);
    const channel = await this.deps.store.channels.getByName(teamId, name.toLowerCase());
    if (channel === undefined) throw notFound('Channel');
    return this.get(ctx, channel.id);
  }

  listMine(ctx: CallContext): Promise<Channel[]> {
    return this.deps.store.channels.listForUser(ctx.actor.userId);
  }

  async update(ctx: CallContext, channelId: string, patch: ChannelPatch): Promise<Channel> {
    const renaming = patch.name !== undefined || patch.display_name !== undefined;
    // Renaming a conversation is a malformed request (400) for its members, not a permission question.
    const { channel } = await this.access.channel(ctx, channelId, (r) => (renaming ? (isConversation(r) ? 'read' : 'rename') : 'update_info'));
    if (renaming && isConversation({ channel })) throw badRequest('Direct and group channels cannot be renamed');
    const set: { name?: string; display_name?: string; purpose?: string; header?: string } = {};
    if (patch.name !== undefined) set.name = validateChannelName(patch.name);
    if (patch.display_name !== undefined) set.display_name = validateDisplayName('display_name', patch.display_name);
    if (patch.purpose !== undefined) set.purpose = validateText('purpose', patch.purpose, 250);
    if (patch.header !== undefined) set.header = validateText('header', patch.header, 1024);
    let updated: Channel | undefined;
    try {
      updated = await this.deps.store.write(async (tx) => {
        const changed = await tx.channels.update(channelId, set, this.deps.clock());
        if (changed !== undefined) tx.publish({ event: 'channel_updated', data: { channel: channelView(changed) }, broadcast: { channel_id: channelId } });
        return changed;
      });
    } catch (err) {
      if (err instanceof UniqueViolation) throw conflict('A channel with that name already exists in this team', { field: 'name' });
      throw err;
    }
    if (updated === undefined) throw notFound('Channel');
    return updated;
  }

  async archive(ctx: CallContext, channelId: string): Promise<Channel> {
    const { channel } = await this.access.channel(ctx, channelId, (r) => (isConversation(r) ? 'read' : 'archive'));
    if (isConversation({ channel })) throw badRequest('Direct and group channels cannot be archived');
    if (channel.archived_at !== null) return channel;
    const now = this.deps.clock();
    return this.deps.store.write(async (tx) => {
      const updated = (await tx.channels.update(channelId, { archived_at: now }, now))!;
      tx.publish({ event: 'channel_deleted', data: { channel_id: channelId, team_id: channel.team_id, archived_at: now }, broadcast: { channel_id: channelId } });
      return updated;
    });
  }

  async restore(ctx: CallContext, channelId: string): Promise<Channel> {
    const row = await this.access.channel(ctx, channelId, 'archive');
    if (row.channel.archived_at === null) return row.channel;
    if (row.team?.archived_at !== null && row.team?.archived_at !== undefined) throw badRequest('The team is archived');
    return this.deps.store.write(async (tx) => {
      const updated = (await tx.channels.update(channelId, { archived_at: null }, this.deps.clock()))!;
      tx.publish({ event: 'channel_updated', data: { channel: channelView(updated) }, broadcast: { channel_id: channelId } });
      return updated;
    });
  }

  async members(ctx: CallContext, channelId: string, page?: number, perPage?: number): Promise<ChannelMember[]> {
    await this.access.channel(ctx, channelId);
    const { offset, limit } = clampPage(page, perPage);
    return this.deps.store.channels.listMembers(channelId, offset, limit);
  }

  async member(ctx: CallContext, channelId: string, userId: string): Promise<ChannelMember> {
    await this.access.channel(ctx, channelId);
    const m = await this.deps.store.channels.getMember(channelId, userId);
    if (m === undefined) throw notFound('Channel member');
    return m;
  }

  /** Adds a user: themself to a public channel of their team; others when the caller is a member. */
  async addMember(ctx: CallContext, channelId: string, userId: string): Promise<ChannelMember> {
    const self = userId === ctx.actor.userId;
    const row = await this.access.channel(ctx, channelId, (r) => (isConversation(r) ? 'read' : self && !channelCan(ctx.actor, 'add_member', r) ? 'join' : 'add_member'));
    const { channel } = row;
    if (isConversation(row)) throw badRequest('Members cannot be added to direct or group channels; start a new group instead');
    const target = await this.deps.store.users.get(userId);
    if (target === undefined || target.deactivated_at !== null) throw notFound('User');
    if ((await this.deps.store.teams.getMember(channel.team_id!, userId)) === undefined) throw badRequest('The user is not a member of this channel\'s team');
    const now = this.deps.clock();
    const member: ChannelMember = { channel_id: channelId, user_id: userId, role: 'member', last_viewed_seq: channel.last_post_seq, last_viewed_at: now, created_at: now };
    const added = await this.deps.store.write(async (tx) => {
      if (!(await tx.channels.addMember(member))) return false;
      tx.publish({ event: 'user_added', data: { user_id: userId, channel_id: channelId, team_id: channel.team_id, added_by: ctx.actor.userId }, broadcast: { channel_id: channelId } });
      return true;
    });
    if (!added) return (await this.deps.store.channels.getMember(channelId, userId))!;
    return member;
  }

  /** Removes a member; anyone may leave a team or group channel, but nobody leaves a direct channel. */
  async removeMember(ctx: CallContext, channelId: string, userId: string): Promise<void> {
    const self = userId === ctx.actor.userId;
    const { channel } = await this.access.channel(ctx, channelId, (r) => (self || isConversation(r) ? 'read' : 'remove_member'));
    if (channel.type === 'direct') throw badRequest('You cannot leave a direct channel');
    if (channel.type === 'group' && !self) throw badRequest('Members cannot be removed from group channels');
    const removed = await this.deps.store.write(async (tx) => {
      if (!(await tx.channels.removeMember(channelId, userId))) return false;
      tx.publish({ event: 'user_removed', data: { user_id: userId, channel_id: channelId, removed_by: ctx.actor.userId }, broadcast: { channel_id: channelId } });
      return true;
    });
    if (!removed) throw notFound('Channel member');
  }

  async setMemberRole(ctx: CallContext, channelId: string, userId: string, role: ChannelRole): Promise<ChannelMember> {
    await this.access.channel(ctx, channelId, 'manage_roles');
    if (!(await this.deps.store.channels.setMemberRole(channelId, userId, role))) throw notFound('Channel member');
    return (await this.deps.store.channels.getMember(channelId, userId))!;
  }

  async stats(ctx: CallContext, channelId: string): Promise<ChannelStats> {
    await this.access.channel(ctx, channelId);
    return this.deps.store.channels.stats(channelId);
  }

  /** Marks the channel read up to its newest post (members only; a no-op for readers of a public channel). */
  async markRead(ctx: CallContext, channelId: string): Promise<UnreadRow | undefined> {
    const { channel, member } = await this.access.channel(ctx, channelId);
    if (member === undefined) return undefined;
    const now = this.deps.clock();
    await this.deps.store.write(async (tx) => {
      await tx.channels.setLastViewed(channelId, ctx.actor.userId, channel.last_post_seq, now);
      tx.publish({ event: 'channel_viewed', data: { channel_id: channelId, last_viewed_seq: channel.last_post_seq }, broadcast: { user_id: ctx.actor.userId } });
    });
    return (await this.deps.store.channels.unreads(ctx.actor.userId, channelId, { rootsOnly: await collapsedThreads(this.deps.store, ctx.actor.userId) }))[0];
  }

  async unread(ctx: CallContext, channelId: string): Promise<UnreadRow> {
    const { channel, member } = await this.access.channel(ctx, channelId);
    if (member === undefined) return { channel_id: channelId, team_id: channel.team_id, last_viewed_seq: channel.last_post_seq, last_post_seq: channel.last_post_seq, unread_count: 0, mention_count: 0 };
    return (await this.deps.store.channels.unreads(ctx.actor.userId, channelId, { rootsOnly: await collapsedThreads(this.deps.store, ctx.actor.userId) }))[0]!;
  }

  /** Unread and mention counts per channel; with collapsed threads (the default) replies count in their thread instead. */
  async overview(ctx: CallContext): Promise<UnreadRow[]> {
    return this.deps.store.channels.unreads(ctx.actor.userId, undefined, { rootsOnly: await collapsedThreads(this.deps.store, ctx.actor.userId) });
  }

  async markAllRead(ctx: CallContext): Promise<string[]> {
    return this.deps.store.transaction(async (tx) => {
      const changed = await tx.channels.markAllRead(ctx.actor.userId, this.deps.clock());
      for (const channelId of changed) {
        const row = await tx.channels.getMember(channelId, ctx.actor.userId);
        tx.publish({ event: 'channel_viewed', data: { channel_id: channelId, last_viewed_seq: row?.last_viewed_seq ?? 0 }, broadcast: { user_id: ctx.actor.userId } });
      }
      return changed;
    });
  }
}
