/**
 * The web client's components in the system Chromium without a server: the harness page
 * (web/harness/harness.tsx) shows the real ChannelView with 200 messages on the real store,
 * engine and contexts, beside a sidebar and team rail with unread badges.
 *
 * - Message rows re-render only when what they show changes: row renders are counted per
 *   commit through React's DevTools hook (web/harness/devtools-hook.ts). Someone typing must
 *   render O(1) rows, not 200: without the memoized rows (or with rows reading the state
 *   context) every event re-renders the whole history.
 * - Badges are readable: the number's colour against the badge's, in light and dark mode.
 */
import { readFile, rm } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, launchChromium, openPage } from './browser.js';

const ORIGIN = 'http://harness.invalid';
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

let outDir: string;
let browser: Browser;
let page: Page;

interface Rows {
  renders: number;
  mounted: number;
}

/** WCAG contrast ratio of an element's text colour against its own background colour. */
const CONTRAST = `(el) => {
  const rgb = (c) => c.match(/[0-9.]+/g).slice(0, 3).map(Number);
  const lum = (c) => { const [r, g, b] = rgb(c).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const s = getComputedStyle(el);
  const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}`;

const rows = (): Promise<Rows> => page.evaluate('({ renders: window.harness.rows.renders, mounted: window.harness.rows.mounted })');

beforeAll(async () => {
  [outDir, browser] = await Promise.all([buildClient('harness'), launchChromium()]);
  ({ page } = await openPage(browser));
  // The built files straight from disk: no server needed.
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = normalize(new URL(route.request().url()).pathname).replace(/^\/+/, '');
    const file = join(outDir, path === '' ? 'index.html' : path);
    if (!file.startsWith(outDir)) return route.fulfill({ status: 404 });
    try {
      return await route.fulfill({ status: 200, body: await readFile(file), contentType: TYPES[extname(file)] ?? 'application/octet-stream' });
    } catch {
      return route.fulfill({ status: 404 });
    }
  });
  await page.goto(`${ORIGIN}/index.html`);
  await page.locator('article.post').nth(199).waitFor();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

describe('message rows', () => {
  it('someone typing re-renders no row; a new message renders only itself', async () => {
    const first = await rows();
    expect(first.mounted).toBe(200); // the counter sees every row
    expect(first.renders).toBeGreaterThanOrEqual(200); // and counted their first render

    await page.evaluate('window.harness.rows.reset()');
    await page.evaluate("window.harness.typing('u2')");
    await page.getByText('Bea is typing…').waitFor();
    await page.evaluate("window.harness.typing('u3')");
    await page.getByText('Bea and Cem are typing…').waitFor();
    expect((await rows()).renders).toBe(0);

    // Bea's message ends her typing and adds one row; the 200 rows above stay as they were.
    await page.evaluate("window.harness.posted(201, 'u2')");
    await page.getByText('Cem is typing…').waitFor();
    await page.locator('article.post').nth(200).waitFor();
    const after = await rows();
    expect(after.mounted).toBe(201);
    expect(after.renders).toBe(1);
  });
});

describe('badges', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`mention and unread counts are readable (${scheme})`, async () => {
      await page.emulateMedia({ colorScheme: scheme });
      for (const kind of ['mention', 'team-mention', 'unread']) {
        const ratio = await page.evaluate<number>(`(${CONTRAST})(document.querySelector('[data-badge="${kind}"] .badge'))`);
        expect(ratio, `${kind} badge contrast`).toBeGreaterThanOrEqual(4.5);
      }
      // A mention of me in a message keeps its own highlight.
      expect(await page.evaluate<string>("getComputedStyle(document.querySelector('article.post .mention-me')).backgroundColor")).not.toBe('rgba(0, 0, 0, 0)');
    });
  }
});
