/**
 * Search over HTTP, on both stores: the leak suite (a private channel's words searched by
 * everyone who cannot read it, through every search route and operator, including a member
 * removed a moment ago and someone who left the team), totals and paging against the visible
 * set, and bad input (never a 500, never an engine error).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, directChannel, makeSystemAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { uploadFile } from '../helpers/uploads.js';

describe.each(STORES)('search (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser; let bob: TestUser; let rita: TestUser; let erin: TestUser; let carol: TestUser; let dave: TestUser;
  let team: { id: string };
  let priv: { id: string; name: string };
  let pub: { id: string; name: string };

  const posts = async (who: TestUser, q: string, extra = '') => {
    const res = await t.api.get(`/api/v1/search/posts?q=${encodeURIComponent(q)}${extra}`, who.token);
    expect(res.status, res.text).toBe(200);
    return res.body as { results: { post: { message: string }; channel: { id: string }; excerpt: { text: string; highlights: [number, number][] } }[]; total: number; next_cursor: string | null };
  };
  const messages = async (who: TestUser, q: string, extra = '') => (await posts(who, q, extra)).results.map((r) => r.post.message).sort();

  beforeAll(async () => {
    t = await startApp(kind);
    const users = await Promise.all(['alice', 'bob', 'rita', 'erin', 'carol', 'dave'].map((n) => registerUser(t.api, n)));
    [alice, bob, rita, erin, carol, dave] = users as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser];
    team = await createTeam(t.api, alice, 'invite');
    for (const u of [bob, rita, erin]) await addTeamMember(t.api, alice, team.id, u);
    await createTeam(t.api, dave, 'invite');
    priv = await createChannel(t.api, alice, team.id, 'private');
    pub = await createChannel(t.api, alice, team.id, 'public');
    for (const u of [bob, rita]) await addChannelMember(t.api, alice, priv.id, u);
    for (const u of [bob, erin]) await addChannelMember(t.api, alice, pub.id, u);
    await createPost(t.api, alice, priv.id, 'classified pineapple roadmap');
    await createPost(t.api, bob, priv.id, 'pineapple launch window is secret');
    await createPost(t.api, alice, pub.id, 'public pineapple notes');
    const dm = await directChannel(t.api, alice, bob);
    await createPost(t.api, alice, dm.id, 'pineapple between us');
    const file = await uploadFile(t.api, alice, priv.id, { name: 'pineapple-budget.txt', data: 'numbers' });
    await createPost(t.api, alice, priv.id, 'the budget', { file_ids: [file] });
  });
  afterAll(async () => t?.close());

  it('finds what the caller may read, with channel and highlighted excerpt', async () => {
    expect(await messages(bob, 'pineapple')).toEqual(['classified pineapple roadmap', 'pineapple between us', 'pineapple launch window is secret', 'public pineapple notes']);
    const hit = (await posts(bob, 'classified')).results[0]!;
    expect(hit.channel.id).toBe(priv.id);
    const [start, end] = hit.excerpt.highlights[0]!;
    expect(hit.excerpt.text.slice(start, end)).toBe('classified');
    expect(await messages(alice, `pineapple in:~${priv.name}`)).toEqual(['classified pineapple roadmap', 'pineapple launch window is secret']);
    expect(await messages(alice, `in:@${bob.username}`)).toEqual(['pineapple between us']);
    expect(await messages(alice, `pineapple from:${bob.username}`)).toEqual(['pineapple launch window is secret']);
    expect(await messages(alice, 'has:file')).toEqual(['the budget']);
    // The reference route.
    const ref = await t.api.get(`/api/v1/search?q=pineapple&channel_id=${pub.id}`, alice.token);
    expect(ref.body).toMatchObject({ total: 1, posts: [{ message: 'public pineapple notes' }] });
  });

  /** Every route and operator that could reach the private channel, as `who`: nothing from it. */
  async function seesNothingPrivate(who: TestUser): Promise<string[]> {
    const leaks: string[] = [];
    const queries = ['pineapple', 'classified', 'secret', `in:~${priv.name}`, `pineapple in:~${priv.name}`, `from:${alice.username}`, `from:@${bob.username}`, `in:@${alice.username}`, `in:@${bob.username}`, 'pineap*', '"launch window"', 'has:file'];
    for (const q of queries) {
      for (const order of ['newest', 'relevance']) {
        const r = await t.api.get(`/api/v1/search/posts?q=${encodeURIComponent(q)}&order=${order}`, who.token);
        if (r.status !== 200) leaks.push(`${q}: status ${r.status}`);
        else {
          for (const h of r.body.results as { channel: { id: string }; post: { message: string } }[]) if (h.channel.id === priv.id || h.post.message.includes('between us')) leaks.push(`${q} (${order}) found "${h.post.message}"`);
          const visible = (r.body.results as unknown[]).length;
          if (r.body.total !== visible) leaks.push(`${q} (${order}): total ${r.body.total} but ${visible} visible results`);
        }
      }
      const ref = await t.api.get(`/api/v1/search?q=${encodeURIComponent(q)}`, who.token);
      for (const p of (ref.body.posts ?? []) as { channel_id: string }[]) if (p.channel_id === priv.id) leaks.push(`/search ${q} found a private post`);
    }
    const files = await t.api.get('/api/v1/search/files?q=pineapple', who.token);
    if ((files.body.files as { channel_id: string }[]).some((f) => f.channel_id === priv.id)) leaks.push('file search found the private file');
    const channels = await t.api.get(`/api/v1/search/channels?q=${encodeURIComponent(priv.name)}`, who.token);
    if ((channels.body as { id: string }[]).some((c) => c.id === priv.id)) leaks.push('channel search found the private channel');
    const scoped = await t.api.get(`/api/v1/search?q=pineapple&channel_id=${priv.id}`, who.token);
    if (scoped.status !== 404) leaks.push(`/search with the private channel_id: ${scoped.status}`);
    return leaks;
  }

  it('never shows a private channel to outsiders, other teams or teammates outside it', async () => {
    for (const who of [carol, dave, erin]) expect(await seesNothingPrivate(who), who.username).toEqual([]);
  });

  it('a removed member finds nothing from the channel at once; someone who left the team nothing from its public channels', async () => {
    expect(await messages(rita, 'classified')).toEqual(['classified pineapple roadmap']);
    expect((await t.api.delete(`/api/v1/channels/${priv.id}/members/${rita.id}`, alice.token)).status).toBe(200);
    expect(await seesNothingPrivate(rita)).toEqual([]);
    expect(await messages(erin, 'notes')).toEqual(['public pineapple notes']);
    expect((await t.api.delete(`/api/v1/teams/${team.id}/members/${erin.id}`, alice.token)).status).toBe(200);
    expect(await messages(erin, 'notes')).toEqual([]);
  });

  it('counts and pages exactly the visible set (cursor paging, newest first)', async () => {
    for (let i = 0; i < 5; i++) await createPost(t.api, bob, pub.id, `okapi sighting ${i}`);
    await createPost(t.api, alice, priv.id, 'okapi in private');
    const seen: string[] = [];
    let cursor: string | null = null;
    let total = -1;
    do {
      const page = await posts(bob, 'okapi', `&per_page=2${cursor ? `&cursor=${cursor}` : ''}`);
      total = page.total;
      seen.push(...page.results.map((r) => r.post.message));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(total).toBe(6);
    expect(seen).toEqual(['okapi in private', 'okapi sighting 4', 'okapi sighting 3', 'okapi sighting 2', 'okapi sighting 1', 'okapi sighting 0']);
    const outsider = await posts(carol, 'okapi');
    expect(outsider.total).toBe(0);
  });

  it('people: by username and name for everyone, by e-mail address only for system admins', async () => {
    const byName = await t.api.get(`/api/v1/search/users?q=${encodeURIComponent(bob.username)}`, carol.token);
    expect(byName.body.map((u: { id: string }) => u.id)).toContain(bob.id);
    const domainOnly = bob.email.split('@')[1]!;
    const plain = await t.api.get(`/api/v1/search/users?q=${encodeURIComponent(domainOnly)}`, carol.token);
    expect(plain.status).toBe(200);
    expect(plain.body.map((u: { id: string }) => u.id)).not.toContain(bob.id);
    const root = await makeSystemAdmin(t.app, await registerUser(t.api, 'root'));
    const admin = await t.api.get(`/api/v1/search/users?q=${encodeURIComponent(bob.email)}`, root.token);
    expect(admin.body.map((u: { id: string }) => u.id)).toEqual([bob.id]);
  });

  it('answers bad input with 400 and a clear message, never a 500', async () => {
    const bad = async (q: string, message: RegExp) => {
      const res = await t.api.get(`/api/v1/search/posts?q=${encodeURIComponent(q)}`, alice.token);
      expect(res.status, q).toBe(400);
      expect(res.body.error.message).toMatch(message);
    };
    await bad('', /empty/i);
    await bad('   ', /empty/i);
    await bad('x'.repeat(10_000), /2,?000/);
    await bad('before:yesterday', /before:/);
    await bad('has:everything', /has:/);
    for (const q of ['NEAR(a b)', '"unbalanced', 'a AND OR NOT b', '*', ':', 'col:val', '^x', '{a b}', "'; DROP TABLE posts; --", '\\', 'a:*', 'a & b | !c <-> d', Array.from({ length: 200 }, (_, i) => `w${i}`).join(' '), Array.from({ length: 50 }, () => `from:${bob.username}`).join(' ')]) {
      const res = await t.api.get(`/api/v1/search/posts?q=${encodeURIComponent(q)}`, alice.token);
      expect([200, 400], `${q.slice(0, 40)}: ${res.status} ${res.text.slice(0, 200)}`).toContain(res.status);
    }
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 60 }), async (q) => {
      const res = await t.api.get(`/api/v1/search/posts?q=${encodeURIComponent(q)}`, alice.token);
      return res.status === 200 || res.status === 400;
    }), { numRuns: 60 });
  });
});
