/**
 * Files as the client shows them: their URLs, sizes for people, a kind for the icon, and the
 * box an image preview takes. Pure, so it runs under Vitest.
 */
import { formatNumber, t } from '../i18n/index.js';

/** "1023 B", "1.5 KB": no thousands separator, the locale's decimal sign. */
const SIZE_NUMBER: Intl.NumberFormatOptions = { useGrouping: false, maximumFractionDigits: 1 };

/** Files one message may carry (the server refuses more `file_ids`). */
export const MAX_FILES_PER_POST = 10;

/** Image types a person may choose as a profile picture (what the server accepts). */
export const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

export type FileVariant = 'download' | 'thumbnail' | 'preview';

/** Same-origin URL of a file's bytes or of its image variants (the session cookie authorizes `<img>` and links). */
export function fileUrl(id: string, variant: FileVariant): string {
  return `/api/v1/files/${encodeURIComponent(id)}/${variant}`;
}

/**
 * The `src` of a user's picture, or undefined for initials. Only the server's own avatar path
 * is used (`/api/v1/users/{id}/avatar?v=…`): a user record can never point an `<img>` elsewhere.
 */
export function avatarSrc(avatarUrl: string | null | undefined, pixels: number): string | undefined {
  if (typeof avatarUrl !== 'string' || !/^\/api\/v1\/users\/[A-Za-z0-9_-]+\/avatar(\?[^#\s]*)?$/.test(avatarUrl)) return undefined;
  const url = new URL(avatarUrl, 'http://client.invalid');
  url.searchParams.set('size', String(pixels <= 128 ? 128 : 512));
  return `${url.pathname}${url.search}`;
}

/**
 * The `src` of a link preview's image, or undefined: only the server's own, access-checked path
 * for a post's preview image (`/api/v1/posts/{id}/preview/image?v=…`), never a remote URL.
 */
export function previewImageSrc(url: string | null | undefined): string | undefined {
  return typeof url === 'string' && /^\/api\/v1\/posts\/[A-Za-z0-9-]+\/preview\/image(\?v=\d+)?$/.test(url) ? url : undefined;
}

/** "812 B", "4.2 KB", "17 MB" (powers of 1024, as the server's limits are written). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return t('size.bytes', { size: formatNumber(Math.max(0, Math.round(bytes || 0)), SIZE_NUMBER) });
  const units = ['size.KB', 'size.MB', 'size.GB', 'size.TB'] as const;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  return t(units[unit]!, { size: formatNumber(shown, SIZE_NUMBER) });
}

export type FileKind = 'image' | 'video' | 'audio' | 'pdf' | 'archive' | 'spreadsheet' | 'presentation' | 'document' | 'code' | 'text' | 'other';

const BY_EXTENSION: Readonly<Record<string, FileKind>> = {
  zip: 'archive', gz: 'archive', tgz: 'archive', bz2: 'archive', xz: 'archive', '7z': 'archive', rar: 'archive', tar: 'archive', zst: 'archive',
  xls: 'spreadsheet', xlsx: 'spreadsheet', ods: 'spreadsheet', csv: 'spreadsheet', tsv: 'spreadsheet',
  ppt: 'presentation', pptx: 'presentation', odp: 'presentation', key: 'presentation',
  doc: 'document', docx: 'document', odt: 'document', rtf: 'document', pages: 'document',
  js: 'code', mjs: 'code', ts: 'code', tsx: 'code', jsx: 'code', py: 'code', rs: 'code', go: 'code', java: 'code', c: 'code', h: 'code', cpp: 'code',
  cs: 'code', rb: 'code', php: 'code', sh: 'code', sql: 'code', json: 'code', yaml: 'code', yml: 'code', toml: 'code', xml: 'code', html: 'code', css: 'code',
  txt: 'text', md: 'text', log: 'text',
  pdf: 'pdf',
};

/**
 * What kind of file it is, for its icon: by the type the server detected from the bytes, then
 * by the extension (the server detects little beyond binary formats: a .csv is plain text).
 */
export function fileKind(mimeType: string, extension: string): FileKind {
  const mime = mimeType.toLowerCase();
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime === 'application/pdf') return 'pdf';
  const byExt = BY_EXTENSION[extension.toLowerCase()];
  if (byExt !== undefined) return byExt;
  if (/zip|x-tar|gzip|x-7z|x-rar|x-bzip|x-xz|zstd/.test(mime)) return 'archive';
  if (/spreadsheet|ms-excel/.test(mime)) return 'spreadsheet';
  if (/presentation|ms-powerpoint/.test(mime)) return 'presentation';
  if (/wordprocessing|msword|opendocument\.text/.test(mime)) return 'document';
  if (mime.startsWith('text/')) return 'text';
  return 'other';
}

/** "PDF document", "Archive", … — said by screen readers next to the icon. */
export function fileKindLabel(kind: FileKind): string {
  return t(`fileKind.${kind}`);
}

/**
 * The size an image is shown at inline: its own size, scaled down (never up) to fit the box,
 * so the message list keeps its layout while the preview loads.
 */
export function fitWithin(width: number | undefined, height: number | undefined, maxWidth: number, maxHeight: number): { width: number; height: number } {
  if (width === undefined || height === undefined || width <= 0 || height <= 0) return { width: maxWidth, height: maxHeight };
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
