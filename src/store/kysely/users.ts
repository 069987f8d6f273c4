/** UserStore over Kysely. */
import { sql } from 'kysely';
import type { SystemRole, User } from '../../domain/entities.js';
import { unique } from '../errors.js';
import type { Dialect } from '../migrations.js';
import type { NewUser, UserPatch, UserStore } from '../users.js';
import { bytewise, likePattern, num, type Db } from './shared.js';

export class Users implements UserStore {
  constructor(private readonly db: Db, private readonly dialect: Dialect) {}
  async create(user: NewUser): Promise<User> {
    const row = { ...user, status_expires_at: null, deactivated_at: null };
    await unique(this.db.insertInto('users').values(row).execute());
    return row;
  }
  get(id: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }
  async getMany(ids: readonly string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('users').selectAll().where('id', 'in', [...new Set(ids)]).execute();
  }
  getByLogin(login: string): Promise<User | undefined> {
    const l = login.trim().toLowerCase();
    return this.db.selectFrom('users').selectAll().where((eb) => eb.or([eb('email', '=', l), eb('username', '=', l)])).executeTakeFirst();
  }
  async getByUsernames(usernames: readonly string[]): Promise<User[]> {
    if (usernames.length === 0) return [];
    return this.db.selectFrom('users').selectAll().where('username', 'in', [...new Set(usernames)]).execute();
  }
  async update(id: string, patch: UserPatch, now: number): Promise<User | undefined> {
    await unique(this.db.updateTable('users').set({ ...patch, updated_at: now }).where('id', '=', id).execute());
    return this.get(id);
  }
  async setPasswordHash(id: string, hash: string, now: number): Promise<void> {
    await this.db.updateTable('users').set({ password_hash: hash, updated_at: now }).where('id', '=', id).execute();
  }
  async setRole(id: string, role: SystemRole, now: number): Promise<void> {
    await this.db.updateTable('users').set({ role, updated_at: now }).where('id', '=', id).execute();
  }
  async setDeactivated(id: string, at: number | null, now: number): Promise<void> {
    await this.db.updateTable('users').set({ deactivated_at: at, updated_at: now }).where('id', '=', id).execute();
  }
  search(query: { q?: string | undefined; offset: number; limit: number; includeInactive?: boolean; matchEmail?: boolean }): Promise<User[]> {
    let qb = this.db.selectFrom('users').selectAll();
    if (!query.includeInactive) qb = qb.where('deactivated_at', 'is', null);
    const q = query.q?.trim();
    if (q) {
      const p = likePattern(q);
      qb = qb.where((eb) =>
        eb.or([
          eb('username', 'like', sql<string>`${p} ESCAPE '\\'`),
          eb(eb.fn('lower', ['display_name']), 'like', sql<string>`${p} ESCAPE '\\'`),
          eb(eb.fn('lower', [sql`first_name || ' ' || last_name`]), 'like', sql<string>`${p} ESCAPE '\\'`),
          eb(eb.fn('lower', ['nickname']), 'like', sql<string>`${p} ESCAPE '\\'`),
          ...(query.matchEmail ? [eb(eb.fn('lower', ['email']), 'like', sql<string>`${p} ESCAPE '\\'`)] : []),
        ]),
      );
    }
    return qb.orderBy(bytewise(this.dialect, 'username')).offset(query.offset).limit(query.limit).execute();
  }
  async count(): Promise<number> {
    const r = await this.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return num(r.n);
  }
  async clearExpiredStatus(id: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('users')
      .set({ status_text: '', status_emoji: '', status_expires_at: null, updated_at: now })
      .where('id', '=', id)
      .where('status_expires_at', 'is not', null)
      .where('status_expires_at', '<=', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async expiredStatuses(now: number, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('users').select('id').where('status_expires_at', 'is not', null).where('status_expires_at', '<=', now).orderBy('status_expires_at').limit(limit).execute();
    return rows.map((r) => r.id);
  }
}
