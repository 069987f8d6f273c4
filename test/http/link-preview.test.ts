/**
 * Link previews end to end: a local page server (allow-listed as `localhost`) with Open Graph
 * tags gives a post a preview (seen through the `post_edited` event, no sleeps), its image is
 * stored and served same-origin to the channel's readers only, the author can remove it, an
 * edit to another link refreshes it.
 *
 * The SSRF table: links (and redirects, and preview images) that lead to loopback in every
 * spelling, to a name that resolves to an internal address, to the metadata address, to an
 * answer of 2 GB, to an answer that never comes, to an SVG with script: no preview, and a
 * loopback canary listener that is NOT allow-listed counts ZERO connections. The posts
 * themselves are created at once and unchanged. "The fetch is over" is
 * `services.linkPreviews.idle()`, which resolves when nothing is queued or running.
 */
import { lookup } from 'node:dns/promises';
import { createServer as createHttpServer, type Server as HttpServer, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCanary, streamBytes, type Canary } from '../helpers/canary.js';
import type { PostView } from '../../src/domain/presenters.js';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, envelope, registerUser, type TestUser } from '../helpers/factories.js';
import { png } from '../helpers/uploads.js';
import { WsClient } from '../helpers/ws-client.js';

const GB2 = 2 * 1024 ** 3;
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>';

