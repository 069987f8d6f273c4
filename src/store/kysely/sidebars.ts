/** SidebarStore over Kysely. */
import type { SidebarRow, SidebarStore } from '../sidebars.js';
import type { Db } from './shared.js';

export class Sidebars implements SidebarStore {
  constructor(private readonly db: Db) {}
  get(userId: string): Promise<SidebarRow | undefined> {
    return this.db.selectFrom('user_sidebars').selectAll().where('user_id', '=', userId).executeTakeFirst();
  }
  async put(userId: string, categories: string, now: number): Promise<void> {
    await this.db
      .insertInto('user_sidebars')
      .values({ user_id: userId, categories, updated_at: now })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ categories, updated_at: now }))
      .execute();
  }
}
