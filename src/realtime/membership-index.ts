/**
 * The membership index: for every user with a connection on this node whose memberships have
 * been loaded, the ids of their channels and teams, and the reverse maps that make fan-out
 * cheap (channel → members here, team → members here). It is a cache of the store's
 * channel_members / team_members rows, kept current by the hub from the bus in bus order;
 * whether a member may read or act on a channel is still answered by the channel policy
 * (services/access.ts): members may read every channel they belong to, archived ones included,
 * so delivering a channel's events to its members here is the policy's `read` answer.
 *
 * Who receives an event is answered by audience.ts; this class only gathers the candidates.
 */
import { receives, type AudienceRules, type Subscriber, type Target } from './audience.js';

interface Member extends Subscriber {
  readonly channels: Set<string>;
  readonly teams: Set<string>;
}

export class MembershipIndex implements AudienceRules {
  private readonly users = new Map<string, Member>();
  private readonly byChannel = new Map<string, Set<Member>>();
  private readonly byTeam = new Map<string, Set<Member>>();

  constructor(readonly fanoutLimit: number) {}

  /** Starts indexing a user with these memberships, replacing what was indexed for them. */
  set(userId: string, channels: Iterable<string>, teams: Iterable<string>): void {
    this.delete(userId);
    const m: Member = { userId, channels: new Set(), teams: new Set() };
    this.users.set(userId, m);
    for (const c of channels) this.addChannel(userId, c);
    for (const t of teams) this.addTeam(userId, t);
  }

  has(userId: string): boolean {
    return this.users.has(userId);
  }

  get(userId: string): Subscriber | undefined {
    return this.users.get(userId);
  }

  /** Stops indexing a user. */
  delete(userId: string): void {
    const m = this.users.get(userId);
    if (m === undefined) return;
    for (const c of [...m.channels]) this.removeChannel(userId, c);
    for (const t of [...m.teams]) this.removeTeam(userId, t);
    this.users.delete(userId);
  }

  /** Adds a channel to an indexed user (no-op for users not indexed here). */
  addChannel(userId: string, channelId: string): void {
    const m = this.users.get(userId);
    if (m !== undefined) add(this.byChannel, m.channels, m, channelId);
  }

  /** Removes a channel from an indexed user; true when they had it. */
  removeChannel(userId: string, channelId: string): boolean {
    const m = this.users.get(userId);
    return m !== undefined && remove(this.byChannel, m.channels, m, channelId);
  }

  addTeam(userId: string, teamId: string): void {
    const m = this.users.get(userId);
    if (m !== undefined) add(this.byTeam, m.teams, m, teamId);
  }

  removeTeam(userId: string, teamId: string): boolean {
    const m = this.users.get(userId);
    return m !== undefined && remove(this.byTeam, m.teams, m, teamId);
  }

  /** The user's channels when indexed here. */
  channelsOf(userId: string): string[] | undefined {
    const m = this.users.get(userId);
    return m === undefined ? undefined : [...m.channels];
  }

  /** The user's teams when indexed here. */
  teamsOf(userId: string): string[] | undefined {
    const m = this.users.get(userId);
    return m === undefined ? undefined : [...m.teams];
  }

  /** AudienceRules: members of the channel with connections on this node. */
  crowd(channelId: string): number {
    return this.byChannel.get(channelId)?.size ?? 0;
  }

  /** Whether the indexed user receives an event addressed to `target`. */
  receives(userId: string, target: Target): boolean {
    const m = this.users.get(userId);
    return m !== undefined && receives(m, target, this);
  }

  /** Every indexed user who receives an event addressed to `target`. */
  audience(target: Target): Set<string> {
    const out = new Set<string>();
    const consider = (m: Member | undefined): void => {
      if (m !== undefined && !out.has(m.userId) && receives(m, target, this)) out.add(m.userId);
    };
    const considerAll = (set: Set<Member> | undefined): void => {
      if (set !== undefined) for (const m of set) consider(m);
    };
    if (target.all) for (const m of this.users.values()) consider(m);
    if (target.userId !== undefined) consider(this.users.get(target.userId));
    if (target.removedUserId !== undefined) consider(this.users.get(target.removedUserId));
    if (target.channelId !== undefined) considerAll(this.byChannel.get(target.channelId));
    for (const t of target.teamIds) considerAll(this.byTeam.get(t));
    // Pruning only (receives() says the same): a crowd over the limit reaches nobody through that channel.
    for (const c of target.channelIds) if (this.crowd(c) <= this.fanoutLimit) considerAll(this.byChannel.get(c));
    return out;
  }
}

function add(reverse: Map<string, Set<Member>>, own: Set<string>, m: Member, id: string): void {
  own.add(id);
  let set = reverse.get(id);
  if (set === undefined) reverse.set(id, (set = new Set()));
  set.add(m);
}

function remove(reverse: Map<string, Set<Member>>, own: Set<string>, m: Member, id: string): boolean {
  if (!own.delete(id)) return false;
  const set = reverse.get(id);
  if (set !== undefined) {
    set.delete(m);
    if (set.size === 0) reverse.delete(id);
  }
  return true;
}
