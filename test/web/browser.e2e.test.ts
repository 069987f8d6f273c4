/**
 * The web client end to end: the built client served by a real RustChat (embedded SQLite,
 * real listener) and driven by the system Chromium. Two people in two browser contexts sign
 * up, share a team, talk, react, reply in a thread and watch unread badges come and go.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSP } from '../../src/http/server.js';
import type { TestApp } from '../helpers/app.js';
import { createChannel, createPost, createTeam, registerUser } from '../helpers/factories.js';
import { PASSWORD, channelLink, cspViolationsIn, openPage, postWith, signUp, storedToken, type PageWatch, startBrowserApp, type BrowserApp } from './browser.js';

/**
 * With the WebSocket gateway (`/api/v1/ws`) the scenario asserts live delivery, typing
 * indicators and live badges. Setting this to false runs the same scenario with reloads,
 * which is how to tell a real-time regression from a REST one.
 */
const REALTIME_GATEWAY = true;

// Generous: the machine is shared with other test runs.
const WAIT = { timeout: 30_000 };

let app: BrowserApp | undefined;
let t: TestApp;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  app = await startBrowserApp();
  ({ t, baseUrl, browser } = app);
}, 300_000);

afterAll(async () => app?.close());

const newPerson = (): Promise<{ ctx: BrowserContext; page: Page; watch: PageWatch }> => openPage(browser);

/** Until the gateway lands: reload to see what others did. With it: nothing to do. */
async function catchUp(page: Page): Promise<void> {
  if (!REALTIME_GATEWAY) await page.reload();
}

