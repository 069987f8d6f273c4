/** AttachmentImageStore over Kysely. */
import type { AttachmentImage } from '../../domain/entities.js';
import type { AttachmentImageStore } from '../attachment-images.js';
import { num, type Db } from './shared.js';

const fromRow = (r: AttachmentImage): AttachmentImage => ({
  ...r,
  attachment_index: num(r.attachment_index),
  width: num(r.width),
  height: num(r.height),
  created_at: num(r.created_at),
});

const KEY_PAGE = 500;

export class AttachmentImages implements AttachmentImageStore {
  constructor(private readonly db: Db) {}

  async forPosts(postIds: readonly string[]): Promise<AttachmentImage[]> {
    if (postIds.length === 0) return [];
    const rows = await this.db.selectFrom('post_attachment_images').selectAll().where('post_id', 'in', [...postIds])
      .orderBy('post_id').orderBy('attachment_index').orderBy('kind').execute();
    return rows.map(fromRow);
  }

  async add(rows: readonly AttachmentImage[]): Promise<boolean> {
    if (rows.length === 0) return false;
    if (!this.db.isTransaction) return this.db.transaction().execute((trx) => new AttachmentImages(trx).add(rows));
    const postIds = [...new Set(rows.map((r) => r.post_id))];
    const existing = await this.db.selectFrom('post_attachment_images').select('post_id').where('post_id', 'in', postIds).limit(1).executeTakeFirst();
    if (existing !== undefined) return false;
    // A concurrent writer of the same post (PostgreSQL, between the read and this) leaves its rows; ours are dropped whole.
    const written = await this.db.insertInto('post_attachment_images').values(rows.map((r) => ({ ...r })))
      .onConflict((oc) => oc.columns(['post_id', 'attachment_index', 'kind']).doNothing()).returning('post_id').execute();
    if (written.length !== rows.length) {
      if (written.length > 0) throw new Error('attachment images: a concurrent writer of the same post');
      return false;
    }
    return true;
  }

  async deleteForPosts(postIds: readonly string[]): Promise<AttachmentImage[]> {
    if (postIds.length === 0) return [];
    const rows = await this.db.deleteFrom('post_attachment_images').where('post_id', 'in', [...postIds]).returningAll().execute();
    return rows.map(fromRow);
  }

  async *allImageKeys(): AsyncIterable<string> {
    let after: { post_id: string; attachment_index: number; kind: AttachmentImage['kind'] } | undefined;
    for (;;) {
      let q = this.db.selectFrom('post_attachment_images').select(['post_id', 'attachment_index', 'kind', 'image_key']);
      if (after !== undefined) {
        const a = after;
        q = q.where((eb) => eb.or([
          eb('post_id', '>', a.post_id),
          eb.and([eb('post_id', '=', a.post_id), eb('attachment_index', '>', a.attachment_index)]),
          eb.and([eb('post_id', '=', a.post_id), eb('attachment_index', '=', a.attachment_index), eb('kind', '>', a.kind)]),
        ]));
      }
      const rows = await q.orderBy('post_id').orderBy('attachment_index').orderBy('kind').limit(KEY_PAGE).execute();
      for (const r of rows) yield r.image_key;
      if (rows.length < KEY_PAGE) return;
      const last = rows[rows.length - 1]!;
      after = { post_id: last.post_id, attachment_index: num(last.attachment_index), kind: last.kind };
    }
  }
}
