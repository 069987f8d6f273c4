/**
 * Attachment images end to end, on both stores: a webhook's Slack attachment with `image_url`
 * and `thumb_url` pointing at a local image server (allow-listed as `localhost` in
 * RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS) gets its images fetched after the post, re-encoded,
 * stored, announced by `post_edited` (waited for, no sleeps) and served same-origin to the
 * channel's readers only; an outgoing webhook's answer gets its images too; at most 10
 * distinct images per post; a deleted post (also while its fetch runs) leaves no image behind.
 *
 * The SSRF table: image URLs that lead to loopback (by literal, by a name that resolves there,
 * through a redirect from the allowed host), to the metadata address, to an SVG (by type or
 * in disguise), to an answer of 2 GB (announced or not), to a page: no image, a loopback
 * canary listener that is NOT allow-listed counts ZERO connections, the posts themselves are
 * unchanged. The canary's host is in RUSTCHAT_OUTBOUND_ALLOWED_HOSTS (the integrations'
 * list), which must not open it to attachment images. "The fetch is over" is
 * `services.attachmentImages.idle()`.
 */
import { lookup } from 'node:dns/promises';
import { createServer as createHttpServer, type Server as HttpServer, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCanary, streamBytes, type Canary } from '../helpers/canary.js';
import type { PostView } from '../../src/domain/presenters.js';
import { STORES, startApp, type ApiResponse, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, envelope, registerUser, type TestUser } from '../helpers/factories.js';
import { png } from '../helpers/uploads.js';
import { WsClient } from '../helpers/ws-client.js';

const GB2 = 2 * 1024 ** 3;
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>';

