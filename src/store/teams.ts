/** Storage of teams and team memberships. */
import type { Team, TeamMember, TeamRole } from '../domain/entities.js';

export interface TeamWithMembership {
  readonly team: Team;
  readonly member: TeamMember | undefined;
}

export interface TeamStore {
  create(team: Team): Promise<void>;
  get(id: string): Promise<Team | undefined>;
  /** The team and the user's membership in it, in one query. */
  getWithMember(id: string, userId: string): Promise<TeamWithMembership | undefined>;
  update(id: string, patch: Partial<Pick<Team, 'display_name' | 'description' | 'type' | 'archived_at'>>, now: number): Promise<Team | undefined>;
  /** The user's teams by display name (case-insensitive, the same on both databases). */
  listForUser(userId: string, includeArchived: boolean): Promise<Team[]>;
  /** Open, live teams the user is not a member of, by display name. */
  listJoinable(userId: string): Promise<Team[]>;
  /** Every team by name (byte order), paged. */
  listAll(offset: number, limit: number): Promise<Team[]>;
  addMember(member: TeamMember): Promise<boolean>;
  removeMember(teamId: string, userId: string): Promise<boolean>;
  getMember(teamId: string, userId: string): Promise<TeamMember | undefined>;
  listMembers(teamId: string, offset: number, limit: number): Promise<TeamMember[]>;
  setMemberRole(teamId: string, userId: string, role: TeamRole): Promise<boolean>;
  /**
   * How many members and active (not deactivated) team admins the team has. Inside a transaction on PostgreSQL the
   * team row is locked first (FOR UPDATE), so that two membership changes checked against
   * these counts run one after the other (SQLite has one writer at a time anyway).
   */
  memberCounts(teamId: string): Promise<{ members: number; admins: number }>;
  /** Ids of the teams the user belongs to. */
  teamIdsForUser(userId: string): Promise<string[]>;
}
