/** Storage of channels (team, direct and group) and channel memberships. */
import type { Channel, ChannelMember, ChannelRole, Team, TeamMember } from '../domain/entities.js';
import type { ReadPointerStore } from './read-pointers.js';

export interface ChannelAccessRow {
  readonly channel: Channel;
  readonly team: Team | undefined;
  readonly teamMember: TeamMember | undefined;
  readonly member: ChannelMember | undefined;
}

export interface ChannelStats {
  readonly member_count: number;
  readonly post_count: number;
  readonly pinned_post_count: number;
}

export interface ChannelStore extends ReadPointerStore {
  /** Throws UniqueViolation on a name taken in the team or a taken member key. */
  create(channel: Channel): Promise<void>;
  get(id: string): Promise<Channel | undefined>;
  /** The channels among `ids` that exist, in one query (any order). */
  getMany(ids: readonly string[]): Promise<Channel[]>;
  /** Channel, team, team membership and channel membership of `userId`, in one query. */
  getAccess(id: string, userId: string): Promise<ChannelAccessRow | undefined>;
  /**
   * The same row for each of `userIds` (keyed by user id), in three queries whatever their
   * number: whom a user-addressed event may reach (a thread's followers). Empty when the
   * channel does not exist.
   */
  getAccessMany(id: string, userIds: readonly string[]): Promise<Map<string, ChannelAccessRow>>;
  /**
   * Takes the channel's next event number for this write (store/outbox.ts): the write's
   * events to the channel leave stamped with it, in commit order (on PostgreSQL the channel
   * row stays locked until the commit). Call it only in a write that publishes to the channel.
   */
  takeEventSeq(channelId: string): Promise<void>;
  getByName(teamId: string, name: string): Promise<Channel | undefined>;
  getByMemberKey(key: string): Promise<Channel | undefined>;
  /** Throws UniqueViolation on a name taken in the team; undefined when the channel is gone. */
  update(id: string, patch: Partial<Pick<Channel, 'name' | 'display_name' | 'purpose' | 'header' | 'archived_at'>>, now: number): Promise<Channel | undefined>;
  /** Public channels of a team plus the private ones `userId` belongs to, by display name (case-insensitive). */
  listVisibleInTeam(teamId: string, userId: string, includeArchived: boolean): Promise<Channel[]>;
  /** Every channel the user is a member of (team channels, direct and group). */
  listForUser(userId: string): Promise<Channel[]>;
  addMember(member: ChannelMember): Promise<boolean>;
  removeMember(channelId: string, userId: string): Promise<boolean>;
  getMember(channelId: string, userId: string): Promise<ChannelMember | undefined>;
  listMembers(channelId: string, offset: number, limit: number): Promise<ChannelMember[]>;
  memberIds(channelId: string): Promise<string[]>;
  setMemberRole(channelId: string, userId: string, role: ChannelRole): Promise<boolean>;
  /** Removes the user from every channel of the team; returns the channel ids left. */
  removeUserFromTeamChannels(teamId: string, userId: string): Promise<string[]>;
  stats(channelId: string): Promise<ChannelStats>;
  /** Ids of channels of a team the user belongs to. */
  channelIdsForUser(userId: string): Promise<string[]>;
}
