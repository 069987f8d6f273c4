/**
 * Files: upload, attach, download with its headers, life cycle and the bad-input table, on both
 * stores (local-disk storage; the S3 driver has its own contract suite in test/storage).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { filesUnder, jpegWithGps, png, temporaryUploads, upload, uploadFile } from '../helpers/uploads.js';
import { dbDigest, locationOf } from '../helpers/store.js';

const storedObjects = (t: TestApp): string[] => filesUnder(t.config.files.dir);
const tmpFiles = (t: TestApp): string[] => temporaryUploads(t.config.files.tmpDir);

describe.each(STORES)('files (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let team: { id: string };
  let priv: { id: string };
  let pub: { id: string };

  beforeAll(async () => {
    t = await startApp(kind, { env: { RUSTCHAT_FILES_MAX_SIZE: '2MB', RUSTCHAT_FILES_MAX_IMAGE_PIXELS: '4000000' } });
    [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => registerUser(t.api, n))) as [TestUser, TestUser, TestUser];
    team = await createTeam(t.api, alice, 'invite');
    await addTeamMember(t.api, alice, team.id, bob);
    priv = await createChannel(t.api, alice, team.id, 'private');
    pub = await createChannel(t.api, alice, team.id, 'public');
    await addChannelMember(t.api, alice, priv.id, bob);
  });
  afterAll(async () => t?.close());

  it('uploads an image: type from the bytes, dimensions, thumbnail and preview', async () => {
    const res = await upload(t.api, alice, priv.id, [{ name: 'screenshot.png', data: await png(640, 480), type: 'text/html' }]);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'screenshot.png', mime_type: 'image/png', width: 640, height: 480, has_preview: true, post_id: null, channel_id: priv.id });
    expect(res.body.files).toHaveLength(1);
    const id = res.body.id as string;
    const thumb = await t.api.get(`/api/v1/files/${id}/thumbnail`, alice.token);
    expect(thumb.status).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/webp');
    const preview = await t.api.get(`/api/v1/files/${id}/preview`, alice.token);
    expect(preview.status).toBe(200);
    expect(tmpFiles(t)).toEqual([]);
  });

  it('attaches files to a post; the other member sees and downloads them; outsiders get 404', async () => {
    const bytes = await png(32, 16);
    const fileId = await uploadFile(t.api, alice, priv.id, { name: 'pixel.png', data: bytes });
    const post = await createPost(t.api, alice, priv.id, 'look', { file_ids: [fileId] });
    expect(post.file_ids).toEqual([fileId]);
    expect(post.files.map((f: { id: string }) => f.id)).toEqual([fileId]);
    const page = await t.api.get(`/api/v1/channels/${priv.id}/posts`, bob.token);
    expect(page.body.messages[0].files[0]).toMatchObject({ id: fileId, name: 'pixel.png', width: 32, height: 16 });
    const dl = await t.api.get(`/api/v1/files/${fileId}/download`, bob.token);
    expect(dl.status).toBe(200);
    expect(Buffer.from(dl.text, 'latin1').length).toBeGreaterThan(0);
    expect(dl.headers['x-content-type-options']).toBe('nosniff');
    expect(dl.headers['content-security-policy']).toMatch(/^sandbox/);
    expect(dl.headers['content-disposition']).toBe(`inline; filename="pixel.png"; filename*=UTF-8''pixel.png`);
    expect(dl.headers['cache-control']).toBe('private, no-cache');
    expect(dl.headers.etag).toBe(`"${fileId}"`);
    for (const path of ['', '/download', '/thumbnail', '/preview']) {
      const outsider = await t.api.get(`/api/v1/files/${fileId}${path}`, carol.token);
      const missing = await t.api.get(`/api/v1/files/${randomUUID()}${path}`, carol.token);
      expect(outsider.status).toBe(404);
      expect(outsider.body.error.message).toBe(missing.body.error.message);
    }
    // Removed from the channel: access ends at once.
    expect((await t.api.delete(`/api/v1/channels/${priv.id}/members/${bob.id}`, alice.token)).status).toBe(200);
    expect((await t.api.get(`/api/v1/files/${fileId}/download`, bob.token)).status).toBe(404);
    await addChannelMember(t.api, alice, priv.id, bob);
  });

  it('serves ranges, conditional requests, and attachment for what a browser could run', async () => {
    const text = 'x'.repeat(1000) + 'END';
    const id = await uploadFile(t.api, alice, pub.id, { name: 'page.png', data: `<!DOCTYPE html><script>alert(1)</script>${text}`, type: 'image/png' });
    const meta = await t.api.get(`/api/v1/files/${id}`, alice.token);
    expect(meta.body.mime_type).toBe('text/html');
    expect(meta.body.has_preview).toBe(false);
    const dl = await t.api.get(`/api/v1/files/${id}/download`, alice.token);
    expect(dl.headers['content-disposition']).toMatch(/^attachment; /);
    const ranged = await t.api.get(`/api/v1/files/${id}/download`, alice.token, { headers: { range: 'bytes=-3' } });
    expect(ranged.status).toBe(206);
    expect(ranged.text).toBe('END');
    expect(ranged.headers['content-range']).toMatch(/^bytes \d+-\d+\/\d+$/);
    const bad = await t.api.get(`/api/v1/files/${id}/download`, alice.token, { headers: { range: 'bytes=99999-' } });
    expect(bad.status).toBe(416);
    const again = await t.api.get(`/api/v1/files/${id}/download`, alice.token, { headers: { 'if-none-match': `"${id}"` } });
    expect(again.status).toBe(304);
    const svg = await uploadFile(t.api, alice, pub.id, { name: 'logo.png', data: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' });
    const s = await t.api.get(`/api/v1/files/${svg}/download`, alice.token);
    expect(s.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(s.headers['content-disposition']).toMatch(/^attachment; /);
  });

  it('strips EXIF (location) from previews', async () => {
    const id = await uploadFile(t.api, alice, pub.id, { name: 'photo.jpg', data: await jpegWithGps(300, 200) });
    const res = await t.app.http.inject({ method: 'GET', url: `/api/v1/files/${id}/preview`, headers: { authorization: `Bearer ${alice.token}` } });
    const { default: sharp } = await import('sharp');
    const meta = await sharp(res.rawPayload).metadata();
    expect(meta.exif).toBeUndefined();
    const original = await t.app.http.inject({ method: 'GET', url: `/api/v1/files/${id}/download`, headers: { authorization: `Bearer ${alice.token}` } });
    expect((await sharp(original.rawPayload).metadata()).exif).toBeDefined();
  });

  it('deleting a post deletes its files, objects included', async () => {
    const before = storedObjects(t).length;
    const fileId = await uploadFile(t.api, alice, priv.id, { name: 'gone.png', data: await png(20, 20) });
    expect(storedObjects(t).length).toBe(before + 3);
    const post = await createPost(t.api, alice, priv.id, 'soon gone', { file_ids: [fileId] });
    expect((await t.api.delete(`/api/v1/posts/${post.id}`, alice.token)).status).toBe(200);
    expect((await t.api.get(`/api/v1/files/${fileId}`, alice.token)).status).toBe(404);
    expect(storedObjects(t).length).toBe(before);
  });

  it('refuses file_ids that are not the author\'s unattached uploads to this channel, and creates no post', async () => {
    const mine = await uploadFile(t.api, alice, priv.id, { name: 'a.txt', data: 'hello' });
    const bobs = await uploadFile(t.api, bob, priv.id, { name: 'b.txt', data: 'hello' });
    const elsewhere = await uploadFile(t.api, alice, pub.id, { name: 'c.txt', data: 'hello' });
    const before = await dbDigest(locationOf(t));
    for (const ids of [[bobs], [elsewhere], [mine, bobs], [randomUUID()], [mine, mine], ['not-a-uuid']]) {
      const res = await t.api.post(`/api/v1/channels/${priv.id}/posts`, { message: 'x', file_ids: ids }, alice.token);
      expect(res.status, JSON.stringify(ids)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect(await dbDigest(locationOf(t))).toBe(before);
    const ok = await t.api.post(`/api/v1/channels/${priv.id}/posts`, { message: 'x', file_ids: [mine] }, alice.token);
    expect(ok.status).toBe(201);
    const twice = await t.api.post(`/api/v1/channels/${priv.id}/posts`, { message: 'again', file_ids: [mine] }, alice.token);
    expect(twice.status).toBe(422);
  });
});
