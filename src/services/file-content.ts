/**
 * What a file is, decided from its bytes (never from the client's Content-Type or the name's
 * extension), and the images made from it: dimensions, a thumbnail and a preview, avatars.
 *
 * Decompression bombs: an image's dimensions are read from its header first and anything
 * over the pixel limit is refused before a single pixel is decoded; sharp is also given the
 * same `limitInputPixels`, so a header that lies is caught by the decoder. Derivatives carry
 * no metadata (sharp writes none unless asked), so EXIF location never reaches a preview or
 * an avatar; orientation is applied to the pixels first.
 */
import { open } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import type Sharp from 'sharp';
import type * as FileTypes from 'file-type';
import { badRequest } from '../domain/errors.js';

// One image at a time per process, no cache: memory stays flat however many uploads arrive.
type SharpFn = typeof Sharp;
let loaded: Promise<SharpFn> | undefined;
/**
 * sharp (libvips) is loaded on the first image, not at startup: it is a large native library
 * (~15 MB of a worker's resident memory) that a server without uploads never needs.
 */
function sharpLib(): Promise<SharpFn> {
  loaded ??= import('sharp').then((m) => {
    const sharp = m.default;
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  });
  return loaded;
}

/** The raster types shown inline and given a thumbnail and a preview. */
export const RASTER_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export const THUMBNAIL_SIZE = 240;
export const PREVIEW_WIDTH = 1920;
export const AVATAR_SIZES = [512, 128] as const;
export type AvatarSize = (typeof AVATAR_SIZES)[number];

let parser: Promise<typeof FileTypes> | undefined;

/** Text types sniffed from the start of a UTF-8 file (file-type recognises binary formats only). */
function sniffText(head: Buffer): string {
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart().slice(0, 512).toLowerCase();
  if (/^<svg[\s>]/.test(text) || (/^<\?xml/.test(text) && text.includes('<svg'))) return 'image/svg+xml';
  if (/^<(!doctype html|html|head|body|script|iframe)[\s>]/.test(text)) return 'text/html';
  if (/^<\?xml/.test(text)) return 'application/xml';
  return 'text/plain';
}

/** The content type of the file at `path`, from its bytes. */
export async function detectType(path: string): Promise<string> {
  parser ??= import('file-type');
  const { fileTypeFromFile } = await parser;
  const found = await fileTypeFromFile(path);
  // XML is text to file-type; SVG is XML that a browser runs: tell them apart below.
  if (found !== undefined && found.mime !== 'application/xml' && found.mime !== 'text/xml') return found.mime;
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    // UTF-8 cut in the middle of a character at the 4 KiB boundary still counts as text.
    const trimmed = bytesRead === head.length ? bytes.subarray(0, bytes.length - 4) : bytes;
    if (bytesRead > 0 && !trimmed.includes(0) && isUtf8(trimmed)) return sniffText(bytes);
    return 'application/octet-stream';
  } finally {
    await handle.close();
  }
}

export interface ImageFacts {
  readonly width: number;
  readonly height: number;
}

/**
 * Dimensions from the header, refused (400) when over `maxPixels` (every frame of an animation
 * counts) or unreadable. Reads the header only: fast and flat in memory whatever it claims.
 */
export async function imageFacts(path: string, maxPixels: number): Promise<ImageFacts> {
  const sharp = await sharpLib();
  let meta: Awaited<ReturnType<ReturnType<SharpFn>['metadata']>>;
  try {
    meta = await sharp(path, { limitInputPixels: false }).metadata();
  } catch {
    throw badRequest('The image could not be read (damaged or not an image)');
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw badRequest('The image could not be read (no dimensions)');
  const frames = Math.max(meta.pages ?? 1, 1);
  if (width * height > maxPixels || width * height * frames > maxPixels * 4) {
    throw badRequest(`The image is too large: ${width} × ${height} pixels${frames > 1 ? ` × ${frames} frames` : ''} (limit: ${maxPixels} pixels)`);
  }
  return { width, height };
}

async function decoder(path: string, maxPixels: number): Promise<ReturnType<SharpFn>> {
  // `truncated`: an image cut short is refused rather than shown half grey.
  return (await sharpLib())(path, { limitInputPixels: maxPixels, failOn: 'truncated', animated: false }).rotate();
}

async function render<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof Error && /pixel limit|truncated|premature|corrupt|invalid|unsupported|bad|VipsJpeg|vipspng|gifload|webp/i.test(err.message)) {
      throw badRequest('The image could not be read (damaged, truncated or too large)');
    }
    throw err;
  }
}

