/**
 * A file's life: real-time events, expiry of uploads never posted, the sweeper finishing
 * deletions, avatars, and `rustchat files check` (the real command) on what storage holds.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, createChannel, createPost, createTeam, addTeamMember, registerUser, type TestUser } from '../helpers/factories.js';
import { ROOT } from '../helpers/process.js';
import { filesUnder, jpegWithGps, multipart, png, uploadEmoji, uploadFile } from '../helpers/uploads.js';
import { WsClient } from '../helpers/ws-client.js';
import type { PostView } from '../../src/domain/presenters.js';

describe('file life cycle (sqlite, local disk)', () => {
  let t: TestApp;
  let now = Date.now();
  let alice: TestUser;
  let bob: TestUser;
  let channel: { id: string };
  let url: string;

  beforeAll(async () => {
    t = await startApp('sqlite', { clock: () => now });
    [alice, bob] = await Promise.all([registerUser(t.api, 'alice'), registerUser(t.api, 'bob')]);
    const team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    channel = await createChannel(t.api, alice, team.id, 'private');
    await addChannelMember(t.api, alice, channel.id, bob);
    url = (await t.app.listen()).url;
  });
  afterAll(async () => t?.close());

  it('posted carries the files\' metadata; a deleted file reaches the channel as file_deleted and leaves its post', async () => {
    const ws = await WsClient.connect(url, { token: bob.token });
    try {
      const a = await uploadFile(t.api, alice, channel.id, { name: 'one.png', data: await png(50, 40) });
      const b = await uploadFile(t.api, alice, channel.id, { name: 'two.txt', data: 'two' });
      const post = await createPost(t.api, alice, channel.id, '', { file_ids: [a, b] });
      const posted = (await ws.waitForEvent('posted', (d) => d.post.id === post.id)).data as { post: PostView };
      expect(posted.post.files.map((f) => f.name)).toEqual(['one.png', 'two.txt']);
      expect(posted.post.files[0]).toMatchObject({ width: 50, height: 40, has_preview: true, mime_type: 'image/png' });
      expect((await t.api.delete(`/api/v1/files/${b}`, alice.token)).status).toBe(200);
      await ws.waitForEvent('file_deleted', (d) => d.file_id === b && d.post_id === post.id && d.channel_id === channel.id);
      const edited = (await ws.waitForEvent('post_edited', (d) => d.post.id === post.id)).data as { post: PostView };
      expect(edited.post.file_ids).toEqual([a]);
      expect((await t.api.get(`/api/v1/posts/${post.id}`, bob.token)).body.files.map((f: { id: string }) => f.id)).toEqual([a]);
    } finally {
      ws.close();
    }
  });

  it('removes uploads never posted after RUSTCHAT_FILES_UNATTACHED_HOURS, and only those', async () => {
    const stale = await uploadFile(t.api, alice, channel.id, { name: 'forgotten.png', data: await png(10, 10) });
    const kept = await uploadFile(t.api, alice, channel.id, { name: 'kept.txt', data: 'kept' });
    await createPost(t.api, alice, channel.id, 'kept', { file_ids: [kept] });
    const before = filesUnder(t.config.files.dir).length;
    const hour = 3_600_000;
    // The sweep runs "later"; requests run "now" (sessions expire with the clock too).
    const sweepAt = async (hoursLater: number): Promise<number> => {
      now += hoursLater * hour;
      try {
        return await t.app.services.files.sweep();
      } finally {
        now -= hoursLater * hour;
      }
    };
    await sweepAt(t.config.files.unattachedHours - 1);
    expect((await t.api.get(`/api/v1/files/${stale}`, alice.token)).status).toBe(200);
    expect(await sweepAt(t.config.files.unattachedHours + 1)).toBeGreaterThanOrEqual(1);
    expect((await t.api.get(`/api/v1/files/${stale}`, alice.token)).status).toBe(404);
    expect((await t.api.get(`/api/v1/files/${kept}`, alice.token)).status).toBe(200);
    expect(filesUnder(t.config.files.dir).length).toBe(before - 3);
    // An expired upload can no longer be attached.
    const res = await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: 'late', file_ids: [stale] }, alice.token);
    expect(res.status).toBe(422);
  });

  it('finishes a deletion whose objects outlived their commit (the sweeper retries)', async () => {
    const id = await uploadFile(t.api, alice, channel.id, { name: 'x.txt', data: 'x' });
    const row = (await t.app.store.files.get(id))!;
    await t.app.store.files.markDeleted(id, now);
    expect(existsSync(join(t.config.files.dir, ...row.storage_key.split('/')))).toBe(true);
    await t.app.services.files.sweep();
    expect(existsSync(join(t.config.files.dir, ...row.storage_key.split('/')))).toBe(false);
    expect(await t.app.store.files.pendingDeletion(10)).toEqual([]);
  });

  it('avatars: upload (cropped square, two sizes, no EXIF), served to anyone signed in, removed back to initials', async () => {
    const { default: sharp } = await import('sharp');
    const form = multipart([{ field: 'image', name: 'me.jpg', data: await jpegWithGps(300, 200) }]);
    const res = await t.api.request('PUT', '/api/v1/users/me/avatar', { token: alice.token, rawBody: form.body, headers: { 'content-type': form.contentType } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.avatar_url).toMatch(new RegExp(`^/api/v1/users/${alice.id}/avatar\\?v=\\d+$`));
    for (const [size, px] of [['128', 128], ['512', 512], ['40', 128], ['2000', 512]] as const) {
      const img = await t.app.http.inject({ method: 'GET', url: `/api/v1/users/${alice.id}/avatar?size=${size}`, headers: { authorization: `Bearer ${bob.token}` } });
      expect(img.statusCode).toBe(200);
      expect(img.headers['content-type']).toBe('image/webp');
      expect(img.headers['content-security-policy']).toMatch(/^sandbox/);
      const meta = await sharp(img.rawPayload).metadata();
      expect([meta.width, meta.height, meta.exif]).toEqual([px, px, undefined]);
    }
    expect((await t.api.get(`/api/v1/users/${alice.id}`, bob.token)).body.avatar_url).toBe(res.body.avatar_url);
    expect((await t.api.request('GET', `/api/v1/users/${alice.id}/avatar`, {})).status).toBe(401);
    // Replacing it removes the old images; deleting goes back to initials.
    const again = multipart([{ field: 'image', name: 'me.png', data: await png(64, 64) }]);
    expect((await t.api.request('PUT', '/api/v1/users/me/avatar', { token: alice.token, rawBody: again.body, headers: { 'content-type': again.contentType } })).status).toBe(200);
    expect(filesUnder(join(t.config.files.dir, 'avatars'))).toHaveLength(2);
    expect((await t.api.delete('/api/v1/users/me/avatar', alice.token)).status).toBe(200);
    expect((await t.api.get(`/api/v1/users/${alice.id}/avatar`, bob.token)).status).toBe(404);
    expect((await t.api.get('/api/v1/users/me', alice.token)).body.avatar_url).toBeNull();
    expect(filesUnder(join(t.config.files.dir, 'avatars'))).toHaveLength(0);
    // Not an image: a clear 400.
    const text = multipart([{ field: 'image', name: 'me.png', data: 'not an image' }]);
    expect((await t.api.request('PUT', '/api/v1/users/me/avatar', { token: alice.token, rawBody: text.body, headers: { 'content-type': text.contentType } })).status).toBe(400);
  });

  it('rustchat files check reports orphan and missing objects (the real command)', async () => {
    const check = () => new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'files', 'check'], {
        cwd: ROOT, timeout: 120_000,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RUSTCHAT_DATA_DIR: t.dataDir, RUSTCHAT_JWT_SECRET: t.config.jwt.secret, RUSTCHAT_ENCRYPTION_KEY: t.config.encryption.key, RUSTCHAT_LOG_LEVEL: 'warn' },
      }, (err, stdout) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: stdout }));
    });
    // A live custom emoji's image is known: not an orphan.
    expect((await uploadEmoji(t.api, alice, 'checked_emoji', await png(16, 16))).status).toBe(201);
    const clean = await check();
    expect(clean.out).toContain('"orphan_objects": []');
    expect(clean.code).toBe(0);
    // An object nobody knows, and a known file whose bytes vanished.
    const orphan = join(t.config.files.dir, 'files', '2020', '01', '00000000-0000-4000-8000-000000000000');
    mkdirSync(dirname(orphan), { recursive: true });
    writeFileSync(orphan, 'stray');
    const strayEmoji = join(t.config.files.dir, 'emoji', '2020', '01', '00000000-0000-4000-8000-000000000001');
    mkdirSync(dirname(strayEmoji), { recursive: true });
    writeFileSync(strayEmoji, 'stray');
    const id = await uploadFile(t.api, alice, channel.id, { name: 'lost.txt', data: 'lost' });
    const key = (await t.app.store.files.get(id))!.storage_key;
    await t.app.services.files['storage'].delete([key]);
    const dirty = await check();
    expect(dirty.code).toBe(1);
    const report = JSON.parse(dirty.out) as { orphan_objects: string[]; missing_objects: string[] };
    expect(report.orphan_objects).toEqual(['emoji/2020/01/00000000-0000-4000-8000-000000000001', 'files/2020/01/00000000-0000-4000-8000-000000000000']);
    expect(report.missing_objects).toEqual([key]);
    expect((await t.api.get(`/api/v1/files/${id}/download`, alice.token)).status).toBe(404);
  });
});

describe('channel files paging', () => {
  let t: TestApp;
  afterAll(async () => t?.close());

  it('pages a channel\'s files by (time, id): files of one upload that share a millisecond are neither skipped nor repeated', async () => {
    const now = Date.now();
    t = await startApp('sqlite', { clock: () => now });
    const alice = await registerUser(t.api, 'pager');
    const team = await createTeam(t.api, alice);
    const channel = await createChannel(t.api, alice, team.id, 'public');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await uploadFile(t.api, alice, channel.id, { name: `f${i}.txt`, data: `file ${i}` }));
    await createPost(t.api, alice, channel.id, '', { file_ids: ids });
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const res = await t.api.get(`/api/v1/channels/${channel.id}/files?limit=2${cursor}`, alice.token);
      expect(res.status).toBe(200);
      if (res.body.length === 0) break;
      seen.push(...res.body.map((f: { id: string }) => f.id));
      const last = res.body.at(-1) as { id: string; created_at: number };
      cursor = `&before=${last.created_at}&before_id=${last.id}`;
    }
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(new Set(seen).size).toBe(5);
  });
});
