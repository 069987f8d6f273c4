/**
 * The storage interface. Services depend on this, never on a driver. Verbs are boring on
 * purpose; every method runs inside the surrounding transaction when called on the `tx`
 * handed to `transaction()`.
 *
 * Implementations: store/kysely (one implementation over two dialects: embedded SQLite in
 * store/sqlite, PostgreSQL in store/postgres). The contract suite in test/store checks both.
 */
import type { Channel, ChannelMember, ChannelRole, Post, Reaction, Session, SystemRole, Team, TeamMember, TeamRole, User } from '../domain/entities.js';
import type { Dialect } from './migrations.js';
import type { SealedValueStore } from './sealed.js';
import type { SsoStore } from './sso.js';

export type NewUser = Omit<User, 'deactivated_at'>;
export type UserPatch = Partial<Pick<User, 'display_name' | 'first_name' | 'last_name' | 'nickname' | 'position' | 'avatar_url' | 'status_text' | 'status_emoji' | 'timezone' | 'email' | 'username' | 'email_verified'>>;

export interface UserStore {
  /** Inserts a user; throws UniqueViolation on a taken username or e-mail. */
  create(user: NewUser): Promise<User>;
  get(id: string): Promise<User | undefined>;
  getMany(ids: readonly string[]): Promise<User[]>;
  /** By lower-case e-mail or username. */
  getByLogin(login: string): Promise<User | undefined>;
  getByUsernames(usernames: readonly string[]): Promise<User[]>;
  update(id: string, patch: UserPatch, now: number): Promise<User | undefined>;
  setPasswordHash(id: string, hash: string, now: number): Promise<void>;
  setRole(id: string, role: SystemRole, now: number): Promise<void>;
  setDeactivated(id: string, at: number | null, now: number): Promise<void>;
  /** Active (unless includeInactive) users whose username, display, real or nick name contains `q` (any case), by username. */
  search(query: { q?: string | undefined; offset: number; limit: number; includeInactive?: boolean }): Promise<User[]>;
  count(): Promise<number>;
}

export interface SessionWithUser {
  readonly session: Session;
  readonly user: User;
}

export interface SessionStore {
  create(session: Session): Promise<void>;
  /** The session with its user, whatever its state (the caller checks expiry/revocation). */
  getWithUser(id: string): Promise<SessionWithUser | undefined>;
  /** Marks a session revoked; returns false when it was already revoked or unknown. */
  revoke(id: string, at: number): Promise<boolean>;
  /** Revokes every live session of a user except `exceptId`; returns the ids revoked. */
  revokeAllForUser(userId: string, at: number, exceptId?: string): Promise<string[]>;
  listActiveForUser(userId: string, now: number): Promise<Session[]>;
}

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

export interface UnreadRow {
  readonly channel_id: string;
  readonly team_id: string | null;
  readonly last_viewed_seq: number;
  readonly last_post_seq: number;
  readonly unread_count: number;
  readonly mention_count: number;
}

export interface ChannelStore {
  create(channel: Channel): Promise<void>;
  get(id: string): Promise<Channel | undefined>;
  /** Channel, team, team membership and channel membership of `userId`, in one query. */
  getAccess(id: string, userId: string): Promise<ChannelAccessRow | undefined>;
  getByName(teamId: string, name: string): Promise<Channel | undefined>;
  getByMemberKey(key: string): Promise<Channel | undefined>;
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
  /** Moves the read pointer (never backwards unless `allowBackwards`). */
  setLastViewed(channelId: string, userId: string, seq: number, at: number, allowBackwards?: boolean): Promise<void>;
  stats(channelId: string): Promise<ChannelStats>;
  /**
   * Unread and mention counts for one membership, or all of a user's (channelId omitted).
   * Unread: live posts by others after the read pointer. Mentions: @user and @channel/@all
   * among those; in direct and group channels every unread post is a mention.
   */
  unreads(userId: string, channelId?: string): Promise<UnreadRow[]>;
  /** Marks every channel of the user read; returns the channel ids that changed. */
  markAllRead(userId: string, at: number): Promise<string[]>;
  /** Ids of channels of a team the user belongs to. */
  channelIdsForUser(userId: string): Promise<string[]>;
}

export type NewPost = Omit<Post, 'seq'>;

export interface PostPage {
  readonly posts: Post[];
  readonly hasMore: boolean;
}

