/** CustomEmojiStore over Kysely. */
import type { CustomEmoji } from '../../domain/entities.js';
import type { CustomEmojiStore } from '../custom-emoji.js';
import { unique } from '../errors.js';
import type { Dialect } from '../migrations.js';
import { bytewise, num, type Db } from './shared.js';

const fromRow = (r: CustomEmoji): CustomEmoji => ({ ...r, created_at: num(r.created_at), deleted_at: r.deleted_at === null ? null : num(r.deleted_at) });

export class CustomEmojis implements CustomEmojiStore {
  constructor(private readonly db: Db, private readonly dialect: Dialect) {}

  async create(emoji: CustomEmoji): Promise<void> {
    await unique(this.db.insertInto('custom_emoji').values({ ...emoji }).execute());
  }

  async get(id: string): Promise<CustomEmoji | undefined> {
    const row = await this.db.selectFrom('custom_emoji').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    return row && fromRow(row);
  }

  async getByName(name: string): Promise<CustomEmoji | undefined> {
    const row = await this.db.selectFrom('custom_emoji').selectAll().where('name', '=', name).where('deleted_at', 'is', null).executeTakeFirst();
    return row && fromRow(row);
  }

  async list(offset: number, limit: number): Promise<CustomEmoji[]> {
    const rows = await this.db.selectFrom('custom_emoji').selectAll().where('deleted_at', 'is', null).orderBy(bytewise(this.dialect, 'name')).offset(offset).limit(limit).execute();
    return rows.map(fromRow);
  }

  async countLive(creatorId?: string): Promise<number> {
    let q = this.db.selectFrom('custom_emoji').select((eb) => eb.fn.countAll<number | string>().as('n')).where('deleted_at', 'is', null);
    if (creatorId !== undefined) q = q.where('creator_id', '=', creatorId);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  async markDeleted(id: string, at: number): Promise<CustomEmoji | undefined> {
    const row = await this.db.updateTable('custom_emoji').set({ deleted_at: at }).where('id', '=', id).where('deleted_at', 'is', null).returningAll().executeTakeFirst();
    return row && fromRow(row);
  }
}
