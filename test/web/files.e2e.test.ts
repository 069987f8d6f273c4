/**
 * Files in the web client end to end: the built client served by a real RustChat (embedded
 * SQLite, files on local disk, real listener) and driven by the system Chromium. Alice and Bob
 * share a private channel, Carol is in the team but not in it. Alice drops an image and picks
 * a text file (sent without a word); Bob sees both arrive live, opens the image's viewer and
 * downloads it; Carol gets 404 for the same URL. Alice's new profile picture replaces her
 * initials. All of it under the served strict CSP.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { cspViolationsIn, openPage, postWith, type PageWatch, startBrowserApp, type BrowserApp, signInToTeam, loadedImageWidth } from './browser.js';

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

interface Person {
  readonly ctx: BrowserContext;
  readonly page: Page;
  readonly watch: PageWatch;
}

/** Opens `path` signed out, signs in on the page it lands on, and waits for the team's sidebar. */
async function signedIn(u: TestUser, teamName: string, path: string): Promise<Person> {
  const person = await openPage(browser);
  await signInToTeam(person.page, baseUrl, u, teamName, path);
  return person;
}

/** The status and content type of a same-origin GET from the page, with its cookies (as an <img> or a link would). */
async function fetchFrom(page: Page, url: string): Promise<[number, string | null]> {
  return page.evaluate<[number, string | null]>(`fetch(${JSON.stringify(url)}, { credentials: 'same-origin' }).then((r) => [r.status, r.headers.get('content-type')])`);
}

