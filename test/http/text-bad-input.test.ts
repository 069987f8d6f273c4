/**
 * Bad text, on both stores: messages, channel names and display names carrying NUL, lone
 * surrogates, a right-to-left override, 16,000 combining marks and zero-width joiners.
 *
 * The rules (README, "Text the server accepts"): text that cannot be stored as UTF-8 on both
 * databases — NUL, or a UTF-16 surrogate without its pair — is refused with 400 and the JSON
 * error envelope anywhere in a request body (src/http/server.ts), and nothing is written. Any
 * other Unicode (bidi controls, combining marks, joiners) is stored and returned exactly as
 * sent, within the field's length limit counted in code points (a message: 16,383; a display
 * name: 64; a header: 1,024); over it, 422 VALIDATION_ERROR. Never a 500; search for the
 * stored text answers 200 (a query over 2,000 characters: 400).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type ApiResponse, type TestApp } from '../helpers/app.js';
import { createChannel, createPost, createTeam, envelope, registerUser, type TestUser } from '../helpers/factories.js';
import { dbDigest, locationOf } from '../helpers/store.js';

const COMBINING = `a${'\u0301'.repeat(16_000)}`;

/** Each sample, and whether the server refuses it (400) or keeps it byte for byte. */
const SAMPLES: Record<string, { text: string; refused: boolean; tooLongForNames?: boolean }> = {
  NUL: { text: 'before\u0000after', refused: true },
  'only NUL': { text: '\u0000', refused: true },
  'lone high surrogate': { text: 'broken \ud800 pair', refused: true },
  'lone low surrogate': { text: 'broken \udc00 pair', refused: true },
  'reversed surrogates': { text: 'x\udc00\ud800y', refused: true },
  'right-to-left override': { text: 'invoice \u202egnp.exe\u202c done', refused: false },
  'bidi isolates and marks': { text: '\u2067שלום\u2069 \u200fworld\u200e', refused: false },
  '16,000 combining marks': { text: COMBINING, refused: false, tooLongForNames: true },
  'zero-width joiners': { text: 'dev \u{1F469}\u200d\u{1F4BB} and a\u200db\u200cc\u2060d', refused: false },
  'emoji with skin tone': { text: 'thumbs \u{1F44D}\u{1F3FD}', refused: false },
};

/** A 4xx with the JSON error envelope: 400 for text the server cannot keep, 422 for a rule (too long, empty). */
function expectRefusal(res: ApiResponse, what: string, status: readonly number[] = [400, 422]): void {
  expect(status, `${what}: ${res.status} ${res.text.slice(0, 300)}`).toContain(res.status);
  const e = envelope(res);
  expect(e.contentType).toBe('application/json');
  expect(typeof e.error.code).toBe('string');
  expect(typeof e.error.message).toBe('string');
}

