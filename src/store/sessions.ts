/** Storage of login sessions. */
import type { Session, User } from '../domain/entities.js';

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
  /** Live sign-in sessions (personal access tokens' sessions are not listed here). */
  listActiveForUser(userId: string, now: number): Promise<Session[]>;
}
