/** What every service receives, and what every call carries about its caller. */
import type { Actor } from '../domain/policy.js';
import type { Logger } from '../observability/logger.js';
import type { SecurityEvents } from '../security/events.js';
import type { Store } from '../store/store.js';
import type { ChannelAccessRow } from '../store/channels.js';

/**
 * There is no bus here on purpose: services publish real-time events only by queueing them
 * on the transaction that makes the change (`tx.publish`, see store/store.ts `Tx`), which
 * the store hands to the bus after the commit.
 */
export interface ServiceDeps {
  readonly store: Store;
  readonly security: SecurityEvents;
  readonly logger: Logger;
  readonly clock: () => number;
}

/** A channel access row read with the request's session: which channel, the row (undefined: no such channel), when (services clock). */
export interface ChannelRead {
  readonly id: string;
  readonly row: ChannelAccessRow | undefined;
  readonly readAt: number;
}

/** Who is calling and from where (for security events and the audit log). */
export interface CallContext {
  readonly actor: Actor;
  readonly ip: string;
  readonly requestId: string;
  /**
   * The actor's access row for the channel the request is about, read with the session (one
   * statement: services/sessions.ts authenticate). Data, not a decision: Access.channel decides
   * from it for this channel id instead of reading the row again.
   */
  readonly channel?: ChannelRead | undefined;
}

/** A caller that is not signed in (register, login). */
export interface AnonymousContext {
  readonly ip: string;
  readonly requestId: string;
  readonly userAgent: string;
}

/**
 * Live presence, filled in by the real-time layer (realtime/presence.ts); everyone is offline
 * without it. Async because with several nodes the answer comes from Redis.
 */
export interface PresenceReader {
  /** Each user's status as others see it (offline when they hold no connection anywhere). */
  presenceOf(userIds: readonly string[]): Promise<Map<string, 'online' | 'away' | 'dnd' | 'offline'>>;
  /** Whether the user is connected and shows as `online` (not away, dnd or invisible). */
  isOnline(userId: string): Promise<boolean>;
}

export const NO_PRESENCE: PresenceReader = {
  presenceOf: (ids) => Promise.resolve(new Map(ids.map((id) => [id, 'offline' as const]))),
  isOnline: () => Promise.resolve(false),
};

export function clampPage(page: number | undefined, perPage: number | undefined, maxPerPage = 200): { offset: number; limit: number } {
  const limit = Math.min(Math.max(perPage ?? 60, 1), maxPerPage);
  const p = Math.max(page ?? 0, 0);
  return { offset: p * limit, limit };
}
