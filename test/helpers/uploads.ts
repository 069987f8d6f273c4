/** Multipart bodies and test images for the file tests (built by hand: what a browser's FormData sends). */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import type { Api, ApiResponse } from './app.js';
import type { TestUser } from './factories.js';

export interface Part {
  readonly field?: string;
  readonly name: string;
  readonly data: Buffer | string;
  /** The client's claim; the server ignores it. */
  readonly type?: string;
}

export function multipart(parts: readonly Part[]): { body: Buffer; contentType: string } {
  const boundary = `----rustchat${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const name = p.name.replace(/"/g, '%22').replace(/\r|\n/g, ' ');
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.field ?? 'file'}"; filename="${name}"\r\nContent-Type: ${p.type ?? 'application/octet-stream'}\r\n\r\n`));
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