describe('served client', () => {
  it('serves index.html and every asset with the strict CSP and no inline script', async () => {
    const res = await fetch(`${baseUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    // Every <script> has a same-origin src: nothing inline for the CSP to refuse.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(body!.trim()).toBe('');
      expect(attrs).toMatch(/\bsrc="\/assets\/[^"]+\.js"/);
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i); // no inline event handlers
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const r = await fetch(`${baseUrl}${asset}`);
      expect(r.status, asset).toBe(200);
      expect(r.headers.get('content-security-policy'), asset).toBe(CSP);
      expect(r.headers.get('content-type'), asset).toMatch(asset.endsWith('.js') ? /javascript/ : /text\/css/);
      const body = await r.text();
      // No eval-like constructs that `script-src 'self'` would block at run time.
      if (asset.endsWith('.js')) expect(body).not.toMatch(/\bnew Function\(|\beval\(/);
      // No external URLs to fetch fonts or styles from.
      if (asset.endsWith('.css')) expect(body).not.toMatch(/url\((?!["']?(?:\/|data:))/);
    }
  });

  it('answers client-side routes with index.html, and unknown API routes with JSON 404', async () => {
    const route = await fetch(`${baseUrl}/some-team/channels/town-square`);
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<div id="root"></div>');
    expect(route.headers.get('content-security-policy')).toBe(CSP);
    const api = await fetch(`${baseUrl}/api/v1/nope`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('the browser enforces the served CSP: the app runs, an injected inline script does not (and is reported)', async () => {
    const { ctx, page, watch } = await newPerson();
    try {
      await page.goto(`${baseUrl}/`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      expect(await cspViolationsIn(page)).toEqual([]);
      // What an XSS would try: an inline script and an inline event handler. Both must be refused.
      await page.evaluate(`(() => {
        window.__inlineRan = 0;
        const s = document.createElement('script');
        s.textContent = 'window.__inlineRan += 1';
        document.body.appendChild(s);
        const img = document.createElement('img');
        img.setAttribute('onerror', 'window.__inlineRan += 1');
        img.src = 'data:,not-an-image';
        document.body.appendChild(img);
      })()`);
      await expect.poll(() => cspViolationsIn(page), { timeout: 10_000 }).toHaveLength(2);
      expect(await page.evaluate<number>('window.__inlineRan')).toBe(0);
      await expect.poll(() => watch.cspViolations.length, { timeout: 10_000 }).toBeGreaterThan(0);
    } finally {
      await ctx.close();
    }
  }, 120_000);

  it('shows SSO errors and refuses an unknown exchange code without leaving it in the address bar', async () => {
    const { ctx, page, watch } = await newPerson();
    try {
      await page.goto(`${baseUrl}/login?error=idp_access_denied`);
      await page.getByText('Sign-in was cancelled or refused at the identity provider.').waitFor(WAIT);
      expect(new URL(page.url()).search).toBe('');
      // Not one of the server's codes: the generic sentence.
      await page.goto(`${baseUrl}/login?error=access_denied`);
      await page.getByText('Single sign-on did not work. Please try again.').waitFor(WAIT);

      await page.goto(`${baseUrl}/login?code=not-a-real-code`);
      await page.getByText(/sign-in link has expired or was already used/i).waitFor(WAIT);
      expect(page.url()).toBe(`${baseUrl}/login`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      expect(watch.pageErrors).toEqual([]);
      expect(watch.cspViolations).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 120_000);
});

describe('history and sending', () => {
  async function signedIn() {
    const person = await newPerson();
    const u = await registerUser(t.api, 'hist');
    const team = await createTeam(t.api, u, 'open');
    const channel = await createChannel(t.api, u, team.id);
    await person.page.goto(`${baseUrl}/${team.name}/channels/${channel.name}`);
    await person.page.getByLabel('E-mail or username').fill(u.username);
    await person.page.getByLabel('Password').fill(u.password);
    await person.page.getByRole('button', { name: 'Sign in' }).click();
    await person.page.getByRole('navigation', { name: `Team ${team.name} channels` }).waitFor(WAIT);
    return { ...person, u, team, channel };
  }

  it('loads older messages page by page when scrolled to the top', async () => {
    const p = await signedIn();
    try {
      for (let i = 1; i <= 120; i++) await createPost(t.api, p.u, p.channel.id, `history message ${i}.`);
      await p.page.reload();
      await postWith(p.page, 'history message 120.').waitFor(WAIT);
      const posts = p.page.locator('main article.post');
      expect(await posts.count()).toBe(50); // one page
      expect(await postWith(p.page, 'history message 70.').count()).toBe(0);
      const log = p.page.getByRole('log', { name: /Messages in/ });
      // Opened at the newest message.
      expect(await log.evaluate((el) => Math.abs(el.scrollHeight - el.clientHeight - el.scrollTop) < 2)).toBe(true);

      await log.evaluate((el) => { el.scrollTop = 0; });
      await postWith(p.page, 'history message 70.').waitFor(WAIT);
      expect(await posts.count()).toBe(100);
      // The reader stays where they were: the page was added above, not scrolled to.
      expect(await log.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);

      await log.evaluate((el) => { el.scrollTop = 0; });
      await postWith(p.page, 'history message 1.').waitFor(WAIT);
      expect(await posts.count()).toBe(120);
      await p.page.getByText(/This is the very beginning of/).waitFor(WAIT);
      expect(p.watch.pageErrors).toEqual([]);
    } finally {
      await p.ctx.close();
    }
  }, 180_000);

  it('keeps a message whose send failed, and Retry posts it exactly once (same client_msg_id)', async () => {
    const p = await signedIn();
    try {
      await channelLink(p.page, p.channel.name).click();
      const box = p.page.getByRole('textbox', { name: /^Message #/ });
      // The server receives and stores the post, but the answer never reaches the browser.
      const postsUrl = `${baseUrl}/api/v1/channels/${p.channel.id}/posts`;
      let sent = 0;
      await p.page.route(postsUrl, async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        sent++;
        await route.fetch();
        await route.abort('connectionreset');
      });
      await box.fill('sent while the network flickered');
      await box.press('Enter');
      const failed = p.page.getByRole('article', { name: 'Message not sent' });
      if (REALTIME_GATEWAY) {
        // The post arrives over the WebSocket: it counts as sent, nothing to retry. (Wait for the
        // delivered post, not the outgoing copy shown while sending: that one is there at once.)
        await postWith(p.page, 'sent while the network flickered', 'main').and(p.page.locator('article.post:not(.outgoing)')).waitFor(WAIT);
        expect(await failed.count()).toBe(0);
      } else {
        await failed.getByText('Cannot reach the server. Check your connection and try again.').waitFor(WAIT);
        await p.page.unroute(postsUrl);
        await failed.getByRole('button', { name: 'Retry' }).click();
        await postWith(p.page, 'sent while the network flickered').waitFor(WAIT);
        await failed.waitFor({ state: 'detached', timeout: 30_000 });
      }
      expect(sent).toBe(1);
      expect(await postWith(p.page, 'sent while the network flickered').count()).toBe(1);
      const list = await t.api.get(`/api/v1/channels/${p.channel.id}/posts`, p.u.token);
      const same = list.body.messages.filter((m: { message: string }) => m.message === 'sent while the network flickered');
      expect(same).toHaveLength(1);
      expect(same[0].client_msg_id).toMatch(/^[0-9a-f-]{36}$/);

      // A send that never reaches the server: kept as "Message not sent"; Retry sends it again
      // with the same client_msg_id, and the server ends up with it once.
      await p.page.unroute(postsUrl);
      const attempts: string[] = [];
      let dropNext = true;
      await p.page.route(postsUrl, async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        attempts.push((route.request().postDataJSON() as { client_msg_id: string }).client_msg_id);
        if (dropNext) {
          dropNext = false;
          await route.abort('connectionreset');
        } else await route.continue();
      });
      await box.fill('lost on the way, then retried');
      await box.press('Enter');
      await failed.getByText('Cannot reach the server. Check your connection and try again.').waitFor(WAIT);
      await failed.getByRole('button', { name: 'Retry' }).click();
      await postWith(p.page, 'lost on the way, then retried', 'main').and(p.page.locator('article.post:not(.outgoing)')).waitFor(WAIT);
      await failed.waitFor({ state: 'detached', timeout: 30_000 });
      expect(attempts).toHaveLength(2);
      expect(attempts[1]).toBe(attempts[0]);
      const after = await t.api.get(`/api/v1/channels/${p.channel.id}/posts`, p.u.token);
      const retried = after.body.messages.filter((m: { message: string }) => m.message === 'lost on the way, then retried');
      expect(retried).toHaveLength(1);
      expect(retried[0].client_msg_id).toBe(attempts[0]);
    } finally {
      await p.ctx.close();
    }
  }, 120_000);

  it('works from the keyboard: skip link, Enter to send, Tab to a message\'s actions, react', async () => {
    const p = await signedIn();
    const page = p.page;
    const focused = () => page.evaluate<string>("document.activeElement ? (document.activeElement.getAttribute('aria-label') || document.activeElement.id || document.activeElement.tagName) : ''");
    try {
      await page.getByRole('textbox', { name: /^Message #/ }).waitFor(WAIT);
      // The skip link is the first stop on the page, just before the team rail.
      await page.locator('.team-rail a').first().focus();
      await page.keyboard.press('Shift+Tab');
      expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('Skip to message box');
      await page.keyboard.press('Enter');
      expect(await focused()).toBe('message-box');
      await page.keyboard.type('typed without a mouse');
      await page.keyboard.press('Enter');
      // The delivered post, not its "Sending…" placeholder (which has no toolbar yet).
      const mine = postWith(page, 'typed without a mouse').and(page.locator('article.post:not(.outgoing)'));
      await mine.waitFor(WAIT);
      // Backwards from the message box into the last message's toolbar.
      let label = '';
      for (let i = 0; i < 10 && label !== 'Add reaction'; i++) {
        await page.keyboard.press('Shift+Tab');
        label = await focused();
      }
      expect(label).toBe('Add reaction');
      expect(await mine.locator('.post-actions').evaluate((el) => (el.ownerDocument.defaultView as any).getComputedStyle(el).opacity as string)).toBe('1');
      await page.keyboard.press('Enter');
      expect(await focused()).toBe('React with +1');
      await page.keyboard.press('Enter');
      await mine.getByRole('button', { name: /^\+1: 1 \(you\)/ }).waitFor(WAIT);
    } finally {
      await p.ctx.close();
    }
  }, 120_000);

  it('a session ended elsewhere sends the browser back to sign-in, with the reason', async () => {
    const p = await signedIn();
    try {
      await p.page.getByRole('textbox', { name: /^Message #/ }).waitFor(WAIT);
      const token = await storedToken(p.page);
      expect(token).not.toBeNull();
      expect((await t.api.post('/api/v1/auth/logout', undefined, token!)).status).toBe(200);
      if (!REALTIME_GATEWAY) {
        // Without the socket, the next request discovers the ended session.
        const box = p.page.getByRole('textbox', { name: /^Message #/ });
        await box.fill('are you still there?');
        await box.press('Enter');
      }
      // With it, the server closes the socket (1008) and the page leaves at once.
      await p.page.getByText('Your session has ended. Please sign in again.').waitFor(WAIT);
      await p.page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      expect(new URL(p.page.url()).pathname).toBe('/login');
      expect(await storedToken(p.page)).toBeNull();
    } finally {
      await p.ctx.close();
    }
  }, 120_000);
});

describe('two people chatting in the browser', () => {
  it('sign up, team, messages, reactions, threads, unread badges, edit, delete, sign out and in', async () => {
    const alice = await newPerson();
    const bob = await newPerson();
    const A = alice.page;
    const B = bob.page;
    try {
      // ---- sign up: a weak password is refused with the policy's words ----
      await A.goto(`${baseUrl}/`);
      await A.getByRole('button', { name: 'Create an account' }).click();
      await A.getByText(/At least 8 characters/).waitFor(WAIT);
      await A.getByLabel('Username').fill('alice');
      await A.getByLabel('E-mail').fill('alice@example.com');
      await A.getByLabel('Password').fill('password');
      await A.getByRole('button', { name: 'Create account' }).click();
      await A.getByText('This password is too common; choose another').waitFor(WAIT);
      await A.getByLabel('Display name').fill('Alice Liddell');
      await A.getByLabel('Password').fill(PASSWORD);
      await A.getByRole('button', { name: 'Create account' }).click();
      await A.getByRole('heading', { name: 'Welcome, Alice Liddell' }).waitFor(WAIT);
      // The token lives in sessionStorage, never in the URL.
      expect(await storedToken(A)).toMatch(/^ey/);
      expect(A.url()).not.toMatch(/token|ey[A-Za-z0-9_-]{20}/);

      // ---- a team; its town square opens ----
      await A.getByLabel('Team name').fill('Web Team');
      await A.getByRole('button', { name: 'Create team' }).click();
      await A.getByRole('heading', { name: '# Town Square' }).waitFor(WAIT);
      expect(new URL(A.url()).pathname).toBe('/web-team/channels/town-square');

      await signUp(B, baseUrl, 'bob', 'Bob Builder');
      await B.getByRole('heading', { name: 'Welcome, Bob Builder' }).waitFor(WAIT);

      // ---- Alice adds Bob to the team ----
      await A.getByRole('button', { name: 'Add people' }).first().click();
      const addDialog = A.getByRole('dialog', { name: 'Add people to Web Team' });
      await addDialog.getByLabel('Find people to add').fill('bob');
      await addDialog.getByRole('button', { name: 'Add Bob Builder' }).click();
      await addDialog.getByText('Added 1 person.').waitFor(WAIT);
      await addDialog.getByRole('button', { name: 'Done' }).click();

      // ---- a second channel; Bob finds and joins it ----
      await A.getByRole('button', { name: 'Create a channel' }).click();
      const create = A.getByRole('dialog', { name: /Create a channel/ });
      await create.getByLabel('Channel name').fill('Design');
      await create.getByRole('button', { name: 'Create channel' }).click();
      await A.getByRole('heading', { name: '# Design' }).waitFor(WAIT);
      await channelLink(A, 'town-square').click();
      await A.getByRole('heading', { name: '# Town Square' }).waitFor(WAIT);

      await catchUp(B);
      if (REALTIME_GATEWAY) await B.reload(); // being added to a team does not move Bob's screen
      await B.getByRole('heading', { name: '# Town Square' }).waitFor(WAIT);
      await B.getByRole('button', { name: 'Browse channels' }).click();
      const browse = B.getByRole('dialog', { name: 'Browse channels' });
      await browse.getByRole('button', { name: 'Join Design' }).click();
      await B.getByRole('heading', { name: '# Design' }).waitFor(WAIT);

      // ---- Alice posts (Enter sends, Shift+Enter is a new line) and mentions Bob ----
      const composer = A.getByRole('textbox', { name: 'Message #Town Square' });
      await composer.pressSequentially('Hello @bo');
      // @-mention autocomplete: Tab takes the highlighted person.
      await A.getByRole('option', { name: /@bob Bob Builder/ }).waitFor(WAIT);
      await composer.press('Tab');
      expect(await composer.inputValue()).toBe('Hello @bob ');
      await composer.pressSequentially('welcome!');
      await composer.press('Shift+Enter');
      await composer.pressSequentially('Second line');
      expect(await composer.inputValue()).toBe('Hello @bob welcome!\nSecond line');
      await composer.press('Enter');
      const hello = postWith(A, 'Hello @bob welcome!');
      await hello.waitFor(WAIT);
      expect(await composer.inputValue()).toBe('');
      expect(await hello.locator('.message-text').innerText()).toBe('Hello @bob welcome!\nSecond line');

      // ---- Bob, in Design, gets an unread mention badge on Town Square ----
      await catchUp(B);
      await B.getByRole('heading', { name: '# Design' }).waitFor(WAIT);
      await B.locator('a.channel-link.unread[data-channel="town-square"]').waitFor(WAIT);
      expect(await channelLink(B, 'town-square').getAttribute('aria-label')).toBe('Town Square, 1 unread, 1 mention');
      expect(await channelLink(B, 'town-square').locator('.badge.mention').innerText()).toBe('1');

      // ---- opening the channel shows the message (mention highlighted) and clears the badge ----
      const markedRead = B.waitForResponse((r) => r.request().method() === 'POST' && /\/api\/v1\/channels\/[^/]+\/read$/.test(r.url()));
      await channelLink(B, 'town-square').click();
      expect((await markedRead).status()).toBe(200);
      const bobsView = postWith(B, 'Hello @bob welcome!');
      await bobsView.waitFor(WAIT);
      expect(await bobsView.locator('.mention-me').innerText()).toBe('@bob');
      expect(await bobsView.locator('.author').innerText()).toBe('Alice Liddell');
      await B.locator('.unread-separator').waitFor(WAIT);
      expect(await channelLink(B, 'town-square').getAttribute('aria-label')).toBe('Town Square');
      // …and the server agrees: after a reload elsewhere, still read.
      await channelLink(B, 'design').click();
      await B.getByRole('heading', { name: '# Design' }).waitFor(WAIT);
      await B.reload();
      await B.getByRole('heading', { name: '# Design' }).waitFor(WAIT);
      await channelLink(B, 'town-square').waitFor(WAIT);
      expect(await channelLink(B, 'town-square').getAttribute('aria-label')).toBe('Town Square');
      expect(await B.locator('a.channel-link.unread').count()).toBe(0);

      // ---- Bob reacts and replies in a thread ----
      await channelLink(B, 'town-square').click();
      await bobsView.hover();
      await bobsView.getByRole('button', { name: 'Add reaction' }).click();
      await bobsView.getByRole('button', { name: 'React with +1' }).click();
      const bobsReaction = bobsView.getByRole('button', { name: /^\+1: 1 \(you\)/ });
      await bobsReaction.waitFor(WAIT);
      expect(await bobsReaction.getAttribute('aria-pressed')).toBe('true');

      await bobsView.hover();
      await bobsView.getByRole('button', { name: 'Reply in thread' }).click();
      const thread = B.getByRole('complementary', { name: 'Thread' });
      await postWith(B, 'Hello @bob welcome!', 'aside').waitFor(WAIT);
      const reply = thread.getByRole('textbox', { name: 'Reply to thread' });
      await reply.fill('Thanks Alice, glad to be here');
      await reply.press('Enter');
      await postWith(B, 'Thanks Alice, glad to be here', 'aside').waitFor(WAIT);
      await bobsView.getByRole('button', { name: '1 reply' }).waitFor(WAIT);

      // ---- Alice sees the reaction and the reply ----
      await catchUp(A);
      await hello.getByRole('button', { name: /^\+1: 1 \(Bob Builder\)/ }).waitFor(WAIT);
      await hello.getByRole('button', { name: '1 reply' }).click();
      await postWith(A, 'Thanks Alice, glad to be here', 'aside').waitFor(WAIT);
      // Alice's own +1 makes two; clicking again takes it back.
      const plusOne = hello.getByRole('button', { name: /^\+1: 1/ });
      await plusOne.click();
      await hello.getByRole('button', { name: /^\+1: 2/ }).waitFor(WAIT);
      await hello.getByRole('button', { name: /^\+1: 2/ }).click();
      await hello.getByRole('button', { name: /^\+1: 1 \(Bob Builder\)/ }).waitFor(WAIT);

      // ---- edit and pin her message, post and delete another ----
      await A.getByRole('button', { name: 'Close thread' }).click();
      const helloId = await hello.getAttribute('data-post-id');
      const edited = A.locator(`main article.post[data-post-id="${helloId}"]`);
      await edited.hover();
      await edited.getByRole('button', { name: 'Edit message' }).click();
      const edit = edited.getByRole('textbox', { name: 'Edit message' });
      await edit.fill('Hello @bob, welcome aboard!');
      await edit.press('Enter');
      await edited.locator('.edited').waitFor(WAIT);
      expect(await edited.locator('.message-text').innerText()).toBe('Hello @bob, welcome aboard!');
      await edited.hover();
      await edited.getByRole('button', { name: 'Pin message' }).click();
      await edited.locator('.pin-flag').waitFor(WAIT);
      await A.getByRole('button', { name: 'Pinned' }).click();
      await postWith(A, 'welcome aboard', 'aside').waitFor(WAIT);
      await A.getByRole('button', { name: 'Close pinned messages' }).click();

      await composer.fill('a message to delete');
      await composer.press('Enter');
      const doomed = postWith(A, 'a message to delete');
      await doomed.waitFor(WAIT);
      await doomed.hover();
      await doomed.getByRole('button', { name: 'Delete message' }).click();
      await A.getByRole('dialog', { name: 'Delete message' }).getByRole('button', { name: 'Delete' }).click();
      await doomed.waitFor({ state: 'detached', timeout: 30_000 });
      await A.reload();
      await postWith(A, 'welcome aboard').waitFor(WAIT);
      expect(await postWith(A, 'a message to delete').count()).toBe(0);

      // ---- the member list of the channel, with a way to message each person ----
      await A.getByRole('button', { name: 'Members' }).click();
      const members = A.getByRole('complementary', { name: 'Members' });
      await members.getByRole('list', { name: 'Channel members' }).getByText('Bob Builder').waitFor(WAIT);
      expect(await members.getByRole('listitem').count()).toBe(2);
      await members.getByRole('button', { name: 'Message Bob Builder' }).waitFor(WAIT);
      await A.getByRole('button', { name: 'Close members' }).click();

      // ---- a direct message from Bob shows up for Alice with an unread badge ----
      await B.getByRole('button', { name: 'New direct message' }).click();
      const dm = B.getByRole('dialog', { name: 'New direct message' });
      await dm.getByLabel('Find a person').fill('alice');
      await dm.getByRole('button', { name: 'Message Alice Liddell' }).click();
      await B.getByRole('heading', { name: /Alice Liddell/ }).waitFor(WAIT);
      const dmBox = B.getByRole('textbox', { name: 'Message Alice Liddell' });
      await dmBox.fill('psst, a private word');
      await dmBox.press('Enter');
      await postWith(B, 'psst, a private word').waitFor(WAIT);
      await catchUp(A);
      // The conversation can reach the sidebar a moment before its unread count: wait for the
      // label rather than reading it once.
      const aliceDm = A.locator('a.channel-link[aria-label^="Bob Builder, 1 unread"]');
      await aliceDm.waitFor(WAIT);
      await aliceDm.click();
      await postWith(A, 'psst, a private word').waitFor(WAIT);

      // ---- sign out; a wrong password is refused; sign in with the username ----
      await B.getByRole('button', { name: 'Sign out' }).click();
      await B.getByText('You have signed out.').waitFor(WAIT);
      expect(await storedToken(B)).toBeNull();
      await B.getByLabel('E-mail or username').fill('bob');
      await B.getByLabel('Password').fill('not the password');
      await B.getByRole('button', { name: 'Sign in' }).click();
      await B.getByRole('alert').filter({ hasText: 'Invalid email or password' }).waitFor(WAIT);
      await B.getByLabel('Password').fill(PASSWORD);
      await B.getByRole('button', { name: 'Sign in' }).click();
      await B.getByRole('navigation', { name: 'Web Team channels' }).waitFor(WAIT);

      for (const person of [alice, bob]) {
        expect(person.watch.pageErrors).toEqual([]);
        expect(person.watch.cspViolations).toEqual([]);
        expect(await cspViolationsIn(person.page)).toEqual([]);
      }
    } catch (err) {
      const shots = join(tmpdir(), `rustchat-e2e-${Date.now()}`);
      await A.screenshot({ path: `${shots}-alice.png` }).catch(() => undefined);
      await B.screenshot({ path: `${shots}-bob.png` }).catch(() => undefined);
      console.log(`screenshots: ${shots}-{alice,bob}.png`);
      console.log('alice console:\n', alice.watch.console.join('\n'), '\nbob console:\n', bob.watch.console.join('\n'));
      throw err;
    } finally {
      await alice.ctx.close();
      await bob.ctx.close();
    }
  }, 300_000);

  it.runIf(REALTIME_GATEWAY)('delivers messages, typing, reactions and badges live over the WebSocket', async () => {
    const carol = await newPerson();
    const dave = await newPerson();
    const C = carol.page;
    const D = dave.page;
    try {
      await signUp(C, baseUrl, 'carol', 'Carol');
      await C.getByLabel('Team name').fill('Live Team');
      await C.getByRole('button', { name: 'Create team' }).click();
      await C.getByRole('heading', { name: '# Town Square' }).waitFor(WAIT);
      await signUp(D, baseUrl, 'dave', 'Dave');
      await D.getByRole('button', { name: 'Join Live Team' }).click();
      await D.getByRole('heading', { name: '# Town Square' }).waitFor(WAIT);
      await C.getByText('Connected', { exact: true }).waitFor(WAIT);
      await D.getByText('Connected', { exact: true }).waitFor(WAIT);

      // Typing shows on the other side, then the message arrives without a reload.
      const cBox = C.getByRole('textbox', { name: 'Message #Town Square' });
      await cBox.pressSequentially('live hello');
      await D.getByText('Carol is typing…').waitFor(WAIT);
      await cBox.press('Enter');
      const live = postWith(D, 'live hello');
      await live.waitFor(WAIT);

      // A reaction from Dave appears for Carol.
      await live.hover();
      await live.getByRole('button', { name: 'Add reaction' }).click();
      await live.getByRole('button', { name: 'React with tada' }).click();
      await postWith(C, 'live hello').getByRole('button', { name: /^tada: 1 \(Dave\)/ }).waitFor(WAIT);

      // A post in a channel Dave is not looking at gives him a badge at once.
      await C.getByRole('button', { name: 'Create a channel' }).click();
      await C.getByRole('dialog', { name: /Create a channel/ }).getByLabel('Channel name').fill('Ops');
      await C.getByRole('button', { name: 'Create channel' }).click();
      await C.getByRole('heading', { name: '# Ops' }).waitFor(WAIT);
      await C.getByRole('button', { name: 'Add people' }).nth(1).click();
      const add = C.getByRole('dialog', { name: 'Add people to Ops' });
      await add.getByLabel('Find people to add').fill('dave');
      await add.getByRole('button', { name: 'Add Dave' }).click();
      await add.getByRole('button', { name: 'Done' }).click();
      await channelLink(D, 'ops').waitFor(WAIT);
      const opsBox = C.getByRole('textbox', { name: 'Message #Ops' });
      await opsBox.fill('@dave ops needs you');
      await opsBox.press('Enter');
      await D.locator('a.channel-link.unread[data-channel="ops"] .badge.mention').waitFor(WAIT);
      await channelLink(D, 'ops').click();
      await postWith(D, 'ops needs you').waitFor(WAIT);
      await D.locator('a.channel-link.unread[data-channel="ops"]').waitFor({ state: 'detached', timeout: 30_000 });

      for (const person of [carol, dave]) {
        expect(person.watch.pageErrors).toEqual([]);
        expect(person.watch.cspViolations).toEqual([]);
      }
    } finally {
      await carol.ctx.close();
      await dave.ctx.close();
    }
  }, 300_000);

});
