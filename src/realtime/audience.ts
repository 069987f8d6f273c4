/**
 * "Who receives this event": the one answer, used when an event is fanned out, when a parked
 * bus item is applied to a user whose index just loaded, and when queued or replayed frames
 * are re-checked after a membership change or a resume. Pure, so one test table covers it
 * (test/realtime/audience.test.ts).
 *
 * The selectors of a `Broadcast` are a union (see domain/events.ts); `omit_user_id` wins over
 * all of them. Presence (`channel_ids`) skips channels with more people online on this node than
 * the fan-out limit: there one change times everyone is the O(n²) that sinks a big server, and
 * clients load presence on demand (POST /users/status/ids) when they show such lists.
 */
import type { Broadcast } from '../domain/events.js';

/** What an event was addressed to, as kept with its frame. */
export interface Target {
  readonly userId: string | undefined;
  readonly channelId: string | undefined;
  /** `team_id` and `team_ids` together. */
  readonly teamIds: readonly string[];
  /** status_change: the channels whose co-members it was addressed to. */
  readonly channelIds: readonly string[];
  /** Everyone (broadcast `all`). */
  readonly all: boolean;
  readonly omitUserId: string | undefined;
  /**
   * user_removed: the removed user, who still gets their own removal although they are no
   * longer a member when it is delivered.
   */
  readonly removedUserId: string | undefined;
}

/** A user as the membership index knows them. */
export interface Subscriber {
  readonly userId: string;
  readonly channels: ReadonlySet<string>;
  readonly teams: ReadonlySet<string>;
}

export interface AudienceRules {
  /** How many users with connections on this node are members of the channel. */
  crowd(channelId: string): number;
  /** Presence fan-out limit (RUSTCHAT_WS_PRESENCE_FANOUT_LIMIT). */
  readonly fanoutLimit: number;
}

export function targetOf(b: Broadcast, removedUserId?: string): Target {
  return {
    userId: b.user_id,
    channelId: b.channel_id,
    teamIds: b.team_id !== undefined ? [b.team_id, ...(b.team_ids ?? [])] : (b.team_ids ?? []),
    channelIds: b.channel_ids ?? [],
    all: b.all === true,
    omitUserId: b.omit_user_id,
    removedUserId,
  };
}

/** Whether `sub` receives an event addressed to `target`, by the memberships they hold now. */
export function receives(sub: Subscriber, target: Target, rules: AudienceRules): boolean {
  if (target.omitUserId === sub.userId) return false;
  if (target.all || target.userId === sub.userId || target.removedUserId === sub.userId) return true;
  if (target.channelId !== undefined && sub.channels.has(target.channelId)) return true;
  for (const t of target.teamIds) if (sub.teams.has(t)) return true;
  for (const c of target.channelIds) if (sub.channels.has(c) && rules.crowd(c) <= rules.fanoutLimit) return true;
  return false;
}
