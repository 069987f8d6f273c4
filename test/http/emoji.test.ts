/**
 * Emoji over HTTP: the name table (standard names and aliases react, unknown names are a 400
 * naming the field), and custom emoji: upload rules (type by content, size, pixels, name rules,
 * duplicates, standard names), list, lookup, the image's headers, deletion by its creator or a
 * system admin only, and a custom name valid for reactions exactly while it lives.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { createChannel, createPost, createTeam, addChannelMember, addTeamMember, makeSystemAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { filesUnder, png, pngClaiming, uploadEmoji } from '../helpers/uploads.js';
import { MAX_CUSTOM_EMOJI, MAX_CUSTOM_EMOJI_PER_USER } from '../../src/services/emoji.js';

/** Standard names as people type them: Mattermost/Slack (iamcal), GitHub, emojibase, CLDR, skin tones; and what the web client offered before. */
const STANDARD = [
  '+1', 'thumbsup', '-1', 'thumbsdown', 'heart', 'smile', 'laughing', 'joy', 'tada', 'eyes', 'rocket', 'white_check_mark', 'pray', 'fire', 'thinking', 'wave',
  'thumbs_up', 'red_heart', 'slightly_smiling_face', '100', 'see_no_evil', 'man_technologist', 'flag_fr', 'ok_hand', '+1_tone3', 'wave_tone5', 'THUMBSUP',
];
const UNKNOWN = ['not_an_emoji', 'thumbsupp', 'smile_tone9', 'x-y-z', '0000'];

