/**
 * Bad input to the file routes gets a clear 4xx in the JSON envelope and leaves nothing
 * behind: no metadata row, no stored object, no temporary file.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { createChannel, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { dbDigest, locationOf } from '../helpers/store.js';
import { filesUnder, multipart, png, pngClaiming, temporaryUploads, upload, zipOfZeros, type Part } from '../helpers/uploads.js';

describe('file uploads: bad input', () => {
  let t: TestApp;
  let alice: TestUser;
  let channel: { id: string };
  const objects = (): string[] => filesUnder(t.config.files.dir);
  const temporary = (): string[] => temporaryUploads(t.config.files.tmpDir);

  /** Runs `act` and checks that it changed nothing: database, storage, temporary files. */
  async function leavesNothing(act: () => Promise<void>): Promise<void> {
    const db = await dbDigest(locationOf(t));
    const stored = objects().length;
    await act();
    expect(await dbDigest(locationOf(t))).toBe(db);
    expect(objects().length).toBe(stored);
    expect(temporary()).toEqual([]);
  }

  const refused = async (parts: Part[], status: number, message: RegExp): Promise<void> => {
    await leavesNothing(async () => {
      const res = await upload(t.api, alice, channel.id, parts);
      expect(res.status, res.text).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body.error.message).toMatch(message);
      expect(res.body.error.request_id).toBeTypeOf('string');
    });
  };

  beforeAll(async () => {
    t = await startApp('sqlite', { env: { RUSTCHAT_FILES_MAX_SIZE: '1MB', RUSTCHAT_FILES_USER_QUOTA: '3MB', RUSTCHAT_FILES_MAX_IMAGE_PIXELS: '25000000' } });
    alice = await registerUser(t.api, 'alice');
    const team = await createTeam(t.api, alice);
    channel = await createChannel(t.api, alice, team.id, 'public');
  });
  afterAll(async () => t?.close());

  it('keeps names as metadata only: no path climbs anywhere, invisible and bidi characters go, long names are cut', async () => {
    const cases: [string, string][] = [
      ['../../../../etc/passwd', 'passwd'],
      ['..\\..\\windows\\win.ini', 'win.ini'],
      ['%2e%2e%2fsecret.txt', '%2e%2e%2fsecret.txt'],
      ['/etc/shadow', 'shadow'],
      ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
      ['..', 'file'],
      [`${'a'.repeat(1000)}.txt`, `${'a'.repeat(251)}.txt`],
    ];
    for (const [raw, expected] of cases) {
      const res = await upload(t.api, alice, channel.id, [{ name: raw, data: 'text' }]);
      expect(res.status, raw).toBe(201);
      expect(res.body.name).toBe(expected);
    }
    // Every object sits under the storage root with a server-made key; nothing was written elsewhere.
    for (const path of objects()) expect(path.slice(t.config.files.dir.length)).toMatch(/^\/files\/\d{4}\/\d{2}\/[0-9a-f-]{36}(\.[a-z]+)?$/);
    expect(existsSync(join(t.dataDir, '..', 'passwd'))).toBe(false);
  });

  it('refuses a NUL byte in a name', async () => {
    await refused([{ name: 'a\u0000.txt', data: 'x' }], 400, /NUL/);
  });

  it('refuses a file over RUSTCHAT_FILES_MAX_SIZE with 413, and a request of several where one is too large entirely', async () => {
    await refused([{ name: 'big.bin', data: Buffer.alloc(1024 * 1024 + 1, 1) }], 413, /larger than the limit of 1 MB/);
    await refused([{ name: 'ok.txt', data: 'fine' }, { name: 'big.bin', data: Buffer.alloc(1024 * 1024 + 1, 1) }], 413, /larger than the limit/);
  });

  it('refuses uploads over the user quota with 413 and a clear message', async () => {
    const other = await registerUser(t.api, 'quota');
    const team = await createTeam(t.api, other);
    const c = await createChannel(t.api, other, team.id, 'public');
    const chunk = Buffer.alloc(900 * 1024, 7);
    for (let i = 0; i < 3; i++) expect((await upload(t.api, other, c.id, [{ name: `f${i}.bin`, data: chunk }])).status).toBe(201);
    const over = await upload(t.api, other, c.id, [{ name: 'one-too-many.bin', data: chunk }]);
    expect(over.status).toBe(413);
    expect(over.body.error.message).toMatch(/quota of 3 MB/);
  });

  it('detects types from the bytes: HTML and SVG named .png are neither images nor inline', async () => {
    for (const [data, mime] of [['<html><body><script>alert(1)</script></body></html>', 'text/html'], ['<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', 'image/svg+xml']] as const) {
      const res = await upload(t.api, alice, channel.id, [{ name: 'cat.png', data, type: 'image/png' }]);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ mime_type: mime, has_preview: false });
      expect(res.body.width).toBeUndefined();
    }
  });

  it('refuses a truncated image', async () => {
    const whole = await png(400, 300);
    await refused([{ name: 'half.png', data: whole.subarray(0, Math.floor(whole.length / 2)) }], 400, /could not be read/);
  });

  it('refuses a PNG claiming 60,000 × 60,000 pixels in under a second, without decoding it', async () => {
    const started = performance.now();
    await refused([{ name: 'bomb.png', data: await pngClaiming(60_000, 60_000) }], 400, /too large: 60000 × 60000 pixels/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('stores a zip bomb named .png as the zip it is: never unpacked, no preview', async () => {
    const zip = await zipOfZeros(50 * 1024 * 1024);
    expect(zip.length).toBeLessThan(1024 * 1024);
    const res = await upload(t.api, alice, channel.id, [{ name: 'holiday.png', data: zip, type: 'image/png' }]);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ mime_type: 'application/zip', has_preview: false, size: zip.length });
    // As an avatar it is no image at all.
    const form = multipart([{ field: 'image', name: 'me.png', data: zip }]);
    const avatar = await t.api.request('PUT', '/api/v1/users/me/avatar', { token: alice.token, rawBody: form.body, headers: { 'content-type': form.contentType } });
    expect(avatar.status).toBe(400);
  });

  it('answers malformed requests with 4xx: not multipart, no file, another field, too many files, a broken body', async () => {
    await leavesNothing(async () => {
      const json = await t.api.post(`/api/v1/files?channel_id=${channel.id}`, { file: 'x' }, alice.token);
      expect(json.status).toBe(415);
      expect((await upload(t.api, alice, channel.id, [])).status).toBe(400);
      expect((await upload(t.api, alice, channel.id, [{ field: 'attachment', name: 'a.txt', data: 'x' }])).status).toBe(400);
      const eleven = Array.from({ length: 11 }, (_, i) => ({ name: `${i}.txt`, data: 'x' }));
      expect((await upload(t.api, alice, channel.id, eleven)).status).toBe(400);
      const broken = await t.api.request('POST', `/api/v1/files?channel_id=${channel.id}`, { token: alice.token, rawBody: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc', headers: { 'content-type': 'multipart/form-data; boundary=xyz' } });
      expect(broken.status).toBeGreaterThanOrEqual(400);
      expect(broken.status).toBeLessThan(500);
      expect((await t.api.post('/api/v1/files?channel_id=not-an-id', undefined, alice.token)).status).toBe(400);
    });
  });

  it('cleans up an upload aborted half way: no row, no object, the temporary file removed', async () => {
    const { url } = await t.app.listen();
    const before = await dbDigest(locationOf(t));
    const stored = objects().length;
    const { body, contentType } = multipart([{ name: 'cut.bin', data: Buffer.alloc(900 * 1024, 3) }]);
    const req = request(`${url}/api/v1/files?channel_id=${channel.id}`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': contentType, 'content-length': String(body.length) } });
    req.on('error', () => undefined);
    // Half the body, then wait until the server has started writing its temporary file, then cut.
    req.write(body.subarray(0, body.length / 2));
    const deadline = Date.now() + 10_000;
    while (temporary().length === 0) {
      if (Date.now() > deadline) throw new Error('the upload never reached a temporary file');
      await new Promise((r) => setImmediate(r));
    }
    req.destroy();
    while (temporary().length > 0) {
      if (Date.now() > deadline) throw new Error(`temporary files left: ${temporary().join(', ')}`);
      await new Promise((r) => setImmediate(r));
    }
    expect(await dbDigest(locationOf(t))).toBe(before);
    expect(objects().length).toBe(stored);
  });
});

describe('file uploads: memory', () => {
  let t: TestApp;
  afterAll(async () => t?.close());

  it('streams uploads to disk: the server\'s memory does not grow with the file (100 MB, then 200 MB)', async () => {
    t = await startApp('sqlite', { env: { RUSTCHAT_FILES_MAX_SIZE: '250MB' } });
    const alice = await registerUser(t.api, 'big');
    const team = await createTeam(t.api, alice);
    const channel = await createChannel(t.api, alice, team.id, 'public');
    const { url } = await t.app.listen();
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    const boundary = 'rustchat-memory-test';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    /** Uploads `mb` megabytes (client and server in this process: the client reuses one chunk) and returns the peak RSS growth so far, in MB. */
    const uploadOf = async (mb: number): Promise<number> => {
      const total = mb * 1024 * 1024;
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${url}/api/v1/files?channel_id=${channel.id}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${alice.token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + total + tail.length) },
        }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        let sent = 0;
        const pump = (): void => {
          while (sent < total) {
            sent += chunk.length;
            if (!req.write(chunk)) {
              req.once('drain', pump);
              return;
            }
          }
          req.end(tail);
        };
        req.write(head);
        pump();
      });
      expect(answer.status, answer.body).toBe(201);
      expect(JSON.parse(answer.body).size).toBe(total);
      return (peak - baseline) / 1024 / 1024;
    };
    try {
      const after100 = await uploadOf(100);
      const after200 = await uploadOf(200);
      // Garbage (each network chunk is a fresh buffer) comes and goes with the collector; a
      // server holding the file would grow by its size. Twice the file: no more memory.
      expect(after100).toBeLessThan(100);
      expect(after200 - after100).toBeLessThan(25);
    } finally {
      clearInterval(sampler);
    }
  });
});
