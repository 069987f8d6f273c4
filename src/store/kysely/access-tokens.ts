/** AccessTokenStore and BotStore over Kysely. */
import type { AccessToken, Bot, User } from '../../domain/entities.js';
import type { AccessTokenStore, BotStore } from '../access-tokens.js';
import type { Dialect } from '../migrations.js';
import { bytewise, num, type Db } from './shared.js';

const tokenFromRow = (r: AccessToken): AccessToken => ({ ...r, created_at: num(r.created_at), last_used_at: r.last_used_at === null ? null : num(r.last_used_at) });
const botFromRow = (r: Bot): Bot => ({ ...r, created_at: num(r.created_at), updated_at: num(r.updated_at) });

export class AccessTokens implements AccessTokenStore {
  constructor(private readonly db: Db) {}

  async create(token: AccessToken): Promise<void> {
    await this.db.insertInto('access_tokens').values({ ...token }).execute();
  }

  async getByHash(tokenHash: string): Promise<AccessToken | undefined> {
    const row = await this.db.selectFrom('access_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && tokenFromRow(row);
  }

  async get(id: string): Promise<AccessToken | undefined> {
    const row = await this.db.selectFrom('access_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row && tokenFromRow(row);
  }

  private live() {
    return this.db.selectFrom('access_tokens as t').innerJoin('sessions as s', 's.id', 't.id').selectAll('t').where('s.revoked_at', 'is', null);
  }

  async listLiveForUser(userId: string): Promise<AccessToken[]> {
    const rows = await this.live().where('t.user_id', '=', userId).orderBy('t.created_at', 'desc').orderBy('t.id').execute();
    return rows.map(tokenFromRow);
  }

  async listLive(offset: number, limit: number): Promise<AccessToken[]> {
    const rows = await this.live().orderBy('t.created_at', 'desc').orderBy('t.id').offset(offset).limit(limit).execute();
    return rows.map(tokenFromRow);
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.updateTable('access_tokens').set({ last_used_at: at }).where('id', '=', id).where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)])).execute();
  }

  async revokeAll(at: number): Promise<{ id: string; user_id: string }[]> {
    const rows = await this.db.updateTable('sessions').set({ revoked_at: at }).where('kind', '=', 'token').where('revoked_at', 'is', null).returning(['id', 'user_id']).execute();
    return rows;
  }
}

export class Bots implements BotStore {
  constructor(private readonly db: Db, private readonly dialect: Dialect) {}

  async create(bot: Bot): Promise<void> {
    await this.db.insertInto('bots').values({ ...bot }).execute();
  }

  async get(userId: string): Promise<Bot | undefined> {
    const row = await this.db.selectFrom('bots').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return row && botFromRow(row);
  }

  async list(ownerId: string | undefined, offset: number, limit: number): Promise<{ bot: Bot; user: User }[]> {
    let q = this.db.selectFrom('bots as b').innerJoin('users as u', 'u.id', 'b.user_id').selectAll('u')
      .select(['b.owner_id as b_owner_id', 'b.description as b_description', 'b.created_at as b_created_at', 'b.updated_at as b_updated_at']);
    if (ownerId !== undefined) q = q.where('b.owner_id', '=', ownerId);
    const rows = await q.orderBy(bytewise(this.dialect, 'u.username')).offset(offset).limit(limit).execute();
    return rows.map(({ b_owner_id, b_description, b_created_at, b_updated_at, ...user }) => ({
      bot: botFromRow({ user_id: user.id, owner_id: b_owner_id, description: b_description, created_at: b_created_at, updated_at: b_updated_at }),
      user,
    }));
  }

  async setDescription(userId: string, description: string, at: number): Promise<void> {
    await this.db.updateTable('bots').set({ description, updated_at: at }).where('user_id', '=', userId).execute();
  }
}
