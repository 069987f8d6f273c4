/**
 * Files shared in channels, and avatars. Every path to a file's metadata or bytes starts with
 * Access.file (FILE_POLICY: a posted file is exactly as visible as its channel) or, for an
 * upload, Access.channel(…, 'post'); avatars with Access.user.
 *
 * Upload flow (one file):
 *   request stream → temporary file under RUSTCHAT_FILES_DIR/.tmp (counted: over the limit →
 *   413, fsynced) → type from the bytes → for raster images: header dimensions (pixel limit),
 *   thumbnail and preview → storage (the bytes first, then the derivatives) → metadata row
 *   (with the quota check, atomically) → the temporary file is removed, whatever happened.
 * A failure at any step leaves no row; objects stored before a failed row insert are deleted
 * again. A row exists only for stored bytes.
 *
 * Deletion: the row is marked deleted in the transaction that deletes the post (or the file),
 * the objects are deleted after the commit and the row purged; if that fails, the sweeper
 * finishes it. Unattached uploads expire after RUSTCHAT_FILES_UNATTACHED_HOURS (the sweeper).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FilesConfig } from '../config/config.js';
import type { FileInfo, User } from '../domain/entities.js';
import { AppError, badRequest, notFound } from '../domain/errors.js';
import { fileView, postView, type FileView } from '../domain/presenters.js';
import { derivedKey, newObjectKey, ObjectNotFound, type BlobStorage, type ByteRange, type StoredObject } from '../storage/blob-storage.js';
import type { FileStore } from '../store/files.js';
import type { AttachmentImageStore } from '../store/attachment-images.js';
import type { PreviewStore } from '../store/previews.js';
import type { Access } from './access.js';
import type { CallContext, ServiceDeps } from './context.js';
import { AVATAR_SIZES, avatarImages, cleanFileName, detectType, imageDerivatives, imageFacts, linkPreviewImage, RASTER_IMAGE_TYPES, type AvatarSize } from './file-content.js';

export type FileVariant = 'download' | 'thumbnail' | 'preview';

/** What the HTTP layer needs to send a file's bytes. */
export interface OpenedFile {
  readonly file: FileInfo;
  /** The stored object's content type (the file's own, or WebP for derivatives). */
  readonly mimeType: string;
  /** Strong validator: the content behind an id never changes. */
  readonly etag: string;
  readonly size: number;
  /** Undefined when the request's range was not satisfiable: answer 416. */
  readonly object: StoredObject | undefined;
  readonly range: ByteRange | undefined;
}

export interface FilesCheckReport {
  /** Objects in storage that no metadata names (safe to delete once confirmed). */
  readonly orphanObjects: string[];
  /** Objects the metadata names that storage does not have. */
  readonly missingObjects: string[];
  readonly objectsSeen: number;
  readonly keysKnown: number;
}

const SWEEP_BATCH = 200;
const DEFAULT_SWEEP_INTERVAL_MS = 10 * 60_000;

const payloadTooLarge = (message: string): AppError => new AppError('PAYLOAD_TOO_LARGE', message);

function formatBytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** The stored objects of a file: its bytes, and its thumbnail and preview when it has them. */
export function objectKeysOf(entry: { key: string; kind: 'file' | 'avatar' | 'emoji'; has_preview: boolean }): string[] {
  if (entry.kind === 'emoji') return [entry.key];
  if (entry.kind === 'avatar') return AVATAR_SIZES.map((s) => derivedKey(entry.key, String(s)));
  return entry.has_preview ? [entry.key, derivedKey(entry.key, 'thumb'), derivedKey(entry.key, 'preview')] : [entry.key];
}