describe.each(STORES)('text with bad characters (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let team: { id: string; name: string };
  let channel: { id: string; name: string };

  beforeAll(async () => {
    t = await startApp(kind);
    alice = await registerUser(t.api, 'alice');
    team = await createTeam(t.api, alice, 'invite');
    channel = await createChannel(t.api, alice, team.id, 'public');
  });
  afterAll(async () => t?.close());

  for (const [name, sample] of Object.entries(SAMPLES)) {
    it(`a message with ${name}`, async () => {
      const before = await dbDigest(locationOf(t));
      const res = await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: sample.text }, alice.token);
      if (sample.refused) {
        expectRefusal(res, name, [400]);
        expect(await dbDigest(locationOf(t))).toBe(before);
        // An edit with it is refused the same way and changes nothing.
        const post = await createPost(t.api, alice, channel.id, `plain ${name}`);
        const edited = await t.api.put(`/api/v1/posts/${post.id}`, { message: sample.text }, alice.token);
        expectRefusal(edited, `edit ${name}`, [400]);
        expect((await t.api.get(`/api/v1/posts/${post.id}`, alice.token)).body.message).toBe(`plain ${name}`);
        return;
      }
      expect(res.status, res.text.slice(0, 300)).toBe(201);
      expect(res.body.message).toBe(sample.text);
      // Stored as returned: read back by id and in the channel's list.
      const got = await t.api.get(`/api/v1/posts/${res.body.id}`, alice.token);
      expect(got.status).toBe(200);
      expect(got.body.message).toBe(sample.text);
      const list = await t.api.get(`/api/v1/channels/${channel.id}/posts`, alice.token);
      expect(list.status).toBe(200);
      expect(JSON.stringify(list.body)).toContain(JSON.stringify(sample.text).slice(1, -1));
      // An edit with the same text keeps it too.
      const edited = await t.api.put(`/api/v1/posts/${res.body.id}`, { message: `${sample.text}!` }, alice.token);
      expect(edited.status).toBe(200);
      expect((await t.api.get(`/api/v1/posts/${res.body.id}`, alice.token)).body.message).toBe(`${sample.text}!`);
      // Search for the text (or its first words) answers 200; a query over the documented
      // 2,000 characters is refused with 400.
      for (const q of [sample.text, sample.text.split(/\s+/)[0]!, sample.text.slice(0, 1000)]) {
        if (q.length > 2000) {
          expectRefusal(await t.api.get(`/api/v1/search/posts?q=${encodeURIComponent(q)}`, alice.token), 'long query', [400]);
          continue;
        }
        const found = await t.api.get(`/api/v1/search/posts?q=${encodeURIComponent(q)}`, alice.token);
        expect(found.status, `search ${JSON.stringify(q.slice(0, 40))}: ${found.text.slice(0, 300)}`).toBe(200);
      }
    });

    it(`a channel and a display name with ${name}`, async () => {
      const refused = sample.refused || sample.tooLongForNames === true;
      const before = await dbDigest(locationOf(t));
      const created = await t.api.post('/api/v1/channels', { team_id: team.id, name: `c${Math.random().toString(36).slice(2, 10)}`, display_name: sample.text, channel_type: 'public' }, alice.token);
      const renamed = await t.api.patch(`/api/v1/channels/${channel.id}`, { display_name: sample.text }, alice.token);
      const header = await t.api.patch(`/api/v1/channels/${channel.id}`, { header: sample.text }, alice.token);
      const me = await t.api.patch('/api/v1/users/me', { display_name: sample.text }, alice.token);
      if (refused) {
        for (const [what, res] of [['create channel', created], ['rename channel', renamed], ['display name', me]] as const) expectRefusal(res, `${what} ${name}`);
        // The header's limit is 1,024: the combining marks are over it too.
        expectRefusal(header, `header ${name}`);
        expect(await dbDigest(locationOf(t))).toBe(before);
        return;
      }
      expect(created.status, created.text.slice(0, 300)).toBe(201);
      expect(created.body.display_name).toBe(sample.text);
      expect((await t.api.get(`/api/v1/channels/${created.body.id}`, alice.token)).body.display_name).toBe(sample.text);
      expect(renamed.status).toBe(200);
      expect((await t.api.get(`/api/v1/channels/${channel.id}`, alice.token)).body.display_name).toBe(sample.text);
      expect(header.status).toBe(200);
      expect((await t.api.get(`/api/v1/channels/${channel.id}`, alice.token)).body.header).toBe(sample.text);
      expect(me.status).toBe(200);
      expect(me.body.display_name).toBe(sample.text);
      expect((await t.api.get('/api/v1/users/me', alice.token)).body.display_name).toBe(sample.text);
      const found = await t.api.get(`/api/v1/search/channels?q=${encodeURIComponent(sample.text.split(/\s+/)[0]!)}&team_id=${team.id}`, alice.token);
      expect(found.status, found.text.slice(0, 300)).toBeLessThan(500);
    });
  }

  it('a message over the length limit in combining marks is refused with the documented 422', async () => {
    const res = await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: `a${'\u0301'.repeat(16_383)}` }, alice.token);
    expectRefusal(res, 'over the limit', [422]);
    expect(res.body.error.message).toMatch(/at most 16383 characters/);
  });

  it('search queries with NUL or broken UTF-8 answer 200 or 400, never a 500', async () => {
    for (const q of ['%00', 'a%00b', '%ED%A0%80', '%C0%80', '%FF', encodeURIComponent('\u202e') + 'x', '%E2%80%8D']) {
      for (const path of ['/api/v1/search/posts', '/api/v1/search/channels', '/api/v1/search/users', '/api/v1/search']) {
        const res = await t.api.get(`${path}?q=${q}&team_id=${team.id}`, alice.token);
        expect([200, 400], `${path}?q=${q}: ${res.status} ${res.text.slice(0, 200)}`).toContain(res.status);
        if (res.status === 400) expectRefusal(res, `${path}?q=${q}`);
      }
    }
  });
});