describe.each(STORES)('emoji (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let root: TestUser;
  let postId: string;
  beforeAll(async () => {
    t = await startApp(kind);
    [alice, bob, root] = await Promise.all([registerUser(t.api, 'alice'), registerUser(t.api, 'bob'), registerUser(t.api, 'root')]);
    root = await makeSystemAdmin(t.app, root);
    const team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    const channel = await createChannel(t.api, alice, team.id);
    await addChannelMember(t.api, alice, channel.id, bob);
    postId = (await createPost(t.api, alice, channel.id, 'react to me')).id;
  });
  afterAll(async () => t?.close());

  const react = (name: string, user = bob) => t.api.post(`/api/v1/posts/${postId}/reactions`, { emoji_name: name }, user.token);

  it('accepts every standard name and alias as a reaction', async () => {
    const refused: string[] = [];
    for (const name of STANDARD) {
      const res = await react(name);
      if (res.status !== 200) refused.push(`${name}: ${res.status} ${res.text}`);
    }
    expect(refused).toEqual([]);
    const names = (await t.api.get(`/api/v1/posts/${postId}`, bob.token)).body.reactions.map((r: { emoji: string }) => r.emoji);
    expect(names).toEqual(expect.arrayContaining(['+1', 'thumbsup', 'white_check_mark', '+1_tone3']));
  });

  it('refuses unknown names with a 400 naming the field, and malformed ones with a 422', async () => {
    for (const name of UNKNOWN) {
      const res = await react(name);
      expect(res.status, name).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'BAD_REQUEST', field: 'emoji_name' });
      expect(res.body.error.message).toContain(name.toLowerCase());
    }
    expect((await react(':smile:')).status).toBe(422);
    expect((await react('')).status).toBe(422);
    // Removing a reaction never needs the name to exist (a custom emoji may be gone since).
    expect((await t.api.delete(`/api/v1/posts/${postId}/reactions/not_an_emoji`, bob.token)).status).toBe(404);
  });

  it('creates, lists, looks up and serves a custom emoji, usable in reactions while it lives', async () => {
    const before = await react('partyparrot');
    expect(before.status).toBe(400);
    const created = await uploadEmoji(t.api, alice, 'partyparrot', await png(300, 200));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), name: 'partyparrot', creator_id: alice.id, created_at: expect.any(Number) });
    const id = created.body.id as string;

    const list = await t.api.get('/api/v1/emoji?per_page=200', bob.token);
    expect(list.status).toBe(200);
    expect(list.body.map((e: { name: string }) => e.name)).toContain('partyparrot');
    expect((await t.api.get('/api/v1/emoji/name/partyparrot', bob.token)).body.id).toBe(id);
    expect((await t.api.get('/api/v1/emoji/name/nothing_here', bob.token)).status).toBe(404);

    const image = await t.app.http.inject({ method: 'GET', url: `/api/v1/emoji/${id}/image`, headers: { authorization: `Bearer ${bob.token}` } });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/webp');
    expect(image.headers['x-content-type-options']).toBe('nosniff');
    expect(String(image.headers['content-security-policy'])).toContain('sandbox');
    const meta = await sharp(image.rawPayload).metadata();
    expect(meta.format).toBe('webp');
    expect(Math.max(meta.width, meta.height)).toBe(128);
    const etag = String(image.headers.etag);
    expect((await t.app.http.inject({ method: 'GET', url: `/api/v1/emoji/${id}/image`, headers: { authorization: `Bearer ${bob.token}`, 'if-none-match': etag } })).statusCode).toBe(304);
    expect((await t.api.get(`/api/v1/emoji/${id}/image`)).status).toBe(401);

    expect((await react('partyparrot')).status).toBe(200);
    expect((await react('PartyParrot', alice)).status).toBe(200);

    // Only its creator (or a system admin) deletes it.
    const refused = await t.api.delete(`/api/v1/emoji/${id}`, bob.token);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');
    const stored = filesUnder(join(t.config.files.dir, 'emoji')).length;
    expect((await t.api.delete(`/api/v1/emoji/${id}`, alice.token)).status).toBe(200);
    expect(filesUnder(join(t.config.files.dir, 'emoji'))).toHaveLength(stored - 1);
    expect((await t.api.delete(`/api/v1/emoji/${id}`, alice.token)).status).toBe(404);
    expect((await t.api.get(`/api/v1/emoji/${id}/image`, bob.token)).status).toBe(404);
    expect((await t.api.get('/api/v1/emoji/name/partyparrot', bob.token)).status).toBe(404);
    expect((await react('partyparrot', alice)).status).toBe(400);
    // Reactions already made stay, and stay removable.
    expect((await t.api.delete(`/api/v1/posts/${postId}/reactions/partyparrot`, bob.token)).status).toBe(200);

    // The name is free again; a system admin may delete anyone's.
    const again = await uploadEmoji(t.api, bob, 'partyparrot', await png(16, 16), { imageFirst: true });
    expect(again.status).toBe(201);
    expect((await t.api.delete(`/api/v1/emoji/${again.body.id}`, root.token)).status).toBe(200);
    // An admin removing someone else's emoji is audited; a creator removing their own is not.
    const audit = (await t.api.get('/api/v1/admin/audit?per_page=200', root.token)).body as { action: string; target_id: string; actor_id: string; details: unknown }[];
    const entries = audit.filter((e) => e.action === 'emoji.delete');
    expect(entries.map((e) => e.target_id)).toContain(again.body.id);
    expect(entries.map((e) => e.target_id)).not.toContain(id);
    const entry = entries.find((e) => e.target_id === again.body.id)!;
    expect(entry.actor_id).toBe(root.id);
    expect(entry.details).toEqual({ name: 'partyparrot', creator_id: bob.id });
  });

  it('refuses bad uploads with the right 4xx and stores nothing', async () => {
    const image = await png(32, 32);
    await uploadEmoji(t.api, alice, 'taken_name', image);
    const cases: Array<[string, Promise<{ status: number; body: any }>, number, string?]> = [
      ['bad name', uploadEmoji(t.api, alice, 'Bad Name!', image), 422, 'name'],
      ['too long a name', uploadEmoji(t.api, alice, 'a'.repeat(65), image), 422, 'name'],
      ['no name', uploadEmoji(t.api, alice, undefined, image), 422, 'name'],
      ['standard name', uploadEmoji(t.api, alice, 'thumbsup', image), 409, 'name'],
      ['standard alias', uploadEmoji(t.api, alice, '+1_tone2', image), 409, 'name'],
      ['duplicate', uploadEmoji(t.api, bob, 'taken_name', image), 409, 'name'],
      ['duplicate, image first', uploadEmoji(t.api, bob, 'taken_name', image, { imageFirst: true }), 409, 'name'],
      ['not an image', uploadEmoji(t.api, alice, 'texty', 'just some text'), 400],
      ['svg', uploadEmoji(t.api, alice, 'svgy', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 400],
      ['empty', uploadEmoji(t.api, alice, 'empty', ''), 400],
      ['too big', uploadEmoji(t.api, alice, 'huge', Buffer.concat([image, Buffer.alloc(600 * 1024)])), 413],
      ['too many pixels', uploadEmoji(t.api, alice, 'pixelbomb', await pngClaiming(20_000, 20_000)), 400],
      ['over the source pixel limit', uploadEmoji(t.api, alice, 'wide', await png(2000, 1000)), 400],
    ];
    for (const [what, pending, status, field] of cases) {
      const res = await pending;
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(status);
      if (field !== undefined) expect(res.body.error.field, what).toBe(field);
    }
    const json = await t.api.post('/api/v1/emoji', { name: 'jsony' }, alice.token);
    expect(json.status).toBe(415);
    const names = (await t.api.get('/api/v1/emoji?per_page=200', alice.token)).body.map((e: { name: string }) => e.name);
    expect(names.filter((n: string) => n !== 'taken_name' && n !== 'partyparrot')).toEqual([]);
    // Nothing refused left an image behind: one stored image per live emoji.
    expect(filesUnder(join(t.config.files.dir, 'emoji'))).toHaveLength(names.length);
  });

  it('caps custom emoji per person (not for system admins) and server-wide, before reading the upload', async () => {
    const dave = await registerUser(t.api, 'dave');
    const filler = (creatorId: string, n: number, tag: string) => Array.from({ length: n }, (_, i) => ({
      id: randomUUID(), name: `cap_${tag}_${i}`, creator_id: creatorId, storage_key: `emoji/cap/${tag}/${i}`, created_at: 1, deleted_at: null,
    }));
    const put = async (rows: ReturnType<typeof filler>) => {
      await t.app.store.transaction(async (tx) => {
        for (const row of rows) await tx.customEmoji.create(row);
      });
      return rows;
    };
    const gone = async (rows: ReturnType<typeof filler>) => {
      for (const row of rows) await t.app.store.customEmoji.markDeleted(row.id, 2);
    };
    const mine = await put(filler(dave.id, MAX_CUSTOM_EMOJI_PER_USER, 'dave'));
    try {
      const refused = await uploadEmoji(t.api, dave, 'one_too_many', await png(32, 32));
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(`${MAX_CUSTOM_EMOJI_PER_USER} custom emoji`) });
      expect((await t.api.get('/api/v1/emoji/name/one_too_many', dave.token)).status).toBe(404);
      // Another person is not held back by dave's count.
      const other = await uploadEmoji(t.api, bob, 'bobs_own', await png(32, 32));
      expect(other.status).toBe(201);
      expect((await t.api.delete(`/api/v1/emoji/${other.body.id}`, bob.token)).status).toBe(200);
      // Server-wide: once the server holds MAX_CUSTOM_EMOJI, nobody adds one, admins included.
      const live = await t.app.store.customEmoji.countLive();
      const rest = await put(filler(root.id, MAX_CUSTOM_EMOJI - live, 'all'));
      try {
        const full = await uploadEmoji(t.api, root, 'server_full', await png(32, 32));
        expect(full.status).toBe(409);
        expect(full.body.error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(`${MAX_CUSTOM_EMOJI} custom emoji`) });
      } finally {
        await gone(rest);
      }
      // An admin's own count is not capped.
      const admins = await put(filler(root.id, MAX_CUSTOM_EMOJI_PER_USER, 'root'));
      try {
        const extra = await uploadEmoji(t.api, root, 'admin_extra', await png(32, 32));
        expect(extra.status).toBe(201);
        expect((await t.api.delete(`/api/v1/emoji/${extra.body.id}`, root.token)).status).toBe(200);
      } finally {
        await gone(admins);
      }
    } finally {
      await gone(mine);
    }
  });

  it('pages the list by name', async () => {
    const image = await png(8, 8);
    for (const n of ['page_c', 'page_a', 'page_b']) expect((await uploadEmoji(t.api, bob, n, image)).status).toBe(201);
    const first = (await t.api.get('/api/v1/emoji?page=0&per_page=2', bob.token)).body.map((e: { name: string }) => e.name);
    const second = (await t.api.get('/api/v1/emoji?page=1&per_page=2', bob.token)).body.map((e: { name: string }) => e.name);
    expect([...first, ...second]).toEqual(['page_a', 'page_b', 'page_c', 'taken_name']);
    expect((await t.api.get('/api/v1/emoji?per_page=500', bob.token)).status).toBe(400);
    expect((await t.api.get('/api/v1/emoji')).status).toBe(401);
  });
});