describe.each(STORES)('link previews (%s)', (kind) => {
  let canary: Canary;
  let pages: HttpServer;
  let port = 0;
  const hits: string[] = [];
  let hugeBytesSent = 0;
  const silent: ServerResponse[] = [];
  /** Requests to /slow wait here until the test answers them. */
  const held: { res: ServerResponse; path: string }[] = [];
  let onHeld: (() => void) | undefined;
  let image: Buffer;
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let channel: { id: string };
  let url: string;

  const page = (path: string): string => `http://localhost:${port}${path}`;
  const html = (head: string): string => `<!doctype html><html><head>${head}</head><body><p>Body text</p></body></html>`;

  beforeAll(async () => {
    // The canary: loopback (dual-stack, so ::1 and ::ffff:127.0.0.1 reach it too), never allow-listed.
    canary = await startCanary();
    image = await png(1200, 630);
    pages = createHttpServer((req, res) => {
      hits.push(req.url ?? '');
      const u = new URL(req.url ?? '/', 'http://x');
      switch (u.pathname) {
        case '/og':
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'set-cookie': 'tracker=1' }).end(html(
            `<title>Fallback title</title><meta property="og:title" content="Hello &amp; welcome"><meta property="og:description" content="A page about things.">
             <meta property="og:site_name" content="Example Site"><meta property="og:image" content="/img.png">`,
          ));
          return;
        case '/og2':
          res.writeHead(200, { 'content-type': 'text/html' }).end(html('<title>Second page</title><meta name="description" content="Only the basics">'));
          return;
        case '/img.png':
          res.writeHead(200, { 'content-type': 'image/png' }).end(image);
          return;
        case '/redirect':
          res.writeHead(302, { location: u.searchParams.get('to')! }).end();
          return;
        case '/huge':
          streamBytes(res, 'text/html', GB2, true, (n) => (hugeBytesSent += n));
          return;
        case '/huge.png':
          streamBytes(res, 'image/png', GB2, true, (n) => (hugeBytesSent += n));
          return;
        case '/silent':
          silent.push(res);
          return;
        case '/slow':
          held.push({ res, path: req.url ?? '' });
          onHeld?.();
          return;
        case '/svg':
          res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(SVG);
          return;
        case '/evil.svg':
          res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(SVG);
          return;
        case '/evil-claims-png.png':
          res.writeHead(200, { 'content-type': 'image/png' }).end(SVG);
          return;
        case '/with-image': {
          const img = u.searchParams.get('img')!;
          res.writeHead(200, { 'content-type': 'text/html' }).end(html(`<meta property="og:title" content="Image test ${img.length}"><meta property="og:image" content="${img.replace(/"/g, '&quot;')}">`));
          return;
        }
        default:
          res.writeHead(404, { 'content-type': 'text/html' }).end(html('<title>Not found</title>'));
      }
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    port = (pages.address() as { port: number }).port;

    // Names a hostile DNS server could answer with internal addresses; everything else resolves normally.
    const hostile: Record<string, string> = { 'rebind.test': '127.0.0.1', 'corp.test': '10.1.2.3', 'meta.test': '169.254.169.254', 'v6.test': '::1' };
    t = await startApp(kind, {
      env: { RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS: 'localhost' },
      linkPreviewTimeoutMs: 1500,
      // The canary's port is allowed, so each internal address below is refused for what it is
      // (the port rule has its own test in test/security/outbound.test.ts).
      linkPreviewPorts: [80, 443, canary.port],
      outboundResolve: async (host, family) => {
        const address = hostile[host];
        if (address !== undefined) return [{ address, family: address.includes(':') ? 6 : 4 }];
        return lookup(host, { all: true, ...(family === 4 || family === 6 ? { family } : {}) });
      },
    });
    [alice, bob, carol] = await Promise.all([registerUser(t.api, 'alice'), registerUser(t.api, 'bob'), registerUser(t.api, 'carol')]);
    const team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    await addTeamMember(t.api, alice, team.id, carol);
    channel = await createChannel(t.api, alice, team.id, 'private');
    await addChannelMember(t.api, alice, channel.id, bob);
    url = (await t.app.listen()).url;
  });

  afterAll(async () => {
    await t?.close();
    for (const res of silent) res.destroy();
    for (const h of held) h.res.destroy();
    pages?.closeAllConnections();
    await new Promise<void>((resolve) => (pages ? pages.close(() => resolve()) : resolve()));
    await canary?.close();
  });

  const getPost = async (id: string): Promise<PostView> => (await t.api.get(`/api/v1/posts/${id}`, bob.token)).body;

  it('a post with a link gets its page\'s preview (image stored, served same-origin to readers only)', async () => {
    const ws = await WsClient.connect(url, { token: bob.token });
    try {
      const post = await createPost(t.api, alice, channel.id, `look: \`http://localhost:${port}/in-code\` and ${page('/og')}.`);
      // The post is answered at once, without a preview (it comes later, by event).
      expect(post.preview).toBeNull();
      const edited = (await ws.waitForEvent('post_edited', (d) => d.post.id === post.id && d.post.preview !== null)).data as { post: PostView };
      expect(edited.post.message).toBe(post.message);
      expect(edited.post.preview).toEqual({
        url: page('/og'), title: 'Hello & welcome', description: 'A page about things.', site_name: 'Example Site',
        image: { url: expect.stringMatching(new RegExp(`^/api/v1/posts/${post.id}/preview/image\\?v=\\d+$`)), width: 600, height: 315 },
      });
      // The link in the code span was not fetched; the page and its image were.
      expect(hits).not.toContain('/in-code');
      expect(hits).toEqual(expect.arrayContaining(['/og', '/img.png']));
      expect((await getPost(post.id)).preview).toEqual(edited.post.preview);
      // The image: a re-encoded WebP, for the channel's readers.
      const img = await t.api.get(edited.post.preview!.image!.url, bob.token);
      expect(img.status).toBe(200);
      expect(img.headers['content-type']).toBe('image/webp');
      expect(img.headers['cache-control']).toBe('private, no-cache');
      expect(img.headers['content-security-policy']).toMatch(/sandbox/);
      // Not for someone outside the private channel: the same 404 as a post that does not exist.
      const outsider = await t.api.get(`/api/v1/posts/${post.id}/preview/image`, carol.token);
      expect(outsider.status).toBe(404);
      expect(envelope(outsider)).toEqual(envelope(await t.api.get(`/api/v1/posts/${randomUUID()}/preview/image`, carol.token)));
      expect((await t.api.get(`/api/v1/posts/${post.id}/preview/image`)).status).toBe(401);
    } finally {
      ws.close();
    }
  });

  it('the author removes the preview (others may not); an edit to another link brings a fresh one', async () => {
    const ws = await WsClient.connect(url, { token: bob.token });
    try {
      const post = await createPost(t.api, alice, channel.id, `see ${page('/og')}`);
      const first = (await ws.waitForEvent('post_edited', (d) => d.post.id === post.id && d.post.preview !== null)).data as { post: PostView };
      const from = ws.events.length;
      expect((await t.api.delete(`/api/v1/posts/${post.id}/preview`, bob.token)).status).toBe(403);
      const removed = await t.api.delete(`/api/v1/posts/${post.id}/preview`, alice.token);
      expect(removed.status).toBe(200);
      expect(removed.body.preview).toBeNull();
      await ws.waitForEvent('post_edited', (d) => d.post.id === post.id && d.post.preview === null, { from });
      expect((await getPost(post.id)).preview).toBeNull();
      expect((await t.api.get(first.post.preview!.image!.url, bob.token)).status).toBe(404);
      // An edit that keeps the link keeps it removed.
      expect((await t.api.put(`/api/v1/posts/${post.id}`, { message: `see ${page('/og')} again` }, alice.token)).status).toBe(200);
      await t.app.services.linkPreviews.idle();
      expect((await getPost(post.id)).preview).toBeNull();
      // Another link: a new preview.
      const at = ws.events.length;
      expect((await t.api.put(`/api/v1/posts/${post.id}`, { message: `now ${page('/og2')}` }, alice.token)).status).toBe(200);
      const fresh = (await ws.waitForEvent('post_edited', (d) => d.post.id === post.id && d.post.preview !== null, { from: at })).data as { post: PostView };
      expect(fresh.post.preview).toEqual({ url: page('/og2'), title: 'Second page', description: 'Only the basics', site_name: null, image: null });
      // A post without a link has no preview to remove.
      const plain = await createPost(t.api, alice, channel.id, 'no link here');
      expect((await t.api.delete(`/api/v1/posts/${plain.id}/preview`, alice.token)).status).toBe(404);
    } finally {
      ws.close();
    }
  });

  /** Posts `message`, waits until its /slow fetch has arrived, and hands back the post and the held answer. */
  async function postHeld(message: string): Promise<{ post: PostView; answer: (body: string) => void }> {
    const arrived = new Promise<void>((resolve) => (onHeld = resolve));
    const post = await createPost(t.api, alice, channel.id, message);
    await arrived;
    const { res } = held.shift()!;
    return { post, answer: (body) => res.writeHead(200, { 'content-type': 'text/html' }).end(body) };
  }

  it('a fetch that ends after the author removed the preview, or edited the link away, attaches nothing', async () => {
    const og = html('<meta property="og:title" content="Late answer">');
    const removed = await postHeld(`slow ${page('/slow?case=removed')}`);
    expect((await t.api.delete(`/api/v1/posts/${removed.post.id}/preview`, alice.token)).status).toBe(200);
    removed.answer(og);
    const edited = await postHeld(`slow ${page('/slow?case=edited')}`);
    expect((await t.api.put(`/api/v1/posts/${edited.post.id}`, { message: 'no link any more' }, alice.token)).status).toBe(200);
    edited.answer(og);
    const deleted = await postHeld(`slow ${page('/slow?case=deleted')}`);
    expect((await t.api.delete(`/api/v1/posts/${deleted.post.id}`, alice.token)).status).toBe(200);
    deleted.answer(og);
    await t.app.services.linkPreviews.idle();
    expect((await getPost(removed.post.id)).preview).toBeNull();
    expect((await getPost(edited.post.id)).preview).toBeNull();
    expect(await t.app.store.previews.get(deleted.post.id)).toBeUndefined();
    // The same page, answered in time, would have given a preview.
    const control = await postHeld(`slow ${page('/slow?case=control')}`);
    control.answer(og);
    await t.app.services.linkPreviews.idle();
    expect((await getPost(control.post.id)).preview?.title).toBe('Late answer');
  });

  it('one author pasting many links cannot crowd out everyone else\'s previews (10 waiting per author)', async () => {
    const og = html('<meta property="og:title" content="Fair share">');
    // Two fetches run at once: both wait on /slow while the rest of Alice's links queue.
    const twoHeld = new Promise<void>((resolve) => {
      let n = 0;
      onHeld = () => {
        if (++n === 2) resolve();
      };
    });
    const mine: PostView[] = [];
    for (let i = 0; i < 11; i++) mine.push(await createPost(t.api, alice, channel.id, `link ${i} ${page(`/slow?share=${i}`)}`));
    await twoHeld;
    const bobs: PostView = await createPost(t.api, bob, channel.id, `mine ${page('/og2')}`);
    // From now on every held request is answered as it arrives.
    onHeld = () => {
      while (held.length > 0) held.shift()!.res.writeHead(200, { 'content-type': 'text/html' }).end(og);
    };
    onHeld();
    await t.app.services.linkPreviews.idle();
    const titles = await Promise.all(mine.map(async (p) => (await getPost(p.id)).preview?.title ?? null));
    expect(titles).toEqual([...Array<string>(10).fill('Fair share'), null]);
    expect((await getPost(bobs.id)).preview?.title).toBe('Second page');
    onHeld = undefined;
  });

  it('the SSRF table: no preview, no connection to the internal address, the post unaffected', async () => {
    const c = canary.port;
    const internal = [
      `http://127.0.0.1:${c}/`, `http://2130706433:${c}/`, `http://0x7f.1:${c}/`, `http://127.1:${c}/`, `http://0177.0.0.1:${c}/`, `http://0.0.0.0:${c}/`,
      `http://[::1]:${c}/`, `http://[::ffff:127.0.0.1]:${c}/`, `http://[::ffff:7f00:1]:${c}/`, `http://localhost.:${c}/`,
      `http://169.254.169.254/latest/meta-data/`, `http://[::ffff:169.254.169.254]/`,
      `http://rebind.test:${c}/`, `http://v6.test:${c}/`, `http://corp.test/`, `http://meta.test/`,
      // Through an allow-listed host: every redirect is checked again.
      page(`/redirect?to=${encodeURIComponent(`http://127.0.0.1:${c}/`)}`),
      page(`/redirect?to=${encodeURIComponent(`http://2130706433:${c}/`)}`),
      page(`/redirect?to=${encodeURIComponent(`http://rebind.test:${c}/`)}`),
      page(`/redirect?to=${encodeURIComponent('http://169.254.169.254/')}`),
      // Not a page to preview: 2 GB of something, no answer at all, an SVG with script.
      page('/huge'), page('/silent'), page('/svg'),
      'ftp://127.0.0.1/ and file:///etc/passwd and gopher://127.0.0.1/',
    ];
    const outcomes = async (): Promise<Record<string, number>> => Object.fromEntries((await t.app.metrics.linkPreviews.get()).values.map((v) => [String(v.labels.outcome), v.value]));
    const before = await outcomes();
    const started = Date.now();
    const posts: { id: string; message: string }[] = [];
    for (const link of internal) {
      const message = `link ${link} end`;
      const res = await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message }, alice.token);
      expect(res.status, link).toBe(201);
      expect(res.body.message).toBe(message);
      posts.push({ id: res.body.id, message });
    }
    // Posting did not wait for any fetch (the silent one alone takes the 1.5 s deadline).
    expect(Date.now() - started).toBeLessThan(1500);
    await t.app.services.linkPreviews.idle();
    for (const p of posts) {
      const view = await getPost(p.id);
      expect(view.preview, p.message).toBeNull();
      expect(view.message).toBe(p.message);
      expect(view.edited_at).toBeNull();
    }
    expect(canary.connections()).toBe(0);
    // Each internal target refused as an address (by literal, by resolver answer, after a redirect), the rest failed or empty.
    const after = await outcomes();
    const delta = (k: string): number => (after[k] ?? 0) - (before[k] ?? 0);
    // (`localhost.` is refused as loopback where the system resolver knows it, and fails to resolve where it does not.)
    expect(delta('refused')).toBeGreaterThanOrEqual(19);
    expect(delta('refused') + delta('failed') + delta('empty')).toBe(23);
    expect(delta('attached')).toBe(0);
    // The 2 GB answer was abandoned after the first part (the socket buffers hold a few MB at most).
    expect(hugeBytesSent).toBeLessThan(64 * 1024 * 1024);
    expect(t.logs.text()).toMatch(/link preview refused/);
    // Logged by host only: the path and query of what was posted stay out of the log.
    expect(t.logs.text()).not.toContain('latest/meta-data');
  });

  it('a page whose image is internal, huge, or an SVG gets its preview without the image', async () => {
    const images = [
      `http://127.0.0.1:${canary.port}/i.png`, `http://[::ffff:127.0.0.1]:${canary.port}/i.png`, `http://rebind.test:${canary.port}/i.png`,
      page(`/redirect?to=${encodeURIComponent(`http://127.0.0.1:${canary.port}/i.png`)}`),
      '/huge.png', '/evil.svg', '/evil-claims-png.png', `data:image/svg+xml,${encodeURIComponent(SVG)}`, 'javascript:alert(1)',
    ];
    const ids: string[] = [];
    for (const img of images) ids.push((await createPost(t.api, alice, channel.id, page(`/with-image?img=${encodeURIComponent(img)}`))).id);
    await t.app.services.linkPreviews.idle();
    for (const [i, id] of ids.entries()) {
      const preview = (await getPost(id)).preview;
      expect(preview?.title, images[i]).toBe(`Image test ${images[i]!.length}`);
      expect(preview?.image, images[i]).toBeNull();
    }
    expect(canary.connections()).toBe(0);
    expect(hugeBytesSent).toBeLessThan(128 * 1024 * 1024);
  });

  it('a deleted post takes its preview and image with it; storage and metadata agree', async () => {
    const post = await createPost(t.api, alice, channel.id, page('/og'));
    await t.app.services.linkPreviews.idle();
    const preview = (await getPost(post.id)).preview;
    expect(preview?.image).not.toBeNull();
    expect((await t.api.delete(`/api/v1/posts/${post.id}`, alice.token)).status).toBe(200);
    expect(await t.app.store.previews.get(post.id)).toBeUndefined();
    const report = await t.app.services.files.check();
    expect(report.orphanObjects).toEqual([]);
    expect(report.missingObjects).toEqual([]);
  });

  it.runIf(kind === 'sqlite')('the SSO allow-list (RUSTCHAT_OUTBOUND_ALLOWED_HOSTS) does not open an internal host to posted links', async () => {
    const sso = await startApp('sqlite', { env: { RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: 'localhost' } });
    try {
      const erin = await registerUser(sso.api, 'erin');
      const team = await createTeam(sso.api, erin);
      const ch = await createChannel(sso.api, erin, team.id, 'public');
      const post = await createPost(sso.api, erin, ch.id, page('/og?sso=1'));
      await sso.app.services.linkPreviews.idle();
      expect(hits).not.toContain('/og?sso=1');
      expect((await sso.api.get(`/api/v1/posts/${post.id}`, erin.token)).body.preview).toBeNull();
      expect(sso.logs.text()).toMatch(/link preview refused/);
    } finally {
      await sso.close();
    }
  });

  it.runIf(kind === 'sqlite')('RUSTCHAT_LINK_PREVIEWS=false: nothing is fetched', async () => {
    const off = await startApp('sqlite', { env: { RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS: 'localhost', RUSTCHAT_LINK_PREVIEWS: 'false' } });
    try {
      const dan = await registerUser(off.api, 'dan');
      const team = await createTeam(off.api, dan);
      const ch = await createChannel(off.api, dan, team.id, 'public');
      const post = await createPost(off.api, dan, ch.id, page('/og?off=1'));
      await off.app.services.linkPreviews.idle();
      expect(hits).not.toContain('/og?off=1');
      expect((await off.api.get(`/api/v1/posts/${post.id}`, dan.token)).body.preview).toBeNull();
    } finally {
      await off.close();
    }
  });
});
