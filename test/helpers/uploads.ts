/** Multipart bodies and test images for the file tests (built by hand: what a browser's FormData sends). */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Api, ApiResponse } from './app.js';
import type { TestUser } from './factories.js';

export interface Part {
  readonly field?: string;
  readonly name: string;
  readonly data: Buffer | string;
  /** The client's claim; the server ignores it. */
  readonly type?: string;
  /** A plain form field (no filename): `field` = `data`. */
  readonly plain?: boolean;
}

export function multipart(parts: readonly Part[]): { body: Buffer; contentType: string } {
  const boundary = `----rustchat${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const name = p.name.replace(/"/g, '%22').replace(/\r|\n/g, ' ');
    chunks.push(Buffer.from(p.plain === true
      ? `--${boundary}\r\nContent-Disposition: form-data; name="${p.field ?? 'file'}"\r\n\r\n`
      : `--${boundary}\r\nContent-Disposition: form-data; name="${p.field ?? 'file'}"; filename="${name}"\r\nContent-Type: ${p.type ?? 'application/octet-stream'}\r\n\r\n`));
    chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POST /api/v1/files?channel_id=… with these parts. */
export function upload(api: Api, user: TestUser, channelId: string, parts: readonly Part[]): Promise<ApiResponse> {
  const { body, contentType } = multipart(parts);
  return api.request('POST', `/api/v1/files?channel_id=${encodeURIComponent(channelId)}`, { token: user.token, rawBody: body, headers: { 'content-type': contentType } });
}

/** Uploads one file and returns its id (fails the test when the upload is refused). */
export async function uploadFile(api: Api, user: TestUser, channelId: string, part: Part): Promise<string> {
  const res = await upload(api, user, channelId, [part]);
  if (res.status !== 201) throw new Error(`upload refused: ${res.status} ${res.text}`);
  return res.body.id as string;
}

export async function png(width: number, height: number, color = '#3366ff'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } }).png().toBuffer();
}

export async function jpegWithGps(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#ff8800' } })
    .jpeg()
    .withExif({ IFD0: { Make: 'RustChatCam', Model: 'Test' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2981/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4000/100' } })
    .toBuffer();
}

/** A PNG whose header claims `width` × `height` pixels around a tiny body (a decompression bomb's calling card). */
export async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const { crc32 } = await import('node:zlib');
  const real = await png(1, 1);
  // Signature (8) + IHDR length (4) + "IHDR" (4) + data (13) + CRC (4).
  const out = Buffer.from(real);
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

/** A zip archive with one entry of `size` zero bytes, deflated (a zip bomb in miniature). */
export async function zipOfZeros(size: number, entryName = 'zeros.bin'): Promise<Buffer> {
  const { crc32, deflateRawSync } = await import('node:zlib');
  const plain = Buffer.alloc(size);
  const data = deflateRawSync(plain, { level: 9 });
  const name = Buffer.from(entryName);
  const crc = crc32(plain);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length + data.length, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

/** Every file under `dir` (recursively), except under a directory named `.tmp` (uploads in progress). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.name === '.tmp' ? [] : e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Files waiting in a local storage's temporary directory (none once every upload has finished). */
export const temporaryUploads = (tmpDir: string): string[] => (existsSync(tmpDir) ? readdirSync(tmpDir) : []);

/** POST /api/v1/emoji: the name field, then the image (as a browser's FormData sends them). */
export function uploadEmoji(api: Api, user: TestUser, name: string | undefined, image: Buffer | string, opts: { imageFirst?: boolean } = {}): Promise<ApiResponse> {
  const parts: Part[] = [{ field: 'image', name: 'emoji.png', data: image }];
  if (name !== undefined) parts[opts.imageFirst === true ? 'push' : 'unshift']({ field: 'name', name: '', data: name, plain: true });
  const { body, contentType } = multipart(parts);
  return api.request('POST', '/api/v1/emoji', { token: user.token, rawBody: body, headers: { 'content-type': contentType } });
}