describe.each(STORES)('attachment images (%s)', (kind) => {
  let canary: Canary;
  let images: HttpServer;
  let port = 0;
  const hits: string[] = [];
  let hugeBytesSent = 0;
  /** Requests to /slow wait here until the test answers them. */
  const held: ServerResponse[] = [];
  let onHeld: (() => void) | undefined;
  let big: Buffer;
  let small: Buffer;
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let channel: { id: string };
  let town: { id: string };
  let teamId: string;
  let hook: { id: string; token: string };
  let url: string;

  const at = (path: string): string => `http://localhost:${port}${path}`;

  beforeAll(async () => {
    // The canary: loopback (dual-stack, so ::1 and ::ffff:127.0.0.1 reach it too), never allowed for images.
    canary = await startCanary();
    [big, small] = await Promise.all([png(1200, 600), png(64, 64, '#aa3300')]);
    images = createHttpServer((req, res) => {
      hits.push(req.url ?? '');
      const u = new URL(req.url ?? '/', 'http://x');
      switch (u.pathname) {
        case '/img.png':
          res.writeHead(200, { 'content-type': 'image/png', 'set-cookie': 'tracker=1' }).end(big);
          return;
        case '/thumb.png':
          res.writeHead(200, { 'content-type': 'image/png' }).end(small);
          return;
        case '/redirect':
          res.writeHead(302, { location: u.searchParams.get('to')! }).end();
          return;
        case '/evil.svg':
          res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(SVG);
          return;
        case '/evil-claims-png.png':
          res.writeHead(200, { 'content-type': 'image/png' }).end(SVG);
          return;
        case '/huge.png':
          streamBytes(res, 'image/png', GB2, true, (n) => (hugeBytesSent += n));
          return;
        case '/huge-unannounced.png':
          streamBytes(res, 'image/png', GB2, false, (n) => (hugeBytesSent += n));
          return;
        case '/page':
          res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Not an image</title>');
          return;
        case '/slow':
          held.push(res);
          onHeld?.();
          return;
        case '/callback':
          // An outgoing webhook's service: answers with an attachment whose image is ours.
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ text: 'deployed', attachments: [{ title: 'Graph', image_url: at('/img.png?from=outgoing') }] }));
          return;
        case '/command':
          // A custom slash command's service: answers in the channel with attachments only (no text).
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response_type: 'in_channel', attachments: [{ title: 'Build 42', color: 'good', image_url: at('/img.png?from=command') }] }));
          return;
        case '/command-bad':
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response_type: 'in_channel', text: 'never posted', attachments: [{ image_url: 'javascript:alert(1)' }] }));
          return;
        default:
          res.writeHead(404, { 'content-type': 'text/plain' }).end('nope');
      }
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    port = (images.address() as { port: number }).port;

    // Names a hostile DNS server could answer with internal addresses; everything else resolves normally.
    const hostile: Record<string, string> = { 'rebind.test': '127.0.0.1', 'meta.test': '169.254.169.254', 'v6.test': '::1' };
    t = await startApp(kind, {
      env: {
        RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS: 'localhost',
        // The integrations' list (the outgoing hook's callback below): it must not open 127.0.0.1 to attachment images.
        RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: 'localhost,127.0.0.1',
      },
      linkPreviewTimeoutMs: 1500,
      // The canary's port is allowed, so each internal address below is refused for what it is.
      linkPreviewPorts: [80, 443, canary.port],
      outboundResolve: async (host, family) => {
        const address = hostile[host];
        if (address !== undefined) return [{ address, family: address.includes(':') ? 6 : 4 }];
        return lookup(host, { all: true, ...(family === 4 || family === 6 ? { family } : {}) });
      },
    });
    [alice, bob, carol] = await Promise.all([registerUser(t.api, 'alice'), registerUser(t.api, 'bob'), registerUser(t.api, 'carol')]);
    const team = await createTeam(t.api, alice);
    teamId = team.id;
    await addTeamMember(t.api, alice, team.id, bob);
    await addTeamMember(t.api, alice, team.id, carol);
    channel = await createChannel(t.api, alice, team.id, 'private');
    await addChannelMember(t.api, alice, channel.id, bob);
    town = await createChannel(t.api, alice, team.id, 'public');
    const created = await t.api.post('/api/v1/hooks/incoming', { channel_id: channel.id, display_name: 'CI' }, alice.token);
    expect(created.status).toBe(201);
    hook = created.body;
    url = (await t.app.listen()).url;
  });

  afterAll(async () => {
    await t?.close();
    for (const res of held) res.destroy();
    images?.closeAllConnections();
    await new Promise<void>((resolve) => (images ? images.close(() => resolve()) : resolve()));
    await canary?.close();
  });

  const run = (payload: unknown): Promise<ApiResponse> => t.api.post(`/hooks/${hook.token}`, payload);
  const getPost = async (id: string, who: TestUser = bob): Promise<PostView> => (await t.api.get(`/api/v1/posts/${id}`, who.token)).body;
  /** Runs the hook and hands back its post (the newest of the channel: the hook answers `ok`, not the post). */
  async function hookPost(attachments: unknown[], text = ''): Promise<PostView> {
    const res = await run({ text, attachments });
    expect(res.status, res.text).toBe(200);
    const page = (await t.api.get(`/api/v1/channels/${channel.id}/posts?limit=1`, alice.token)).body as { messages: PostView[] };
    return page.messages[0]!;
  }
  const outcomes = async (): Promise<Record<string, number>> => Object.fromEntries((await t.app.metrics.attachmentImages.get()).values.map((v) => [String(v.labels.outcome), v.value]));

  it('stores an incoming webhook\'s image_url and thumb_url and serves them same-origin to the channel\'s readers only', async () => {
    const ws = await WsClient.connect(url, { token: bob.token });
    try {
      const res = await run({
        text: 'Build 42',
        attachments: [
          { title: 'Chart', image_url: at('/img.png'), thumb_url: at('/thumb.png') },
          { title: 'Nothing to show', text: 'no image here' },
          { title: 'Same chart again', image_url: at('/img.png') },
        ],
      });
      expect(res.status).toBe(200);
      const posted = (await ws.waitForEvent('posted', (d) => d.post.props.webhook_id === hook.id && d.post.message === 'Build 42')).data as { post: PostView };
      // The post is answered and announced at once, without images (they come later, by event).
      expect(posted.post.attachment_images).toEqual([]);
      const id = posted.post.id;
      const edited = (await ws.waitForEvent('post_edited', (d) => d.post.id === id && d.post.attachment_images.length > 0)).data as { post: PostView };
      const src = (index: number, k: string): unknown => expect.stringMatching(new RegExp(`^/api/v1/posts/${id}/attachments/${index}/${k}\\?v=\\d+$`));
      expect(edited.post.attachment_images).toEqual([
        { index: 0, kind: 'image', url: src(0, 'image'), width: 600, height: 300 },
        { index: 0, kind: 'thumb', url: src(0, 'thumb'), width: 64, height: 64 },
        { index: 2, kind: 'image', url: src(2, 'image'), width: 600, height: 300 },
      ]);
      // The remote URLs stay where they were, as link targets; nothing else about the post changed.
      expect(edited.post.message).toBe('Build 42');
      expect(edited.post.edited_at).toBeNull();
      expect((edited.post.props.attachments as { image_url?: string }[])[0]!.image_url).toBe(at('/img.png'));
      expect((await getPost(id)).attachment_images).toEqual(edited.post.attachment_images);
      // One fetch per distinct URL.
      expect(hits.filter((h) => h === '/img.png')).toHaveLength(1);
      expect(hits.filter((h) => h === '/thumb.png')).toHaveLength(1);

      // The image: a WebP the server made, for the channel's readers.
      const img = await t.api.get(edited.post.attachment_images[0]!.url, bob.token);
      expect(img.status).toBe(200);
      expect(img.headers['content-type']).toBe('image/webp');
      expect(img.headers['cache-control']).toBe('private, no-cache');
      expect(img.headers['x-content-type-options']).toBe('nosniff');
      expect(img.headers['content-security-policy']).toMatch(/sandbox/);
      // Re-encoded by the server (never the fetched bytes): a WebP of the thumbnail's size.
      const served = await t.app.http.inject({ method: 'GET', url: edited.post.attachment_images[1]!.url, headers: { authorization: `Bearer ${bob.token}` } });
      expect(served.statusCode).toBe(200);
      expect(served.rawPayload.subarray(0, 4).toString('latin1')).toBe('RIFF');
      expect(served.rawPayload.subarray(8, 12).toString('latin1')).toBe('WEBP');
      expect(await sharp(served.rawPayload).metadata()).toMatchObject({ format: 'webp', width: 64, height: 64 });
      // Revalidation: the same tag, no body.
      const again = await t.api.get(`/api/v1/posts/${id}/attachments/0/image`, bob.token, { headers: { 'if-none-match': String(img.headers.etag) } });
      expect(again.status).toBe(304);

      // Not for someone outside the private channel: the same 404 as a post that does not exist.
      const outsider = await t.api.get(`/api/v1/posts/${id}/attachments/0/image`, carol.token);
      expect(outsider.status).toBe(404);
      expect(envelope(outsider)).toEqual(envelope(await t.api.get(`/api/v1/posts/${randomUUID()}/attachments/0/image`, carol.token)));
      expect((await t.api.get(`/api/v1/posts/${id}/attachments/0/image`)).status).toBe(401);
      // An attachment without an image (or an image not fetched): 404; a position or kind that cannot be: 400.
      expect((await t.api.get(`/api/v1/posts/${id}/attachments/1/image`, bob.token)).status).toBe(404);
      expect((await t.api.get(`/api/v1/posts/${id}/attachments/2/thumb`, bob.token)).status).toBe(404);
      expect((await t.api.get(`/api/v1/posts/${id}/attachments/20/image`, bob.token)).status).toBe(400);
      expect((await t.api.get(`/api/v1/posts/${id}/attachments/0/original`, bob.token)).status).toBe(400);
      expect((await t.api.get(`/api/v1/posts/${id}/attachments/-1/image`, bob.token)).status).toBe(400);
    } finally {
      ws.close();
    }
  });

  it('an outgoing webhook\'s answer gets its attachment image too', async () => {
    const created = await t.api.post('/api/v1/hooks/outgoing', { team_id: teamId, channel_id: town.id, trigger_words: ['deploy'], callback_urls: [at('/callback')] }, alice.token);
    expect(created.status, created.text).toBe(201);
    const ws = await WsClient.connect(url, { token: alice.token });
    try {
      await createPost(t.api, alice, town.id, 'deploy now');
      const answer = (await ws.waitForEvent('posted', (d) => d.post.message === 'deployed' && d.post.props.from_webhook === 'true')).data as { post: PostView };
      const edited = (await ws.waitForEvent('post_edited', (d) => d.post.id === answer.post.id && d.post.attachment_images.length > 0)).data as { post: PostView };
      expect(edited.post.attachment_images).toEqual([{ index: 0, kind: 'image', url: expect.stringMatching(/^\/api\/v1\/posts\/[\w-]+\/attachments\/0\/image\?v=\d+$/), width: 600, height: 300 }]);
      expect(hits).toContain('/img.png?from=outgoing');
      expect((await t.api.get(edited.post.attachment_images[0]!.url, alice.token)).status).toBe(200);
    } finally {
      ws.close();
      await t.api.delete(`/api/v1/hooks/outgoing/${created.body.id}`, alice.token);
    }
  });

  it('a custom slash command\'s in_channel answer carries its attachments (images stored); a malformed one is told to the caller only', async () => {
    const made = await t.api.post('/api/v1/commands', { team_id: teamId, trigger: 'build', url: at('/command') }, alice.token);
    expect(made.status, made.text).toBe(201);
    const bad = await t.api.post('/api/v1/commands', { team_id: teamId, trigger: 'badbuild', url: at('/command-bad') }, alice.token);
    expect(bad.status, bad.text).toBe(201);
    const ws = await WsClient.connect(url, { token: alice.token });
    try {
      const ran = await t.api.post('/api/v1/commands/execute', { channel_id: town.id, command: '/build' }, alice.token);
      expect(ran.status, ran.text).toBe(200);
      expect(ran.body).toMatchObject({ response_type: 'in_channel', post: { user_id: alice.id, message: '', props: { attachments: [{ title: 'Build 42', color: 'good', image_url: at('/img.png?from=command') }] } } });
      const postId = ran.body.post.id as string;
      const edited = (await ws.waitForEvent('post_edited', (d) => d.post.id === postId && d.post.attachment_images.length > 0)).data as { post: PostView };
      expect(edited.post.attachment_images).toEqual([{ index: 0, kind: 'image', url: expect.stringMatching(/^\/api\/v1\/posts\/[\w-]+\/attachments\/0\/image\?v=\d+$/), width: 600, height: 300 }]);
      expect(hits).toContain('/img.png?from=command');
      expect((await t.api.get(edited.post.attachment_images[0]!.url, alice.token)).status).toBe(200);

      // The service's answer is malformed: the caller is told, nothing is posted.
      const before = (await t.api.get(`/api/v1/channels/${town.id}/posts?limit=1`, alice.token)).body.messages[0].id;
      const refused = await t.api.post('/api/v1/commands/execute', { channel_id: town.id, command: '/badbuild' }, alice.token);
      expect(refused.status, refused.text).toBe(200);
      expect(refused.body).toMatchObject({ response_type: 'ephemeral', post: null, text: expect.stringContaining('image_url') });
      expect((await t.api.get(`/api/v1/channels/${town.id}/posts?limit=1`, alice.token)).body.messages[0].id).toBe(before);
    } finally {
      ws.close();
      await t.api.delete(`/api/v1/commands/${made.body.id}`, alice.token);
      await t.api.delete(`/api/v1/commands/${bad.body.id}`, alice.token);
    }
  });

  it('fetches at most 10 distinct images of one post; the others stay links', async () => {
    const post = await hookPost(Array.from({ length: 12 }, (_, i) => ({ title: `n${i}`, image_url: at(`/img.png?many=${i}`) })));
    await t.app.services.attachmentImages.idle();
    const view = await getPost(post.id);
    expect(view.attachment_images.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(hits).toContain('/img.png?many=9');
    expect(hits).not.toContain('/img.png?many=10');
    expect(hits).not.toContain('/img.png?many=11');
  });

  it('the SSRF table: no image, no connection to the internal address, the post unaffected', async () => {
    const c = canary.port;
    const internal = [
      `http://127.0.0.1:${c}/i.png`, `http://2130706433:${c}/i.png`, `http://[::1]:${c}/i.png`, `http://[::ffff:127.0.0.1]:${c}/i.png`,
      `http://169.254.169.254/latest/meta-data/i.png`, `http://rebind.test:${c}/i.png`, `http://v6.test:${c}/i.png`, 'http://meta.test/latest/meta-data/i.png',
      // Through the allowed host: every redirect is checked again.
      at(`/redirect?to=${encodeURIComponent(`http://127.0.0.1:${c}/i.png`)}`),
      at(`/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/i.png')}`),
    ];
    const notImages = [at('/evil.svg'), at('/evil-claims-png.png'), at('/huge.png'), at('/huge-unannounced.png'), at('/page')];
    const before = await outcomes();
    const posts: PostView[] = [];
    for (const image of [...internal, ...notImages]) {
      posts.push(await hookPost([{ title: 'Look', image_url: image, thumb_url: image }], `image ${image}`));
      // One at a time: each gets its turn (10 per author may wait), and each outcome is its own.
      await t.app.services.attachmentImages.idle();
    }
    for (const [i, p] of posts.entries()) {
      const view = await getPost(p.id);
      expect(view.attachment_images, `${[...internal, ...notImages][i]}`).toEqual([]);
      expect(view.message).toBe(p.message);
      expect(view.edited_at).toBeNull();
      // The link stays.
      expect((view.props.attachments as { image_url?: string }[])[0]!.image_url).toBe(new URL([...internal, ...notImages][i]!).href);
      expect((await t.api.get(`/api/v1/posts/${p.id}/attachments/0/image`, bob.token)).status).toBe(404);
    }
    expect(canary.connections()).toBe(0);
    const after = await outcomes();
    const delta = (k: string): number => (after[k] ?? 0) - (before[k] ?? 0);
    // Every internal target refused as an address (by literal, by resolver answer, after a redirect); the rest failed.
    expect(delta('refused')).toBe(internal.length);
    expect(delta('failed')).toBe(notImages.length);
    expect(delta('attached')).toBe(0);
    // The 2 GB answers were abandoned at once (announced) or after the first 5 MB (not announced).
    expect(hugeBytesSent).toBeLessThan(64 * 1024 * 1024);
    expect(t.logs.text()).toMatch(/attachment image refused/);
    // Logged by host only: the path and query of the URL stay out of the log.
    expect(t.logs.text()).not.toContain('latest/meta-data');
  });

  it('a deleted post takes its stored images with it; storage and metadata agree', async () => {
    const post = await hookPost([{ title: 'Chart', image_url: at('/img.png?del=1'), thumb_url: at('/thumb.png?del=1') }]);
    await t.app.services.attachmentImages.idle();
    const view = await getPost(post.id);
    expect(view.attachment_images).toHaveLength(2);
    const rows = await t.app.store.attachmentImages.forPosts([post.id]);
    expect(rows).toHaveLength(2);
    for (const r of rows) (await t.app.services.files.openLinkPreviewImage(r.image_key)).body.destroy();
    expect((await t.api.delete(`/api/v1/posts/${post.id}`, alice.token)).status).toBe(200);
    expect(await t.app.store.attachmentImages.forPosts([post.id])).toEqual([]);
    for (const r of rows) await expect(t.app.services.files.openLinkPreviewImage(r.image_key)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await t.api.get(view.attachment_images[0]!.url, alice.token)).status).toBe(404);
    const report = await t.app.services.files.check();
    expect(report.orphanObjects).toEqual([]);
    expect(report.missingObjects).toEqual([]);
  });

  it('a post deleted while its image is being fetched gets nothing, and nothing is left in storage', async () => {
    const arrived = new Promise<void>((resolve) => (onHeld = resolve));
    const post = await hookPost([{ title: 'Late', image_url: at('/slow?case=deleted') }]);
    await arrived;
    onHeld = undefined;
    expect((await t.api.delete(`/api/v1/posts/${post.id}`, alice.token)).status).toBe(200);
    held.shift()!.writeHead(200, { 'content-type': 'image/png' }).end(small);
    await t.app.services.attachmentImages.idle();
    expect(await t.app.store.attachmentImages.forPosts([post.id])).toEqual([]);
    const report = await t.app.services.files.check();
    expect(report.orphanObjects).toEqual([]);
  });

  it('a database failure while attaching leaves no stored image behind', async () => {
    const arrived = new Promise<void>((resolve) => (onHeld = resolve));
    const post = await hookPost([{ title: 'Unlucky', image_url: at('/slow?case=db-fails') }]);
    await arrived;
    onHeld = undefined;
    // The next transaction (the attach) fails as an outage would; later ones work again.
    const store = t.app.store as { transaction: (...args: unknown[]) => Promise<unknown> };
    const real = store.transaction;
    store.transaction = async () => {
      store.transaction = real;
      throw new Error('the database went away');
    };
    try {
      held.shift()!.writeHead(200, { 'content-type': 'image/png' }).end(small);
      await t.app.services.attachmentImages.idle();
    } finally {
      store.transaction = real;
    }
    expect(await t.app.store.attachmentImages.forPosts([post.id])).toEqual([]);
    expect((await t.app.services.files.check()).orphanObjects).toEqual([]);
  });

  it.runIf(kind === 'sqlite')('one post\'s images share one deadline: slow servers cannot hold the fetch slots for minutes', async () => {
    const quick = await startApp('sqlite', { env: { RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS: 'localhost' }, linkPreviewTimeoutMs: 10_000, attachmentImageTaskMs: 400 });
    try {
      const dan = await registerUser(quick.api, 'dan');
      const team = await createTeam(quick.api, dan);
      const ch = await createChannel(quick.api, dan, team.id, 'public');
      const created = await quick.api.post('/api/v1/hooks/incoming', { channel_id: ch.id }, dan.token);
      const heldBefore = held.length;
      const started = Date.now();
      const slow = [1, 2, 3].map((n) => ({ title: `slow ${n}`, image_url: at(`/slow?case=deadline-${n}`) }));
      expect((await quick.api.post(`/hooks/${created.body.token}`, { attachments: slow })).status).toBe(200);
      await quick.app.services.attachmentImages.idle();
      // The first never answered; the deadline ended the task long before its own 10 s timeout, and the others were never asked for.
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(hits.filter((h) => h.startsWith('/slow?case=deadline-'))).toEqual(['/slow?case=deadline-1']);
      const post = (await quick.api.get(`/api/v1/channels/${ch.id}/posts?limit=1`, dan.token)).body.messages[0] as PostView;
      expect(post.attachment_images).toEqual([]);
      for (const res of held.splice(heldBefore)) res.destroy();
    } finally {
      await quick.close();
    }
  });

  it('a client cannot set attachments (nor so name a stored image): the key is the server\'s', async () => {
    const res = await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: 'mine', props: { attachments: [{ image_url: at('/img.png?client=1') }] } }, bob.token);
    expect(res.status).toBe(422);
    await t.app.services.attachmentImages.idle();
    expect(hits).not.toContain('/img.png?client=1');
  });

  it.runIf(kind === 'sqlite')('RUSTCHAT_LINK_PREVIEWS=false: attachment images are not fetched either (they stay links)', async () => {
    const off = await startApp('sqlite', { env: { RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS: 'localhost', RUSTCHAT_LINK_PREVIEWS: 'false' } });
    try {
      const dan = await registerUser(off.api, 'dan');
      const team = await createTeam(off.api, dan);
      const ch = await createChannel(off.api, dan, team.id, 'public');
      const created = await off.api.post('/api/v1/hooks/incoming', { channel_id: ch.id }, dan.token);
      expect((await off.api.post(`/hooks/${created.body.token}`, { attachments: [{ title: 'x', image_url: at('/img.png?off=1') }] })).status).toBe(200);
      await off.app.services.attachmentImages.idle();
      expect(hits).not.toContain('/img.png?off=1');
      const post = (await off.api.get(`/api/v1/channels/${ch.id}/posts?limit=1`, dan.token)).body.messages[0] as PostView;
      expect(post.attachment_images).toEqual([]);
      expect((await off.api.get(`/api/v1/posts/${post.id}/attachments/0/image`, dan.token)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