describe('files in the browser', () => {
  it('drop an image and pick a file; the other member sees both live, views and downloads; an outsider gets 404', async () => {
    const alice = await registerUser(t.api, 'alice');
    const bob = await registerUser(t.api, 'bob');
    const carol = await registerUser(t.api, 'carol');
    const team = await createTeam(t.api, alice, 'invite');
    await addTeamMember(t.api, alice, team.id, bob);
    await addTeamMember(t.api, alice, team.id, carol);
    const channel = await createChannel(t.api, alice, team.id, 'private');
    await addChannelMember(t.api, alice, channel.id, bob);
    const channelPath = `/${team.name}/channels/${channel.name}`;

    const people: Person[] = [];
    let A: Page | undefined;
    let B: Page | undefined;
    try {
      const a = await signedIn(alice, team.name, channelPath);
      const b = await signedIn(bob, team.name, channelPath);
      const c = await signedIn(carol, team.name, `/${team.name}`);
      people.push(a, b, c);
      A = a.page;
      B = b.page;
      const C = c.page;
      await A.getByRole('heading', { name: `Channel ${channel.name}` }).waitFor(WAIT);
      await B.getByRole('heading', { name: `Channel ${channel.name}` }).waitFor(WAIT);
      const composer = A.locator('main form.composer');
      const box = A.locator('#message-box');

      // ---- Alice drops a PNG (drawn in the page) on the channel: it uploads at once ----
      const dropped = await A.evaluateHandle(`(async () => {
        const canvas = document.createElement('canvas');
        canvas.width = 64;
        canvas.height = 48;
        const g = canvas.getContext('2d');
        g.fillStyle = '#c0392b';
        g.fillRect(0, 0, 64, 48);
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
        const dt = new DataTransfer();
        dt.items.add(new File([blob], 'red-square.png', { type: 'image/png' }));
        return dt;
      })()`);
      await A.dispatchEvent('section.channel', 'dragenter', { dataTransfer: dropped });
      await A.locator('section.channel .drop-hint').waitFor(WAIT);
      await A.dispatchEvent('section.channel', 'dragover', { dataTransfer: dropped });
      await A.dispatchEvent('section.channel', 'drop', { dataTransfer: dropped });
      await A.locator('section.channel .drop-hint').waitFor({ state: 'detached', timeout: 30_000 });
      await composer.locator('.attachment[data-status="done"]', { hasText: 'red-square.png' }).waitFor(WAIT);
      await box.fill('a red square');
      await box.press('Enter');
      await postWith(A, 'a red square').and(A.locator('article.post:not(.outgoing)')).locator('img[src*="/preview"]').waitFor(WAIT);
      expect(await composer.locator('.attachment').count()).toBe(0);

      // ---- Bob sees the preview inline, without a reload, at the image's own size ----
      const bobsImagePost = postWith(B, 'a red square');
      const preview = bobsImagePost.getByRole('img', { name: 'red-square.png' });
      await preview.waitFor(WAIT);
      const previewSrc = (await preview.getAttribute('src'))!;
      expect(previewSrc).toMatch(/^\/api\/v1\/files\/[0-9a-f-]{36}\/preview$/);
      expect([await preview.getAttribute('width'), await preview.getAttribute('height')]).toEqual(['64', '48']);
      expect(await loadedImageWidth(B, `main img[src="${previewSrc}"]`)).toBe(64);

      // ---- the viewer: full size from /download, name, a download link that answers 200; Escape closes ----
      await bobsImagePost.getByRole('button', { name: 'Open image red-square.png' }).click();
      const viewer = B.getByRole('dialog', { name: 'red-square.png' });
      await viewer.waitFor(WAIT);
      const download = viewer.getByRole('link', { name: 'Download' });
      const downloadUrl = (await download.getAttribute('href'))!;
      expect(downloadUrl).toBe(previewSrc.replace(/\/preview$/, '/download'));
      expect(await download.getAttribute('download')).toBe('red-square.png');
      expect(await loadedImageWidth(B, `dialog img[src="${downloadUrl}"]`)).toBe(64);
      expect(await fetchFrom(B, downloadUrl)).toEqual([200, 'image/png']);
      await B.keyboard.press('Escape');
      await viewer.waitFor({ state: 'detached', timeout: 30_000 });

      // ---- Alice picks a text file with the file input and sends it without a word; Bob gets a card with its name and a download link ----
      await composer.locator('input[type="file"]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('meeting notes: ship files\n') });
      await composer.locator('.attachment[data-status="done"]', { hasText: 'notes.txt' }).waitFor(WAIT);
      expect(await box.inputValue()).toBe('');
      await box.press('Enter');
      const card = B.locator('main article.post .file-card', { hasText: 'notes.txt' });
      await card.waitFor(WAIT);
      const cardLink = card.getByRole('link', { name: 'Download notes.txt' });
      expect(await fetchFrom(B, (await cardLink.getAttribute('href'))!)).toEqual([200, expect.stringMatching(/^text\/plain/)]);

      // ---- an upload removed before sending is deleted on the server ----
      await composer.locator('input[type="file"]').setInputFiles({ name: 'draft.txt', mimeType: 'text/plain', buffer: Buffer.from('never mind') });
      await composer.locator('.attachment[data-status="done"]', { hasText: 'draft.txt' }).waitFor(WAIT);
      const deleted = A.waitForResponse((r) => r.request().method() === 'DELETE' && /\/api\/v1\/files\/[0-9a-f-]{36}$/.test(r.url()));
      await composer.getByRole('button', { name: 'Remove draft.txt' }).click();
      expect((await deleted).status()).toBe(200);
      await composer.locator('.attachment').first().waitFor({ state: 'detached', timeout: 30_000 });

      // ---- Bob's Files panel lists both posted files, with who sent them ----
      await B.getByRole('button', { name: 'Files', exact: true }).click();
      const panel = B.getByRole('complementary', { name: 'Files' });
      const list = panel.getByRole('list', { name: 'Channel files' });
      await list.getByRole('link', { name: 'Download notes.txt' }).waitFor(WAIT);
      expect(await list.getByRole('listitem').count()).toBe(2);
      expect(await list.getByRole('listitem').first().innerText()).toContain(alice.username);
      await B.getByRole('button', { name: 'Close files' }).click();

      // ---- Carol, in the team but not in the channel, cannot fetch the image ----
      expect((await fetchFrom(C, downloadUrl))[0]).toBe(404);
      expect((await fetchFrom(C, previewSrc))[0]).toBe(404);

      // ---- Alice's picture replaces her initials on her messages ----
      await A.getByRole('button', { name: /^Profile and settings:/ }).click();
      await A.getByRole('button', { name: 'Change profile picture…' }).click();
      const profile = A.getByRole('dialog', { name: 'Your profile' });
      const picture = await sharp({ create: { width: 80, height: 80, channels: 3, background: '#2e86c1' } }).png().toBuffer();
      await profile.getByLabel('Profile picture').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: picture });
      await profile.getByText('Your picture is updated.').waitFor(WAIT);
      await profile.getByRole('button', { name: 'Done' }).click();
      const avatar = postWith(A, 'a red square').locator('img.avatar-image');
      await avatar.waitFor(WAIT);
      const avatarSrc = (await avatar.getAttribute('src'))!;
      expect(avatarSrc).toMatch(new RegExp(`^/api/v1/users/${alice.id}/avatar\\?v=\\d+&size=128$`));
      expect(await loadedImageWidth(A, `main img.avatar-image[src="${avatarSrc}"]`)).toBe(128);

      for (const person of people) {
        expect(person.watch.pageErrors).toEqual([]);
        expect(person.watch.cspViolations).toEqual([]);
        expect(await cspViolationsIn(person.page)).toEqual([]);
      }
    } catch (err) {
      const shots = join(tmpdir(), `rustchat-files-e2e-${Date.now()}`);
      await A?.screenshot({ path: `${shots}-alice.png` }).catch(() => undefined);
      await B?.screenshot({ path: `${shots}-bob.png` }).catch(() => undefined);
      console.log(`screenshots: ${shots}-{alice,bob}.png`);
      for (const [i, person] of people.entries()) console.log(`console of person ${i}:\n${person.watch.console.join('\n')}`);
      throw err;
    } finally {
      for (const person of people) await person.ctx.close();
    }
  }, 300_000);
});
