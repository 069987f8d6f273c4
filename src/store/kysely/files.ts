/** FileStore over Kysely. */
import { sql } from 'kysely';
import type { FileInfo } from '../../domain/entities.js';
import type { FileStore } from '../files.js';
import type { Dialect } from '../migrations.js';
import { num, type Db } from './shared.js';

const fromRow = (r: FileInfo): FileInfo => ({ ...r, size: num(r.size), created_at: num(r.created_at), deleted_at: r.deleted_at === null ? null : num(r.deleted_at) });

export class Files implements FileStore {
  constructor(private readonly db: Db, private readonly dialect: Dialect) {}

  async create(file: FileInfo, quotaBytes: number | null): Promise<boolean> {
    if (quotaBytes === null) {
      await this.db.insertInto('files').values({ ...file }).execute();
      return true;
    }
    if (!this.db.isTransaction) return this.db.transaction().execute((trx) => new Files(trx, this.dialect).create(file, quotaBytes));
    // The uploader's row lock serialises concurrent uploads of one user on PostgreSQL.
    if (this.dialect === 'postgres') await sql`SELECT id FROM users WHERE id = ${file.user_id} FOR UPDATE`.execute(this.db);
    if ((await this.usage(file.user_id)) + file.size > quotaBytes) return false;
    await this.db.insertInto('files').values({ ...file }).execute();
    return true;
  }

  async get(id: string): Promise<FileInfo | undefined> {
    const row = await this.db.selectFrom('files').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    return row && fromRow(row);
  }

  async forPosts(postIds: readonly string[]): Promise<FileInfo[]> {
    if (postIds.length === 0) return [];
    const rows = await this.db.selectFrom('files').selectAll().where('post_id', 'in', [...postIds]).where('deleted_at', 'is', null).orderBy('created_at').orderBy('id').execute();
    return rows.map(fromRow);
  }

  async attach(ids: readonly string[], postId: string, userId: string, channelId: string): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .updateTable('files')
      .set({ post_id: postId })
      .where('id', 'in', [...ids])
      .where('user_id', '=', userId)
      .where('channel_id', '=', channelId)
      .where('post_id', 'is', null)
      .where('deleted_at', 'is', null)
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  async markDeletedForPosts(postIds: readonly string[], at: number): Promise<FileInfo[]> {
    if (postIds.length === 0) return [];
    const rows = await this.db.updateTable('files').set({ deleted_at: at }).where('post_id', 'in', [...postIds]).where('deleted_at', 'is', null).returningAll().execute();
    return rows.map(fromRow);
  }

  async markDeleted(id: string, at: number): Promise<FileInfo | undefined> {
    const row = await this.db.updateTable('files').set({ deleted_at: at }).where('id', '=', id).where('deleted_at', 'is', null).returningAll().executeTakeFirst();
    return row && fromRow(row);
  }

  async expireUnattached(before: number, at: number, limit: number): Promise<FileInfo[]> {
    const candidates = this.db.selectFrom('files').select('id').where('post_id', 'is', null).where('deleted_at', 'is', null).where('created_at', '<', before).orderBy('created_at').limit(limit);
    const rows = await this.db.updateTable('files').set({ deleted_at: at }).where('id', 'in', candidates).where('post_id', 'is', null).where('deleted_at', 'is', null).returningAll().execute();
    return rows.map(fromRow);
  }

  async pendingDeletion(limit: number): Promise<FileInfo[]> {
    const rows = await this.db.selectFrom('files').selectAll().where('deleted_at', 'is not', null).orderBy('deleted_at').limit(limit).execute();
    return rows.map(fromRow);
  }

  async purge(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.deleteFrom('files').where('id', 'in', [...ids]).execute();
  }

  async listChannel(channelId: string, before: { readonly at: number; readonly id: string } | undefined, limit: number): Promise<FileInfo[]> {
    let q = this.db.selectFrom('files').selectAll().where('channel_id', '=', channelId).where('post_id', 'is not', null).where('deleted_at', 'is', null);
    // Files of one upload share a millisecond: the id breaks the tie, so no page skips one.
    if (before !== undefined) q = q.where((eb) => eb.or([eb('created_at', '<', before.at), eb.and([eb('created_at', '=', before.at), eb('id', '<', before.id)])]));
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(fromRow);
  }

  async usage(userId: string): Promise<number> {
    const row = await this.db.selectFrom('files').select((eb) => eb.fn.coalesce(eb.fn.sum<number>('size'), sql<number>`0`).as('total')).where('user_id', '=', userId).where('deleted_at', 'is', null).executeTakeFirst();
    return num(row?.total ?? 0);
  }

  async *allKeys(): AsyncIterable<{ key: string; kind: 'file' | 'avatar' | 'emoji'; has_preview: boolean }> {
    // Paged by key so a large table is never held at once.
    let after = '';
    for (;;) {
      const rows = await this.db.selectFrom('files').select(['storage_key', 'has_preview']).where('storage_key', '>', after).orderBy('storage_key').limit(1000).execute();
      for (const r of rows) yield { key: r.storage_key, kind: 'file', has_preview: num(r.has_preview) === 1 };
      if (rows.length < 1000) break;
      after = rows[rows.length - 1]!.storage_key;
    }
    after = '';
    for (;;) {
      const rows = await this.db.selectFrom('users').select('avatar_key').where('avatar_key', 'is not', null).where('avatar_key', '>', after).orderBy('avatar_key').limit(1000).execute();
      for (const r of rows) yield { key: r.avatar_key!, kind: 'avatar', has_preview: false };
      if (rows.length < 1000) break;
      after = rows[rows.length - 1]!.avatar_key!;
    }
    after = '';
    for (;;) {
      const rows = await this.db.selectFrom('custom_emoji').select('storage_key').where('deleted_at', 'is', null).where('storage_key', '>', after).orderBy('storage_key').limit(1000).execute();
      for (const r of rows) yield { key: r.storage_key, kind: 'emoji', has_preview: false };
      if (rows.length < 1000) break;
      after = rows[rows.length - 1]!.storage_key;
    }
  }
}
