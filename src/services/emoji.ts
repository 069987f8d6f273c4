/**
 * Custom emoji: upload, list, look up, serve the image, delete; and the one answer to "is this
 * an emoji name" that reactions use (standard names from domain/emoji.ts, or a live custom one).
 *
 * Limits (constants, documented in the README): the upload is at most MAX_EMOJI_BYTES; its type
 * is decided from the bytes (PNG, JPEG, GIF or WebP); the source image may have at most
 * MAX_EMOJI_SOURCE_PIXELS (header checked before decoding; all frames of an animation together
 * at most four times that); it is stored resized to fit EMOJI_SIZE × EMOJI_SIZE, as WebP
 * (animations kept). Names follow EMOJI_RE and may not be a standard emoji's name.
 *
 * Every path starts in Access (EMOJI_POLICY: any signed-in user may add one and see them all;
 * its creator or a system admin may delete it). Events go to everyone connected, after the commit.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { CustomEmoji } from '../domain/entities.js';
import { badRequest, conflict, invalid, notFound } from '../domain/errors.js';
import { isStandardEmoji } from '../domain/emoji.js';
import { customEmojiView, type CustomEmojiView } from '../domain/presenters.js';
import { EMOJI_RE, validateEmoji } from '../domain/rules.js';
import { newObjectKey, ObjectNotFound, type BlobStorage, type StoredObject } from '../storage/blob-storage.js';
import { UniqueViolation } from '../store/errors.js';
import type { Store } from '../store/store.js';
import type { Access } from './access.js';
import { clampPage, type CallContext, type ServiceDeps } from './context.js';
import { emojiImage, imageFacts } from './file-content.js';
import type { FileService } from './files.js';

export const MAX_EMOJI_BYTES = 512 * 1024;
export const MAX_EMOJI_SOURCE_PIXELS = 1024 * 1024;
export const EMOJI_SIZE = 128;
/**
 * Live custom emoji at most, server-wide and per person (system admins are not counted against
 * the second): every one is sent to every client, and each upload is broadcast to everyone.
 */
export const MAX_CUSTOM_EMOJI = 5000;
export const MAX_CUSTOM_EMOJI_PER_USER = 100;

/** A name for a new custom emoji: the emoji name rules, and no standard emoji's name. */
export function validateCustomEmojiName(raw: string | undefined): string {
  const name = (raw ?? '').trim().toLowerCase();
  if (name === '') throw invalid('name', 'A custom emoji needs a name (the multipart field "name")');
  if (!EMOJI_RE.test(name)) throw invalid('name', 'Emoji name must be 1–64 characters: lower-case letters, digits, "_", "+" or "-"');
  if (isStandardEmoji(name)) throw conflict(`"${name}" is a standard emoji`, { field: 'name' });
  return name;
}

