/** Storage of login sessions. */
import type { Session, User } from '../domain/entities.js';
import type { ChannelAccessRow } from './channels.js';

export interface SessionWithUser {
  readonly session: Session;
  readonly user: User;
}

export interface SessionStore {
  create(session: Session): Promise<void>;
  /** The session with its user, whatever its state (the caller checks expiry/revocation). */
  getWithUser(id: string): Promise<SessionWithUser | undefined>;
  /**
   * The same, and in the same statement the session user's access row for a channel (as
   * `ChannelStore.getAccess` reads it; undefined when the channel does not exist): a request on
   * a channel authenticates and loads what Access decides on in one round trip.
   */
  getWithUserAndChannel(id: string, channelId: string): Promise<{ readonly found: SessionWithUser; readonly channel: ChannelAccessRow | undefined } | undefined>;
  /** Marks a session revoked; returns false when it was already revoked or unknown. */
  revoke(id: string, at: number): Promise<boolean>;
  /** Revokes every live session of a user except `exceptId`; returns the ids revoked. */
  revokeAllForUser(userId: string, at: number, exceptId?: string): Promise<string[]>;
  /** Live sign-in sessions (personal access tokens' sessions are not listed here). */
  listActiveForUser(userId: string, now: number): Promise<Session[]>;
}
