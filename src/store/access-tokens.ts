/** Storage of personal access tokens and bot accounts. */
import type { AccessToken, Bot, User } from '../domain/entities.js';

export interface AccessTokenStore {
  create(token: AccessToken): Promise<void>;
  /** A token by the SHA-256 of its secret (the caller then checks its session). */
  getByHash(tokenHash: string): Promise<AccessToken | undefined>;
  get(id: string): Promise<AccessToken | undefined>;
  /** A user's tokens whose session is live (not revoked), newest first. */
  listLiveForUser(userId: string): Promise<AccessToken[]>;
  /** Every live token on the server, newest first (admin list). */
  listLive(offset: number, limit: number): Promise<AccessToken[]>;
  /** Records a use; only moves forward. */
  touch(id: string, at: number): Promise<void>;
  /** Revokes every live token's session on the server; returns the ids with their users. */
  revokeAll(at: number): Promise<{ id: string; user_id: string }[]>;
}

export interface BotStore {
  create(bot: Bot): Promise<void>;
  get(userId: string): Promise<Bot | undefined>;
  /** Bots with their users: those of `ownerId`, or all when undefined; by username. */
  list(ownerId: string | undefined, offset: number, limit: number): Promise<{ bot: Bot; user: User }[]>;
  setDescription(userId: string, description: string, at: number): Promise<void>;
}