/** Parses a single `bytes=` range against `size`; undefined: serve the whole file; 'unsatisfiable': 416. */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined | 'unsatisfiable' {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges, other units or garbage: a server may ignore Range and send everything.
  if (m === null || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(size - suffix, 0);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

export class FileService {
  private readonly maxSize: number;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly access: Access,
    private readonly storage: BlobStorage,
    private readonly config: FilesConfig,
  ) {
    this.maxSize = config.maxSize;
  }

  /** The largest accepted file, in bytes (the HTTP layer limits the multipart stream with it). */
  get maxFileSize(): number {
    return this.maxSize;
  }

  /**
   * Checked before any byte of an upload is read: the caller may post in the channel (404 when
   * they cannot see it) and has quota left.
   */
  async beginUpload(ctx: CallContext, channelId: string): Promise<void> {
    await this.access.channel(ctx, channelId, 'post');
    if (this.config.userQuota !== null && (await this.deps.store.files.usage(ctx.actor.userId)) >= this.config.userQuota) {
      throw payloadTooLarge(`Your storage quota of ${formatBytes(this.config.userQuota)} is used up: delete some files first`);
    }
  }

  /** Stream → counted temporary file (fsynced). Over the limit: 413, and the file is removed by the caller. */
  private async receiveToTemp(stream: Readable, path: string, max = this.maxSize): Promise<number> {
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > max) done(payloadTooLarge(`The file is larger than the limit of ${formatBytes(max)}`));
        else done(null, chunk);
      },
    });
    // `flush`: the stream fsyncs the file before it closes (no second open just to sync).
    await pipeline(stream, counter, createWriteStream(path, { flags: 'wx', mode: 0o600, flush: true }));
    // The multipart parser truncates at its own limit (the same one) rather than failing.
    if ((stream as Readable & { truncated?: boolean }).truncated === true) throw payloadTooLarge(`The file is larger than the limit of ${formatBytes(max)}`);
    return size;
  }

  private tmpDirReady: Promise<unknown> | undefined;

  private async withTempFile<T>(work: (path: string) => Promise<T>): Promise<T> {
    // Made once per process (and again if it failed, e.g. the disk was not mounted yet).
    this.tmpDirReady ??= mkdir(this.config.tmpDir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
      this.tmpDirReady = undefined;
      throw err;
    });
    await this.tmpDirReady;
    const path = join(this.config.tmpDir, `${randomUUID()}.upload`);
    try {
      return await work(path);
    } finally {
      await rm(path, { force: true });
    }
  }

  /** Stores one uploaded file of the channel (after `beginUpload`) and records it, unattached. */
  async receive(ctx: CallContext, channelId: string, rawName: string | undefined, stream: Readable): Promise<FileView> {
    const name = cleanFileName(rawName);
    return this.withTempFile(async (tmp) => {
      const size = await this.receiveToTemp(stream, tmp);
      if (size === 0) throw badRequest('The file is empty');
      const mimeType = await detectType(tmp);
      let dims: { width: number; height: number } | undefined;
      let derived: { thumbnail: Buffer; preview: Buffer } | undefined;
      if (RASTER_IMAGE_TYPES.has(mimeType)) {
        dims = await imageFacts(tmp, this.config.maxImagePixels);
        derived = await imageDerivatives(tmp, this.config.maxImagePixels);
      }
      const key = newObjectKey('files');
      const keys = objectKeysOf({ key, kind: 'file', has_preview: derived !== undefined });
      const info: FileInfo = {
        id: randomUUID(), user_id: ctx.actor.userId, channel_id: channelId, post_id: null, name, mime_type: mimeType, size,
        width: dims?.width ?? null, height: dims?.height ?? null, has_preview: derived === undefined ? 0 : 1, storage_key: key,
        created_at: this.deps.clock(), deleted_at: null,
      };
      try {
        await this.storage.putFile(key, tmp, mimeType);
        if (derived !== undefined) {
          await this.storage.putBuffer(keys[1]!, derived.thumbnail, 'image/webp');
          await this.storage.putBuffer(keys[2]!, derived.preview, 'image/webp');
        }
        const quota = this.config.userQuota;
        const stored = await this.deps.store.transaction((tx) => tx.files.create(info, quota));
        if (!stored) throw payloadTooLarge(`This file would exceed your storage quota of ${formatBytes(quota!)}: delete some files first`);
      } catch (err) {
        await this.storage.delete(keys).catch((e: unknown) => this.deps.logger.warn({ err: e, keys }, 'files: removing the objects of a failed upload failed (rustchat files check reports them)'));
        throw err;
      }
      return fileView(info);
    });
  }

  /** Removes files of a request that failed half way (its earlier files): rows and objects. */
  async discard(fileIds: readonly string[]): Promise<void> {
    const at = this.deps.clock();
    const gone: FileInfo[] = [];
    for (const id of fileIds) {
      const f = await this.deps.store.files.markDeleted(id, at);
      if (f !== undefined) gone.push(f);
    }
    await this.removeObjects(gone);
  }

  async get(ctx: CallContext, fileId: string): Promise<FileView> {
    const { file } = await this.access.file(ctx, fileId);
    return fileView(file);
  }

  /** Opens a file's bytes (or its thumbnail or preview) for a caller who may read it. */
  async open(ctx: CallContext, fileId: string, variant: FileVariant, rangeHeader: string | undefined, ifNoneMatch?: string): Promise<OpenedFile | 'not_modified'> {
    const { file } = await this.access.file(ctx, fileId);
    if (variant !== 'download' && file.has_preview !== 1) throw notFound('Preview');
    const key = variant === 'download' ? file.storage_key : derivedKey(file.storage_key, variant === 'thumbnail' ? 'thumb' : 'preview');
    const mimeType = variant === 'download' ? file.mime_type : 'image/webp';
    const etag = `"${file.id}${variant === 'download' ? '' : `-${variant}`}"`;
    // The content behind an id never changes: a matching validator needs no bytes (access was checked above).
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return 'not_modified';
    const size = variant === 'download' ? file.size : await this.storage.size(key);
    if (size === undefined) throw this.lost(file, key);
    const range = parseRange(rangeHeader, size);
    if (range === 'unsatisfiable') return { file, mimeType, etag, size, object: undefined, range: undefined };
    try {
      return { file, mimeType, etag, size, object: await this.storage.open(key, range), range };
    } catch (err) {
      if (err instanceof ObjectNotFound) throw this.lost(file, key);
      throw err;
    }
  }

  /** Metadata without its object: a storage problem to report, a 404 to the caller. */
  private lost(file: FileInfo, key: string): AppError {
    this.deps.logger.error({ file_id: file.id, key }, 'files: stored object missing (see rustchat files check)');
    return notFound('File');
  }

  /** Attached files of a channel the caller may read, newest first. */
  async listChannel(ctx: CallContext, channelId: string, before: { at: number; id: string } | undefined, limit: number): Promise<FileView[]> {
    await this.access.channel(ctx, channelId);
    return (await this.deps.store.files.listChannel(channelId, before, Math.min(Math.max(limit, 1), 200))).map(fileView);
  }

  /**
   * Deletes one file (its uploader while they may post there, or a channel moderator for a
   * posted one). A posted file leaves its post (`post_edited`) and the channel hears `file_deleted`.
   */
  async delete(ctx: CallContext, fileId: string): Promise<void> {
    await this.access.file(ctx, fileId, 'delete');
    const now = this.deps.clock();
    const gone = await this.deps.store.transaction(async (tx) => {
      const marked = await tx.files.markDeleted(fileId, now);
      if (marked === undefined) return undefined;
      if (marked.post_id !== null) {
        const post = await tx.posts.get(marked.post_id);
        if (post !== undefined && post.deleted_at === null) {
          const ids = (JSON.parse(post.file_ids) as string[]).filter((id) => id !== fileId);
          const updated = await tx.posts.setFileIds(post.id, JSON.stringify(ids));
          await tx.channels.takeEventSeq(post.channel_id);
          if (updated !== undefined) {
            const [reactions, files, [preview], images] = await Promise.all([tx.posts.reactionsFor([post.id]), tx.files.forPosts([post.id]), tx.previews.forPosts([post.id]), tx.attachmentImages.forPosts([post.id])]);
            tx.publish({ event: 'post_edited', data: { post: postView(updated, reactions, files, preview, images) }, broadcast: { channel_id: post.channel_id } });
          }
        }
        tx.publish({ event: 'file_deleted', data: { file_id: fileId, post_id: marked.post_id, channel_id: marked.channel_id }, broadcast: { channel_id: marked.channel_id } });
      }
      return marked;
    });
    if (gone === undefined) throw notFound('File');
    await this.removeObjects([gone]);
  }

  /**
   * Deletes the objects of files already marked deleted, then forgets their rows. A failure is
   * logged and left to the sweeper (the rows stay marked), never thrown at the caller whose
   * change has already committed.
   */
  async removeObjects(files: readonly FileInfo[]): Promise<void> {
    if (files.length === 0) return;
    try {
      await this.storage.delete(files.flatMap((f) => objectKeysOf({ key: f.storage_key, kind: 'file', has_preview: f.has_preview === 1 })));
      await this.deps.store.files.purge(files.map((f) => f.id));
    } catch (err) {
      this.deps.logger.warn({ err, files: files.length }, 'files: deleting stored objects failed; the sweeper retries');
    }
  }

  /** One sweep: expire old unattached uploads, then finish pending deletions. Returns the files removed. */
  async sweep(): Promise<number> {
    const now = this.deps.clock();
    await this.deps.store.files.expireUnattached(now - this.config.unattachedHours * 3_600_000, now, SWEEP_BATCH);
    let removed = 0;
    for (;;) {
      const pending = await this.deps.store.files.pendingDeletion(SWEEP_BATCH);
      if (pending.length === 0) break;
      await this.storage.delete(pending.flatMap((f) => objectKeysOf({ key: f.storage_key, kind: 'file', has_preview: f.has_preview === 1 })));
      await this.deps.store.files.purge(pending.map((f) => f.id));
      removed += pending.length;
      if (pending.length < SWEEP_BATCH) break;
    }
    return removed;
  }

  /** Sweeps now and then every `intervalMs`; returns the stop function. */
  startSweeping(intervalMs = DEFAULT_SWEEP_INTERVAL_MS): () => void {
    let running = false;
    const tick = (): void => {
      if (running) return;
      running = true;
      this.sweep()
        .then((n) => {
          if (n > 0) this.deps.logger.info({ files: n }, 'files: removed expired uploads and deleted files');
        })
        .catch((err: unknown) => this.deps.logger.warn({ err }, 'files: sweep failed; retrying at the next one'))
        .finally(() => {
          running = false;
        });
    };
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Receives an uploaded raster image (PNG, JPEG, GIF or WebP by its bytes, else 400) of at
   * most `maxBytes` (else 413) into a temporary file, and hands its path and type to `work`;
   * the file is removed afterwards, whatever happened. For images kept outside the files
   * table (custom emoji).
   */
  async receiveImage<T>(stream: Readable, maxBytes: number, work: (path: string, mimeType: string) => Promise<T>): Promise<T> {
    return this.withTempFile(async (tmp) => {
      const size = await this.receiveToTemp(stream, tmp, Math.min(maxBytes, this.maxSize));
      if (size === 0) throw badRequest('The image is empty');
      const mimeType = await detectType(tmp);
      if (!RASTER_IMAGE_TYPES.has(mimeType)) throw badRequest('The image must be a PNG, JPEG, GIF or WebP image');
      return work(tmp, mimeType);
    });
  }

  // ---- avatars ----

  /** Replaces the caller's avatar with a square crop of the uploaded image, in AVATAR_SIZES. */
  async setAvatar(ctx: CallContext, stream: Readable): Promise<User> {
    const userId = ctx.actor.userId;
    return this.withTempFile(async (tmp) => {
      const size = await this.receiveToTemp(stream, tmp);
      if (size === 0) throw badRequest('The image is empty');
      const mimeType = await detectType(tmp);
      if (!RASTER_IMAGE_TYPES.has(mimeType)) throw badRequest('An avatar must be a PNG, JPEG, GIF or WebP image');
      await imageFacts(tmp, this.config.maxImagePixels);
      const images = await avatarImages(tmp, this.config.maxImagePixels);
      const key = newObjectKey('avatars');
      const keys = objectKeysOf({ key, kind: 'avatar', has_preview: false });
      let previous: string | null = null;
      let user: User | undefined;
      try {
        for (const s of AVATAR_SIZES) await this.storage.putBuffer(derivedKey(key, String(s)), images.get(s)!, 'image/webp');
        const now = this.deps.clock();
        user = await this.deps.store.transaction(async (tx) => {
          previous = (await tx.users.get(userId))?.avatar_key ?? null;
          return tx.users.update(userId, { avatar_key: key, avatar_url: `/api/v1/users/${userId}/avatar?v=${now}` }, now);
        });
        if (user === undefined) throw notFound('User');
      } catch (err) {
        await this.storage.delete(keys).catch(() => undefined);
        throw err;
      }
      if (previous !== null) await this.storage.delete(objectKeysOf({ key: previous, kind: 'avatar', has_preview: false })).catch((err: unknown) => this.deps.logger.warn({ err }, 'files: removing a replaced avatar failed (rustchat files check reports it)'));
      return user;
    });
  }

  /** Back to initials. */
  async clearAvatar(ctx: CallContext): Promise<void> {
    const userId = ctx.actor.userId;
    const now = this.deps.clock();
    const previous = await this.deps.store.transaction(async (tx) => {
      const key = (await tx.users.get(userId))?.avatar_key ?? null;
      await tx.users.update(userId, { avatar_key: null, avatar_url: null }, now);
      return key;
    });
    if (previous !== null) await this.storage.delete(objectKeysOf({ key: previous, kind: 'avatar', has_preview: false })).catch((err: unknown) => this.deps.logger.warn({ err }, 'files: removing an avatar failed (rustchat files check reports it)'));
  }

  /** A user's avatar, for anyone who may see the user; 404 when they have none (the client shows initials). */
  async openAvatar(ctx: CallContext, userId: string, size: AvatarSize): Promise<{ object: StoredObject; etag: string }> {
    const user = await this.access.user(ctx, userId, 'view');
    if (user.avatar_key === null) throw notFound('Avatar');
    const key = derivedKey(user.avatar_key, String(size));
    try {
      return { object: await this.storage.open(key), etag: `"${user.avatar_key.split('/').pop()!}-${size}"` };
    } catch (err) {
      if (err instanceof ObjectNotFound) throw notFound('Avatar');
      throw err;
    }
  }

  // ---- link preview and attachment images (services/link-previews.ts and attachment-images.ts decide who may see them) ----

  /**
   * Stores the image a link preview (or an attachment image) fetched, the way an upload's image is: its type from the
   * bytes (raster images only: an SVG, HTML or anything else is refused), the pixel limit from
   * the header before decoding, then a resized WebP without metadata is what is kept (never the
   * fetched bytes themselves). Throws AppError (400) for anything it will not store.
   */
  async storeLinkPreviewImage(bytes: Buffer): Promise<{ key: string; width: number; height: number }> {
    if (bytes.length === 0) throw badRequest('The image is empty');
    return this.withTempFile(async (tmp) => {
      await writeFile(tmp, bytes, { flag: 'wx', mode: 0o600 });
      const mimeType = await detectType(tmp);
      if (!RASTER_IMAGE_TYPES.has(mimeType)) throw badRequest(`A preview image must be a PNG, JPEG, GIF or WebP image, not ${mimeType}`);
      await imageFacts(tmp, this.config.maxImagePixels);
      const image = await linkPreviewImage(tmp, this.config.maxImagePixels);
      const key = newObjectKey('previews');
      await this.storage.putBuffer(key, image.data, 'image/webp');
      return { key, width: image.width, height: image.height };
    });
  }

  /** The bytes of a stored link preview (or attachment) image (the caller has decided the reader may see it); `what` names it in the 404. */
  async openLinkPreviewImage(key: string, what = 'Preview'): Promise<StoredObject> {
    try {
      return await this.storage.open(key);
    } catch (err) {
      if (err instanceof ObjectNotFound) throw notFound(what);
      throw err;
    }
  }

  /** Removes stored link preview images; a failure is logged (`rustchat files check` reports what is left). */
  async removeLinkPreviewImages(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.storage.delete(keys).catch((err: unknown) => this.deps.logger.warn({ err, keys: keys.length }, 'files: removing link preview images failed (rustchat files check reports them)'));
  }

  // ---- consistency ----

  /** Compares storage with the metadata (`rustchat files check`). */
  check(): Promise<FilesCheckReport> {
    return checkFiles(this.deps.store.files, this.storage, this.deps.store.previews, this.deps.store.attachmentImages);
  }
}

/**
 * Storage against metadata: objects nobody knows (an upload whose row insert failed and whose
 * cleanup failed too, an avatar replaced while storage was down) and objects the metadata
 * names that storage lacks (lost data). Used by `rustchat files check`.
 */
export async function checkFiles(files: FileStore, storage: BlobStorage, previews: PreviewStore, attachmentImages: AttachmentImageStore): Promise<FilesCheckReport> {
  const known = new Set<string>();
  for await (const entry of files.allKeys()) for (const k of objectKeysOf(entry)) known.add(k);
  for await (const key of previews.allImageKeys()) known.add(key);
  for await (const key of attachmentImages.allImageKeys()) known.add(key);
  const seen = new Set<string>();
  const orphanObjects: string[] = [];
  for (const prefix of ['files', 'avatars', 'emoji', 'previews']) {
    for await (const key of storage.list(prefix)) {
      seen.add(key);
      if (!known.has(key)) orphanObjects.push(key);
    }
  }
  const missingObjects = [...known].filter((k) => !seen.has(k));
  return { orphanObjects: orphanObjects.sort(), missingObjects: missingObjects.sort(), objectsSeen: seen.size, keysKnown: known.size };
}
