/**
 * The file feature on S3 (a real s3rver on loopback) with PostgreSQL: the bytes go to the
 * bucket and come back through the server's access check; when S3 is unreachable, uploads
 * and downloads answer 503 in the envelope and nothing is half-written.
 */
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { createChannel, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { dbDigest, locationOf } from '../helpers/store.js';
import { png, upload, uploadFile } from '../helpers/uploads.js';

describe('files on S3 (postgres)', () => {
  let s3: TestS3;
  let t: TestApp;
  let alice: TestUser;
  let carol: TestUser;
  let channel: { id: string };

  beforeAll(async () => {
    s3 = await startS3();
    const c = s3.config;
    t = await startApp('postgres', {
      env: {
        RUSTCHAT_S3_BUCKET: c.bucket, RUSTCHAT_S3_REGION: c.region, RUSTCHAT_S3_ENDPOINT: c.endpoint!, RUSTCHAT_S3_FORCE_PATH_STYLE: 'true',
        RUSTCHAT_S3_ACCESS_KEY_ID: c.credentials!.accessKeyId, RUSTCHAT_S3_SECRET_ACCESS_KEY: c.credentials!.secretAccessKey,
      },
    });
    [alice, carol] = await Promise.all([registerUser(t.api, 'alice'), registerUser(t.api, 'carol')]);
    const team = await createTeam(t.api, alice);
    channel = await createChannel(t.api, alice, team.id, 'private');
  });
  afterAll(async () => {
    await t?.close();
    await s3?.stop();
  });

  it('stores uploads in the bucket (never on local disk) and serves them through the access check', async () => {
    const bytes = await png(120, 80);
    const id = await uploadFile(t.api, alice, channel.id, { name: 'cloud.png', data: bytes });
    const key = (await t.app.store.files.get(id))!.storage_key;
    const puts = (await s3.requests()).filter((r) => r.method === 'PUT').map((r) => r.url);
    expect(puts.some((u) => u.includes(key))).toBe(true);
    expect(puts.some((u) => u.includes(`${key}.thumb`))).toBe(true);
    expect(existsSync(t.config.files.dir) ? readdirSync(t.config.files.dir).filter((n) => n !== '.tmp') : []).toEqual([]);
    const post = await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: 'from s3', file_ids: [id] }, alice.token);
    expect(post.status).toBe(201);
    const dl = await t.app.http.inject({ method: 'GET', url: `/api/v1/files/${id}/download`, headers: { authorization: `Bearer ${alice.token}` } });
    expect(dl.statusCode).toBe(200);
    expect(Buffer.compare(dl.rawPayload, bytes)).toBe(0);
    const part = await t.app.http.inject({ method: 'GET', url: `/api/v1/files/${id}/download`, headers: { authorization: `Bearer ${alice.token}`, range: 'bytes=0-7' } });
    expect(part.statusCode).toBe(206);
    expect(Buffer.compare(part.rawPayload, bytes.subarray(0, 8))).toBe(0);
    expect((await t.api.get(`/api/v1/files/${id}/thumbnail`, alice.token)).status).toBe(200);
    expect((await t.api.get(`/api/v1/files/${id}/download`, carol.token)).status).toBe(404);
    // Deleting the post deletes the objects in the bucket.
    expect((await t.api.delete(`/api/v1/posts/${post.body.id}`, alice.token)).status).toBe(200);
    const keys: string[] = [];
    for await (const k of t.app.services.files['storage'].list('files')) keys.push(k);
    expect(keys.filter((k) => k.startsWith(key))).toEqual([]);
  });

  it('answers 503 in the envelope when S3 is unreachable, and writes nothing', async () => {
    const id = await uploadFile(t.api, alice, channel.id, { name: 'before.txt', data: 'stored before the outage' });
    await s3.stop();
    const before = await dbDigest(locationOf(t));
    const res = await upload(t.api, alice, channel.id, [{ name: 'during.png', data: await png(30, 30) }]);
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.text).not.toContain(s3.config.credentials!.secretAccessKey);
    expect(await dbDigest(locationOf(t))).toBe(before);
    expect(existsSync(t.config.files.tmpDir) ? readdirSync(t.config.files.tmpDir) : []).toEqual([]);
    const dl = await t.api.get(`/api/v1/files/${id}/download`, alice.token);
    expect(dl.status).toBe(503);
    expect((await t.api.get('/api/v1/health/ready')).status).toBe(503);
  });
});
