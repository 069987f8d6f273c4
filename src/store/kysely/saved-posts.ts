/** SavedPostStore over Kysely. */
import type { Post } from '../../domain/entities.js';
import type { SavedPostStore } from '../saved-posts.js';
import type { Db } from './shared.js';

export class SavedPosts implements SavedPostStore {
  constructor(private readonly db: Db) {}
  async save(userId: string, postId: string, at: number): Promise<boolean> {
    const r = await this.db.insertInto('saved_posts').values({ user_id: userId, post_id: postId, created_at: at }).onConflict((oc) => oc.columns(['user_id', 'post_id']).doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  async unsave(userId: string, postId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('saved_posts').where('user_id', '=', userId).where('post_id', '=', postId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  listSaved(userId: string, offset: number, limit: number): Promise<Post[]> {
    return this.db
      .selectFrom('saved_posts as s')
      .innerJoin('posts as p', 'p.id', 's.post_id')
      .selectAll('p')
      .where('s.user_id', '=', userId)
      .where('p.deleted_at', 'is', null)
      .orderBy('s.created_at', 'desc')
      .orderBy('p.seq', 'desc')
      .offset(offset)
      .limit(limit)
      .execute();
  }
}