export class EmojiService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly access: Access,
    private readonly files: FileService,
    private readonly storage: BlobStorage,
  ) {}

  /** Checked before any byte of an upload is read: the permission, then the limits (409 once reached). */
  async beginCreate(ctx: CallContext): Promise<void> {
    this.access.emoji(ctx, 'create');
    const store = this.deps.store.customEmoji;
    if ((await store.countLive()) >= MAX_CUSTOM_EMOJI) throw conflict(`This server has ${MAX_CUSTOM_EMOJI} custom emoji, the most it keeps: delete some first`);
    if (ctx.actor.role !== 'system_admin' && (await store.countLive(ctx.actor.userId)) >= MAX_CUSTOM_EMOJI_PER_USER) {
      throw conflict(`You have added ${MAX_CUSTOM_EMOJI_PER_USER} custom emoji, the most one person may: delete some first`);
    }
  }

  /** Refuses a name early (before its image is read) when it is malformed, standard or taken. */
  async checkName(raw: string | undefined): Promise<string> {
    const name = validateCustomEmojiName(raw);
    if ((await this.deps.store.customEmoji.getByName(name)) !== undefined) throw this.taken(name);
    return name;
  }

  private taken(name: string) {
    return conflict(`A custom emoji named "${name}" already exists`, { field: 'name' });
  }

  /** Reads, checks and resizes the uploaded image (after `beginCreate`); the WebP bytes to store. */
  readImage(stream: Readable): Promise<Buffer> {
    return this.files.receiveImage(stream, MAX_EMOJI_BYTES, async (path) => {
      await imageFacts(path, MAX_EMOJI_SOURCE_PIXELS);
      return emojiImage(path, MAX_EMOJI_SOURCE_PIXELS, EMOJI_SIZE);
    });
  }

  /** Stores the image and records the emoji; everyone connected hears `custom_emoji_added`. */
  async create(ctx: CallContext, rawName: string | undefined, image: Buffer): Promise<CustomEmojiView> {
    const name = await this.checkName(rawName);
    const key = newObjectKey('emoji');
    const emoji: CustomEmoji = { id: randomUUID(), name, creator_id: ctx.actor.userId, storage_key: key, created_at: this.deps.clock(), deleted_at: null };
    await this.storage.putBuffer(key, image, 'image/webp');
    try {
      await this.deps.store.transaction(async (tx) => {
        await tx.customEmoji.create(emoji);
        tx.publish({ event: 'custom_emoji_added', data: { emoji: customEmojiView(emoji) }, broadcast: { all: true } });
      });
    } catch (err) {
      await this.storage.delete([key]).catch((e: unknown) => this.deps.logger.warn({ err: e, key }, 'emoji: removing the image of a failed upload failed'));
      if (err instanceof UniqueViolation) throw this.taken(name);
      throw err;
    }
    return customEmojiView(emoji);
  }

  async list(ctx: CallContext, page: number | undefined, perPage: number | undefined): Promise<CustomEmojiView[]> {
    this.access.emoji(ctx, 'read');
    const { offset, limit } = clampPage(page, perPage, 200);
    return (await this.deps.store.customEmoji.list(offset, limit)).map(customEmojiView);
  }

  async byName(ctx: CallContext, rawName: string): Promise<CustomEmojiView> {
    this.access.emoji(ctx, 'read');
    const name = rawName.trim().toLowerCase();
    const emoji = EMOJI_RE.test(name) ? await this.deps.store.customEmoji.getByName(name) : undefined;
    if (emoji === undefined) throw notFound('Emoji');
    return customEmojiView(emoji);
  }

  /** The image of a live custom emoji (WebP). */
  async openImage(ctx: CallContext, id: string): Promise<{ object: StoredObject; etag: string }> {
    const emoji = await this.access.customEmoji(ctx, id, 'read');
    try {
      return { object: await this.storage.open(emoji.storage_key), etag: `"${emoji.id}"` };
    } catch (err) {
      if (err instanceof ObjectNotFound) {
        this.deps.logger.error({ emoji_id: emoji.id, key: emoji.storage_key }, 'emoji: stored image missing');
        throw notFound('Emoji');
      }
      throw err;
    }
  }

  /** Deletes a custom emoji (its creator or a system admin); the name is free again. Reactions already made stay. */
  async delete(ctx: CallContext, id: string): Promise<void> {
    await this.access.customEmoji(ctx, id, 'delete');
    const gone = await this.deps.store.transaction(async (tx) => {
      const marked = await tx.customEmoji.markDeleted(id, this.deps.clock());
      if (marked !== undefined) {
        tx.publish({ event: 'custom_emoji_deleted', data: { emoji: customEmojiView(marked) }, broadcast: { all: true } });
        // An admin removing someone else's emoji is an admin action: it goes in the audit log.
        if (marked.creator_id !== ctx.actor.userId) {
          await tx.audit.append({
            id: randomUUID(), actor_id: ctx.actor.userId, action: 'emoji.delete', target_type: 'emoji', target_id: marked.id, ip: ctx.ip,
            details: JSON.stringify({ name: marked.name, creator_id: marked.creator_id }), created_at: this.deps.clock(),
          });
        }
      }
      return marked;
    });
    if (gone === undefined) throw notFound('Emoji');
    await this.storage.delete([gone.storage_key]).catch((err: unknown) => this.deps.logger.warn({ err, key: gone.storage_key }, 'emoji: removing a deleted emoji\'s image failed'));
  }
}

/**
 * The name of an emoji to react with: well formed (422 otherwise), and a standard emoji or a
 * live custom one (400 otherwise, naming the field).
 */
export async function knownEmoji(store: Store, raw: string): Promise<string> {
  const name = validateEmoji(raw);
  if (isStandardEmoji(name) || (await store.customEmoji.getByName(name)) !== undefined) return name;
  throw badRequest(`Unknown emoji "${name}": use a standard emoji name or an existing custom emoji`, { field: 'emoji_name' });
}
