/**
 * Browser test helpers: build the web client with Vite into a temporary directory, start the
 * system Chromium (never a downloaded browser) through playwright-core, and the few page
 * steps every scenario needs.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { packageRoot } from '../../src/app.js';
import { startApp, type StartOptions, type TestApp } from '../helpers/app.js';

const run = promisify(execFile);

export const CHROMIUM = process.env.RUSTCHAT_TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Builds web/ (production mode) into a fresh temporary directory and returns it. `page` builds
 * another page of web/ instead (a directory with its own index.html, e.g. 'harness').
 */
export async function buildClient(page?: string): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'rustchat-web-'));
  const root = packageRoot();
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const pageRoot = page === undefined ? [] : [join(root, 'web', page)];
  // A child process, so that Vitest's own NODE_ENV=test cannot leak into the bundle.
  await run(process.execPath, [vite, 'build', ...pageRoot, '--config', join(root, 'web', 'vite.config.ts'), '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production' },
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (!existsSync(join(outDir, 'index.html'))) throw new Error(`vite build wrote no index.html into ${outDir}`);
  return outDir;
}

/**
 * The system Chromium, headless. Fails loudly (never skips) when it is not installed.
 * `extraArgs` add switches, e.g. `--host-resolver-rules` to give a loopback server a site name.
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}. Install it with "apt-get install -y chromium" (.ci/run does), or point RUSTCHAT_TEST_CHROMIUM at it.`);
  }
  // playwright gives every launch a fresh temporary --user-data-dir (it refuses one in args).
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 120_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', ...extraArgs],
  });
}

/** What a page printed that a test must look at: CSP violations and uncaught errors. */
export interface PageWatch {
  readonly cspViolations: string[];
  readonly pageErrors: string[];
  readonly console: string[];
}

export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { cspViolations: [], pageErrors: [], console: [] };
  page.on('console', (m: ConsoleMessage) => {
    const text = m.text();
    watch.console.push(`${m.type()}: ${text}`);
    if (/Content[- ]Security[- ]Policy/i.test(text)) watch.cspViolations.push(text);
  });
  page.on('pageerror', (err) => watch.pageErrors.push(err.message));
  return watch;
}

/**
 * A fresh browser context and page as the tests use them: desktop viewport, 30 s default
 * timeout, CSP violations counted in the page and watched on the console. `onContext` runs
 * before the page opens (to record the context's requests, say).
 */
export async function openPage(browser: Browser, onContext?: (ctx: BrowserContext) => void): Promise<{ ctx: BrowserContext; page: Page; watch: PageWatch }> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  onContext?.(ctx);
  const page = await ctx.newPage();
  page.setDefaultTimeout(30_000);
  await installCspCounter(page);
  return { ctx, page, watch: watchPage(page) };
}

/** Counts `securitypolicyviolation` events in the page itself (they also reach the console). */
export async function installCspCounter(page: Page): Promise<void> {
  await page.addInitScript({
    content: `window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`,
  });
}

export async function cspViolationsIn(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('window.__cspViolations || []');
}

/** The session token as the page keeps it (sessionStorage), or null. */
export async function storedToken(page: Page): Promise<string | null> {
  return page.evaluate<string | null>("sessionStorage.getItem('rustchat.token')");
}

export const PASSWORD = 'a long and unusual passphrase 42';

export async function signUp(page: Page, baseUrl: string, username: string, displayName: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('E-mail').fill(`${username}@example.com`);
  await page.getByLabel('Display name').fill(displayName);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** How long a browser step may wait: generous, the machine is shared with other test runs. */
export const WAIT = { timeout: 30_000 };

/** Opens `path` signed out and signs in on the login form it lands on (waits for nothing after). */
export async function signInAt(page: Page, baseUrl: string, user: { readonly username: string; readonly password: string }, path: string): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.getByLabel('E-mail or username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** signInAt, then waits for the team's sidebar and the live connection. */
export async function signInToTeam(page: Page, baseUrl: string, user: { readonly username: string; readonly password: string }, teamName: string, path: string): Promise<void> {
  await signInAt(page, baseUrl, user, path);
  await page.getByRole('navigation', { name: `Team ${teamName} channels` }).waitFor(WAIT);
  await page.getByText('Connected', { exact: true }).waitFor(WAIT);
}

/** Waits until the expression (evaluated in the page; the CSP forbids waitForFunction's eval) is true. */
export async function until(page: Page, expression: string): Promise<void> {
  await expect.poll(() => page.evaluate<boolean>(expression), WAIT).toBe(true);
}

/**
 * Waits until the first <img> matching `selector` has loaded real pixels (a refused or broken
 * image has none) and gives its natural width. Polled with evaluate: waitForFunction with a
 * string evaluates it with eval in the page once its first try fails, which the CSP refuses.
 */
export async function loadedImageWidth(page: Page, selector: string): Promise<number> {
  let width = 0;
  await expect.poll(async () => {
    width = await page.evaluate<number>(`(() => { const i = document.querySelector(${JSON.stringify(selector)}); return i !== null && i.complete && i.naturalWidth > 0 ? i.naturalWidth : 0; })()`);
    return width > 0;
  }, WAIT).toBe(true);
  return width;
}

/** The sidebar link of a channel (by its URL name). */
export const channelLink = (page: Page, name: string) => page.locator(`a.channel-link[data-channel="${name}"]`);

/** A message in the channel view (or `scope`) containing `text`. */
export const postWith = (page: Page, text: string, scope = 'main') =>
  page.locator(`${scope} article.post`).filter({ has: page.locator('.message-text', { hasText: text }) });

/** The built client, served by a listening app (SQLite), and a Chromium: what a browser scenario starts from. */
export interface BrowserApp {
  readonly webRoot: string;
  readonly browser: Browser;
  readonly t: TestApp;
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function startBrowserApp(options: Omit<StartOptions, 'webRoot'> = {}): Promise<BrowserApp> {
  const [webRoot, browser] = await Promise.all([buildClient(), launchChromium()]);
  const t = await startApp('sqlite', { ...options, webRoot });
  const baseUrl = (await t.app.listen()).url;
  return {
    webRoot, browser, t, baseUrl,
    async close() {
      await browser.close();
      await t.close();
      rmSync(webRoot, { recursive: true, force: true });
    },
  };
}