export interface PostStore {
  /**
   * Inserts the post and returns it with its global `seq`; within a channel, seq order is
   * commit order. Throws UniqueViolation on a repeated client_msg_id. `readBy`: also moves
   * that member's read pointer up to the new post, in the same atomic step.
   */
  create(post: NewPost, options?: { readBy?: string }): Promise<Post>;
  get(id: string): Promise<Post | undefined>;
  getByClientMsgId(userId: string, clientMsgId: string): Promise<Post | undefined>;
  getMany(ids: readonly string[]): Promise<Post[]>;
  updateMessage(id: string, message: string, mentionAll: boolean, editedAt: number): Promise<Post | undefined>;
  /** Soft-deletes the post (and, for a root post, its replies); returns the ids deleted. */
  softDelete(id: string, at: number): Promise<string[]>;
  /** Bumps (delta 1) or lowers (delta -1) the root's reply count and sets its last reply time. */
  touchThread(rootId: string, delta: number, lastReplyAt: number | null): Promise<void>;
  setPinned(id: string, pinned: boolean): Promise<Post | undefined>;
  /** Live posts of a channel, newest first. `before`/`after` are exclusive seq bounds. */
  listChannel(channelId: string, opts: { before?: number | undefined; after?: number | undefined; limit: number; pinnedOnly?: boolean }): Promise<PostPage>;
  /** Live replies of a thread in order, after the `afterSeq` cursor. */
  listThread(rootId: string, afterSeq: number, limit: number): Promise<PostPage>;
  replaceMentions(postId: string, channelId: string, seq: number, userIds: readonly string[]): Promise<void>;
  addReaction(reaction: Reaction): Promise<boolean>;
  removeReaction(postId: string, userId: string, emoji: string): Promise<boolean>;
  reactionsFor(postIds: readonly string[]): Promise<Reaction[]>;
  save(userId: string, postId: string, at: number): Promise<boolean>;
  unsave(userId: string, postId: string): Promise<boolean>;
  /** Saved posts that are still live, newest save first. */
  listSaved(userId: string, offset: number, limit: number): Promise<Post[]>;
  /** The seq of the newest live post at or before `seq` in the channel; 0 when none. */
  seqBefore(channelId: string, seq: number): Promise<number>;
}

export interface AuditEntry {
  readonly id: string;
  readonly actor_id: string | null;
  readonly action: string;
  readonly target_type: string;
  readonly target_id: string;
  readonly ip: string;
  readonly details: string;
  readonly created_at: number;
}

export interface PasswordResetToken {
  readonly token_hash: string;
  readonly user_id: string;
  readonly created_at: number;
  readonly expires_at: number;
  readonly used_at: number | null;
}

/** Password-reset tokens, by the SHA-256 hash of the token (the token is only in the e-mail). */
export interface PasswordResetStore {
  create(token: PasswordResetToken): Promise<void>;
  /** A live token: unused and not expired at `now`. */
  getLive(tokenHash: string, now: number): Promise<PasswordResetToken | undefined>;
  /**
   * Uses a live token in one conditional UPDATE: of concurrent callers exactly one gets the
   * user id, the others (and any later one) undefined.
   */
  use(tokenHash: string, now: number): Promise<string | undefined>;
  /** Marks every unused token of the user used (after a reset or a password change). */
  useAllForUser(userId: string, now: number): Promise<void>;
  /**
   * Stores the token unless `max` or more were issued to its user since `since` (the
   * per-account mail throttle); true when stored. Call it inside a transaction: on
   * PostgreSQL the user row is locked first, so concurrent calls count one after another.
   */
  issue(token: PasswordResetToken, since: number, max: number): Promise<boolean>;
}

export interface AuditStore {
  append(entry: AuditEntry): Promise<void>;
  list(offset: number, limit: number): Promise<AuditEntry[]>;
}

export interface Store {
  readonly dialect: Dialect;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly teams: TeamStore;
  readonly channels: ChannelStore;
  readonly posts: PostStore;
  readonly audit: AuditStore;
  /** Single sign-on: providers, identities, login states, exchange codes. */
  readonly sso: SsoStore;
  /** Sealed secrets at rest, by column (key rotation). */
  readonly sealed: SealedValueStore;
  readonly passwordResets: PasswordResetStore;
  /** Runs `fn` in one transaction: all of it commits (durably) before the promise resolves, or none of it. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /**
   * Runs a single-statement write durably, as cheaply as the database allows: on the embedded
   * database it joins the group commit (its fsync shared with the writes running alongside);
   * elsewhere it runs as it is (one autocommit statement, no extra round trips).
   */
  write<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /** Answers when the database is reachable (readiness probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