/** A thumbnail (fits THUMBNAIL_SIZE²) and a preview (at most PREVIEW_WIDTH wide), as WebP without metadata. */
export async function imageDerivatives(path: string, maxPixels: number): Promise<{ thumbnail: Buffer; preview: Buffer }> {
  return render(async () => {
    const thumbnail = await (await decoder(path, maxPixels)).resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }).toBuffer();
    const preview = await (await decoder(path, maxPixels)).resize({ width: PREVIEW_WIDTH, withoutEnlargement: true }).webp({ quality: 85 }).toBuffer();
    return { thumbnail, preview };
  });
}

/** The largest side of a link preview's stored image (services/link-previews.ts). */
export const LINK_PREVIEW_IMAGE_SIZE = 600;

/** A link preview's image: fits LINK_PREVIEW_IMAGE_SIZE², WebP without metadata, with its size. */
export async function linkPreviewImage(path: string, maxPixels: number): Promise<{ data: Buffer; width: number; height: number }> {
  return render(async () => {
    const { data, info } = await (await decoder(path, maxPixels))
      .resize(LINK_PREVIEW_IMAGE_SIZE, LINK_PREVIEW_IMAGE_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  });
}

/** Square avatars (cropped to the centre), one per AVATAR_SIZES, as WebP without metadata. */
export async function avatarImages(path: string, maxPixels: number): Promise<Map<AvatarSize, Buffer>> {
  return render(async () => {
    const out = new Map<AvatarSize, Buffer>();
    for (const size of AVATAR_SIZES) {
      out.set(size, await (await decoder(path, maxPixels)).resize(size, size, { fit: 'cover', position: 'centre' }).webp({ quality: 85 }).toBuffer());
    }
    return out;
  });
}

/**
 * A custom emoji's image: fits `size` × `size` (never enlarged), as WebP without metadata;
 * GIF and WebP animations stay animated. Call after `imageFacts` (the header check).
 */
export async function emojiImage(path: string, maxPixels: number, size: number): Promise<Buffer> {
  const sharp = await sharpLib();
  return render(async () =>
    sharp(path, { limitInputPixels: maxPixels * 4, failOn: 'truncated', animated: true })
      .rotate()
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 90 })
      .toBuffer(),
  );
}

// ---- names ----

/** Bidirectional controls (a name like `exe.txt` shown reversed) and other invisible format characters. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it removes
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;
export const MAX_NAME_LENGTH = 255;

/**
 * A display name for an uploaded file: metadata only (never a path), so this only keeps it
 * readable and honest: the last path segment (`../` and `..\\` climb nowhere), no control or
 * bidirectional characters, at most MAX_NAME_LENGTH characters with the extension kept.
 * NUL is refused outright (400), like everywhere else in the API.
 */
export function cleanFileName(raw: string | undefined): string {
  if (raw === undefined) return 'file';
  if (raw.includes('\u0000')) throw badRequest('File names must not contain NUL characters');
  if (!raw.isWellFormed()) throw badRequest('File names must be valid Unicode');
  let name = raw.split(/[/\\]/).pop() ?? '';
  name = name.replace(INVISIBLE, '').normalize('NFC').trim();
  if (name === '' || name === '.' || name === '..') return 'file';
  const chars = Array.from(name);
  if (chars.length > MAX_NAME_LENGTH) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? Array.from(name.slice(dot)) : [];
    name = chars.slice(0, MAX_NAME_LENGTH - ext.length).join('') + ext.join('');
  }
  return name;
}

/**
 * `Content-Disposition` (RFC 6266): `inline` only for the raster types, `attachment` for
 * anything else; an ASCII fallback `filename` and the exact UTF-8 name in `filename*`.
 */
export function contentDisposition(name: string, mimeType: string): string {
  const kind = RASTER_IMAGE_TYPES.has(mimeType) ? 'inline' : 'attachment';
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
