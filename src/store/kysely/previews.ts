/** PreviewStore over Kysely. */
import type { PostPreview } from '../../domain/entities.js';
import type { PreviewStore } from '../previews.js';
import { num, type Db } from './shared.js';

const fromRow = (r: PostPreview): PostPreview => ({
  ...r,
  image_width: r.image_width === null ? null : num(r.image_width),
  image_height: r.image_height === null ? null : num(r.image_height),
  dismissed: num(r.dismissed),
  created_at: num(r.created_at),
});

const KEY_PAGE = 500;

export class Previews implements PreviewStore {
  constructor(private readonly db: Db) {}

  async get(postId: string): Promise<PostPreview | undefined> {
    const row = await this.db.selectFrom('post_previews').selectAll().where('post_id', '=', postId).executeTakeFirst();
    return row && fromRow(row);
  }

  async forPosts(postIds: readonly string[]): Promise<PostPreview[]> {
    if (postIds.length === 0) return [];
    const rows = await this.db.selectFrom('post_previews').selectAll().where('post_id', 'in', [...postIds]).where('dismissed', '=', 0).execute();
    return rows.map(fromRow);
  }

  async put(preview: PostPreview): Promise<PostPreview | undefined> {
    if (!this.db.isTransaction) return this.db.transaction().execute((trx) => new Previews(trx).put(preview));
    const previous = await this.get(preview.post_id);
    // An upsert: a concurrent writer's row (PostgreSQL, between the read and this) is replaced, never a unique violation.
    const { post_id: _key, ...fields } = preview;
    await this.db.insertInto('post_previews').values({ ...preview }).onConflict((oc) => oc.column('post_id').doUpdateSet(fields)).execute();
    return previous;
  }

  async deleteForPosts(postIds: readonly string[]): Promise<PostPreview[]> {
    if (postIds.length === 0) return [];
    const rows = await this.db.deleteFrom('post_previews').where('post_id', 'in', [...postIds]).returningAll().execute();
    return rows.map(fromRow);
  }

  async *allImageKeys(): AsyncIterable<string> {
    let after = '';
    for (;;) {
      const rows = await this.db.selectFrom('post_previews').select(['post_id', 'image_key']).where('post_id', '>', after).where('image_key', 'is not', null).orderBy('post_id').limit(KEY_PAGE).execute();
      for (const r of rows) yield r.image_key!;
      if (rows.length < KEY_PAGE) return;
      after = rows[rows.length - 1]!.post_id;
    }
  }
}
