/**
 * Link previews in the web client: Alice types a message with a link to a page (served here,
 * allow-listed as `localhost`); Bob sees the preview card appear under it live (site, title,
 * description and the image, loaded from the server's own access-checked path, never from the
 * page's site); Alice removes it with × and it goes from both screens. Under the served strict
 * CSP, with the page's site receiving no request from either browser.
 */
import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { type TestUser, twoInAChannel } from '../helpers/factories.js';
import { png } from '../helpers/uploads.js';
import { cspViolationsIn, openPage, postWith, type PageWatch, startBrowserApp, type BrowserApp, signInToTeam, loadedImageWidth } from './browser.js';

const WAIT = { timeout: 30_000 };

let app: BrowserApp | undefined;
let t: TestApp;
let baseUrl: string;
let browser: Browser;
let site: Server;
let sitePort = 0;
const siteRequests: { url: string; agent: string }[] = [];

beforeAll(async () => {
  const image = await png(800, 400, '#2e86c1');
  site = createServer((req, res) => {
    siteRequests.push({ url: req.url ?? '', agent: String(req.headers['user-agent'] ?? '') });
    if (req.url === '/article') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><head><title>fallback</title>
        <meta property="og:title" content="Ship it on Friday"><meta property="og:description" content="Why small releases are calm releases.">
        <meta property="og:site_name" content="The Release Blog"><meta property="og:image" content="/cover.png"></head><body></body></html>`);
    } else if (req.url === '/cover.png') {
      res.writeHead(200, { 'content-type': 'image/png' }).end(image);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  sitePort = (site.address() as { port: number }).port;
  app = await startBrowserApp({ env: { RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS: 'localhost' } });
  ({ t, baseUrl, browser } = app);
}, 300_000);

afterAll(async () => {
  await app?.close();
  site?.closeAllConnections();
  await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
});

interface Person {
  readonly ctx: BrowserContext;
  readonly page: Page;
  readonly watch: PageWatch;
}

async function signedIn(u: TestUser, teamName: string, path: string): Promise<Person> {
  const person = await openPage(browser);
  await signInToTeam(person.page, baseUrl, u, teamName, path);
  return person;
}

describe('link previews in the browser', () => {
  it('a sent link gets a card for everyone in the channel; its author removes it with ×', async () => {
    const { alice, bob, team, channel } = await twoInAChannel(t.api, 'private');
    const channelPath = `/${team.name}/channels/${channel.name}`;
    const people: Person[] = [];
    try {
      const a = await signedIn(alice, team.name, channelPath);
      const b = await signedIn(bob, team.name, channelPath);
      people.push(a, b);
      const [A, B] = [a.page, b.page];
      await A.getByRole('heading', { name: `Channel ${channel.name}` }).waitFor(WAIT);
      await B.getByRole('heading', { name: `Channel ${channel.name}` }).waitFor(WAIT);
      const link = `http://localhost:${sitePort}/article`;
      const box = A.locator('#message-box');
      await box.fill(`worth a read: ${link}`);
      await box.press('Enter');

      // Bob: the card arrives by itself (the post_edited event), with the stored image.
      const card = postWith(B, 'worth a read').getByRole('group', { name: 'Link preview: Ship it on Friday' });
      await card.waitFor(WAIT);
      expect(await card.locator('.link-preview-site').textContent()).toBe('The Release Blog');
      expect(await card.getByRole('link', { name: 'Ship it on Friday' }).getAttribute('href')).toBe(link);
      expect(await card.locator('.link-preview-description').textContent()).toBe('Why small releases are calm releases.');
      const img = card.locator('img.link-preview-image');
      const src = (await img.getAttribute('src'))!;
      expect(src).toMatch(/^\/api\/v1\/posts\/[0-9a-f-]{36}\/preview\/image\?v=\d+$/);
      expect(await loadedImageWidth(B, 'main img.link-preview-image')).toBe(600);
      // Bob cannot remove Alice's preview; the browsers never reached the page's site (only the server did).
      expect(await card.getByRole('button', { name: 'Remove link preview' }).count()).toBe(0);
      expect(siteRequests.map((r) => r.url).sort()).toEqual(['/article', '/cover.png']);
      expect(siteRequests.every((r) => r.agent.startsWith('RustChat-LinkPreview/'))).toBe(true);

      // Alice removes it: gone from both screens.
      const mine = postWith(A, 'worth a read').getByRole('group', { name: 'Link preview: Ship it on Friday' });
      await mine.waitFor(WAIT);
      await mine.getByRole('button', { name: 'Remove link preview' }).click();
      await mine.waitFor({ state: 'detached', timeout: 30_000 });
      await card.waitFor({ state: 'detached', timeout: 30_000 });
      expect(await postWith(B, 'worth a read').count()).toBe(1);

      for (const person of people) {
        expect(person.watch.pageErrors).toEqual([]);
        expect(person.watch.cspViolations).toEqual([]);
        expect(await cspViolationsIn(person.page)).toEqual([]);
      }
    } finally {
      for (const person of people) await person.ctx.close();
    }
  });
});
