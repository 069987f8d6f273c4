/** Storage of user accounts. */
import type { SystemRole, User } from '../domain/entities.js';

export type NewUser = Omit<User, 'deactivated_at' | 'status_expires_at'>;
export type UserPatch = Partial<Pick<User, 'display_name' | 'first_name' | 'last_name' | 'nickname' | 'position' | 'avatar_url' | 'avatar_key' | 'status_text' | 'status_emoji' | 'status_expires_at' | 'timezone' | 'email' | 'username' | 'email_verified'>>;

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
  /** `matchEmail`: the query also matches e-mail addresses (only for callers who may see them). */
  search(query: { q?: string | undefined; offset: number; limit: number; includeInactive?: boolean; matchEmail?: boolean }): Promise<User[]>;
  count(): Promise<number>;
  /** Empties the custom status of `id` if it expired at or before `now`; true when it did. */
  clearExpiredStatus(id: string, now: number): Promise<boolean>;
  /** Users whose custom status expired at or before `now` (for the expiry sweep). */
  expiredStatuses(now: number, limit: number): Promise<string[]>;
}
