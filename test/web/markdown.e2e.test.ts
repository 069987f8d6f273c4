/**
 * Message Markdown in the web client end to end: the built client served by a real RustChat
 * (embedded SQLite, real listener) under its strict CSP, driven by the system Chromium. Alice
 * writes a message with bold text, a list, a TypeScript code block, an emoji shortcode, a
 * mention, a ~channel link, and two hostile bits (a javascript: link and a remote image). Bob
 * sees it rendered live: strong, list items, highlighted code coloured by the stylesheet, 🎉,
 * the mention, no script link and no request for the image. The ~channel link opens that
 * channel in place. The server kept the raw text.
 */
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { cspViolationsIn, openPage, postWith, type PageWatch, startBrowserApp, type BrowserApp, signInToTeam } from './browser.js';

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
  readonly requests: string[];
}

async function signedIn(u: TestUser, teamName: string, path: string): Promise<Person> {
  const requests: string[] = [];
  const person = await openPage(browser, (ctx) => ctx.on('request', (r: Request) => requests.push(r.url())));
  await signInToTeam(person.page, baseUrl, u, teamName, path);
  return { ...person, requests };
}

describe('Markdown in the browser', () => {
  it('bold, a list, highlighted code and :tada: render as elements; hostile links and images do not', async () => {
    const alice = await registerUser(t.api, 'alice');
    const bob = await registerUser(t.api, 'bob');
    const team = await createTeam(t.api, alice, 'invite');
    await addTeamMember(t.api, alice, team.id, bob);
    const channel = await createChannel(t.api, alice, team.id, 'public');
    const other = await createChannel(t.api, alice, team.id, 'public');
    await addChannelMember(t.api, alice, channel.id, bob);
    await addChannelMember(t.api, alice, other.id, bob);
    const channelPath = `/${team.name}/channels/${channel.name}`;

    const message = [
      `**bold words** for @${bob.username} :tada:`,
      '',
      '- first item',
      '- second item',
      '',
      '```ts',
      'const answer: number = 42;',
      '```',
      '',
      `see ~${other.name} and [click me](javascript:alert(1)) ![tracker](https://tracker.invalid/pixel.png)`,
    ].join('\n');

    const people: Person[] = [];
    try {
      const a = await signedIn(alice, team.name, channelPath);
      const b = await signedIn(bob, team.name, channelPath);
      people.push(a, b);
      const A = a.page;
      const B = b.page;
      await A.getByRole('heading', { name: `Channel ${channel.name}` }).waitFor(WAIT);
      await B.getByRole('heading', { name: `Channel ${channel.name}` }).waitFor(WAIT);

      const box = A.locator('#message-box');
      await box.fill(message);
      await box.press('Enter');

      // ---- Bob sees it arrive, rendered ----
      const post = postWith(B, 'bold words');
      const text = post.locator('.message-text');
      await text.locator('strong', { hasText: 'bold words' }).waitFor(WAIT);
      expect(await text.locator('li').allTextContents()).toEqual(['first item', 'second item']);
      const code = text.locator('pre > code.language-ts');
      // The highlighter is its own chunk, loaded for the first code block: the spans come then.
      const keyword = code.locator('span.hljs-keyword', { hasText: 'const' });
      await keyword.waitFor(WAIT);
      expect(await code.textContent()).toBe('const answer: number = 42;');
      expect(await code.getAttribute('class')).toBe('hljs language-ts');
      expect(await code.locator('span.hljs-number', { hasText: '42' }).count()).toBe(1);
      // The stylesheet colours it (class names only: the CSP allows no inline style).
      const [keywordColor, codeColor] = await B.evaluate<[string, string]>(`(() => {
        const kw = document.querySelector('main .message-text pre > code.language-ts span.hljs-keyword');
        return [getComputedStyle(kw).color, getComputedStyle(kw.closest('code')).color];
      })()`);
      expect(keywordColor).not.toBe(codeColor);
      expect(await text.locator('span.emoji[title=":tada:"]').textContent()).toBe('🎉');
      expect(await text.locator('.mention.mention-me').textContent()).toBe(`@${bob.username}`);

      // The hostile parts stay text: no javascript: link, no image, and the image was never asked for.
      expect(await text.locator('a[href^="javascript" i]').count()).toBe(0);
      expect(await text.textContent()).toContain('[click me](javascript:alert(1))');
      expect(await text.locator('img').count()).toBe(0);
      const imageLink = text.locator('a.image-link', { hasText: 'tracker' });
      expect(await imageLink.getAttribute('href')).toBe('https://tracker.invalid/pixel.png');
      expect(await imageLink.getAttribute('rel')).toBe('noopener noreferrer nofollow');
      expect(await imageLink.getAttribute('target')).toBe('_blank');
      expect([...a.requests, ...b.requests].filter((u) => u.includes('tracker.invalid'))).toEqual([]);

      // ---- The server stored the raw text ----
      const stored = await t.api.get(`/api/v1/channels/${channel.id}/posts`, bob.token);
      expect(JSON.stringify(stored.body)).toContain(JSON.stringify(message).slice(1, -1));

      // ---- The ~channel link opens that channel in place (no page load) ----
      await B.evaluate('window.__sameDocument = true');
      await text.locator('a.channel-mention', { hasText: `~${other.name}` }).click();
      await B.getByRole('heading', { name: `Channel ${other.name}` }).waitFor(WAIT);
      expect(new URL(B.url()).pathname).toBe(`/${team.name}/channels/${other.name}`);
      expect(await B.evaluate('window.__sameDocument === true')).toBe(true);

      for (const p of people) {
        expect(await cspViolationsIn(p.page)).toEqual([]);
        expect(p.watch.cspViolations).toEqual([]);
        expect(p.watch.pageErrors).toEqual([]);
      }
    } finally {
      for (const p of people) await p.ctx.close();
    }
  });
});
