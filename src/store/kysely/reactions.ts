/** ReactionStore over Kysely. */
import type { Reaction } from '../../domain/entities.js';
import type { ReactionStore } from '../reactions.js';
import type { Db } from './shared.js';

export class Reactions implements ReactionStore {
  constructor(private readonly db: Db) {}
  async addReaction(reaction: Reaction): Promise<boolean> {
    const r = await this.db.insertInto('reactions').values({ ...reaction }).onConflict((oc) => oc.columns(['post_id', 'user_id', 'emoji_name']).doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  async removeReaction(postId: string, userId: string, emoji: string): Promise<boolean> {
    const r = await this.db.deleteFrom('reactions').where('post_id', '=', postId).where('user_id', '=', userId).where('emoji_name', '=', emoji).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  async reactionsFor(postIds: readonly string[]): Promise<Reaction[]> {
    if (postIds.length === 0) return [];
    return this.db.selectFrom('reactions').selectAll().where('post_id', 'in', [...postIds]).orderBy('created_at').orderBy('user_id').execute();
  }
}
