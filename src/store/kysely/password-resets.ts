/** PasswordResetStore over Kysely. */
import { sql } from 'kysely';
import type { Dialect } from '../migrations.js';
import type { PasswordResetStore, PasswordResetToken } from '../password-resets.js';
import { num, type Db } from './shared.js';

export class PasswordResets implements PasswordResetStore {
  constructor(private readonly db: Db, private readonly dialect: Dialect) {}
  async create(token: PasswordResetToken): Promise<void> {
    await this.db.insertInto('password_reset_tokens').values({ ...token }).execute();
  }
  getLive(tokenHash: string, now: number): Promise<PasswordResetToken | undefined> {
    return this.db.selectFrom('password_reset_tokens').selectAll().where('token_hash', '=', tokenHash).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
  }
  async use(tokenHash: string, now: number): Promise<string | undefined> {
    const row = await this.db.updateTable('password_reset_tokens').set({ used_at: now })
      .where('token_hash', '=', tokenHash).where('used_at', 'is', null).where('expires_at', '>', now)
      .returning('user_id').executeTakeFirst();
    return row?.user_id;
  }
  async useAllForUser(userId: string, now: number): Promise<void> {
    await this.db.updateTable('password_reset_tokens').set({ used_at: now }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
  }
  async issue(token: PasswordResetToken, since: number, max: number): Promise<boolean> {
    if (this.dialect === 'postgres' && this.db.isTransaction) await sql`SELECT id FROM users WHERE id = ${token.user_id} FOR UPDATE`.execute(this.db);
    const r = await this.db.selectFrom('password_reset_tokens').select((eb) => eb.fn.countAll().as('n')).where('user_id', '=', token.user_id).where('created_at', '>=', since).executeTakeFirstOrThrow();
    if (num(r.n) >= max) return false;
    await this.create(token);
    return true;
  }
}
