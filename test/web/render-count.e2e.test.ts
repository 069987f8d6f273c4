/**
 * Message rows re-render only when what they show changes. The harness page
 * (web/harness/render-count.tsx) shows the real ChannelView with 200 messages on the real
 * store, engine and contexts, in the system Chromium, and counts row renders per commit
 * through React's DevTools hook (web/harness/devtools-hook.ts). Someone typing must render
 * O(1) rows, not 200: without the memoized rows (or with rows reading the state context)
 * every event re-renders the whole history.
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
