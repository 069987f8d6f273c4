/**
 * Accessibility of the web client in Chromium: the built client served by a real RustChat
 * (SQLite, real listener, the served strict CSP).
 *
 * 1. axe-core runs on the main screens — sign-in, a channel with Markdown, a code block and
 *    reactions, the thread panel, the Threads view, search results, the settings dialog, the
 *    quick switcher, the emoji picker — in the light and the dark theme and at phone width
 *    (360 px). No violation of impact "serious" or "critical" may be found; all of them are
 *    printed, one line per element, when the test fails.
 * 2. A keyboard-only walk (page.keyboard only): sign in, go to a channel, send a message, react
 *    to it from its actions, open its thread, open and close the quick switcher and a dialog
 *    (Escape closes, focus returns to where it was).
 * 3. A message with a right-to-left override and combining marks renders in its own
 *    bidi-isolated element, so it cannot flip the author's name or the time around it.
 *
 * axe is evaluated through page.evaluate (DevTools protocol): the app's CSP forbids inline
 * scripts, so a <script> tag with its source would be refused.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { channelLink, cspViolationsIn, installCspCounter, postWith, startBrowserApp, type BrowserApp, signInAt, until } from './browser.js';

const WAIT = { timeout: 30_000 };
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let app: BrowserApp | undefined;
let t: TestApp;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  app = await startBrowserApp();
  ({ t, baseUrl, browser } = app);
}, 300_000);

afterAll(async () => app?.close());

interface Finding { screen: string; id: string; impact: string; help: string; nodes: string[] }

/** Runs axe on the page as it is now; returns its serious and critical violations, labelled with `screen`. */
async function axe(page: Page, screen: string): Promise<Finding[]> {
  if (!(await page.evaluate<boolean>('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  const found = await page.evaluate<{ id: string; impact: string | null; help: string; nodes: { target: string[]; failureSummary?: string }[] }[]>(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String), failureSummary: n.failureSummary })),
    })))`,
  );
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ screen, id: v.id, impact: v.impact!, help: v.help, nodes: v.nodes.map((n) => `${n.target.join(' ')} — ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`) }));
}

function report(findings: readonly Finding[]): string {
  return findings.map((f) => `[${f.screen}] ${f.impact} ${f.id}: ${f.help}\n${f.nodes.map((n) => `    ${n}`).join('\n')}`).join('\n');
}

async function newPage(options: { width?: number; height?: number; dark?: boolean } = {}): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 }, colorScheme: options.dark === true ? 'dark' : 'light' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(30_000);
  await installCspCounter(page);
  return page;
}

async function signIn(page: Page, user: TestUser, path: string): Promise<void> {
  await signInAt(page, baseUrl, user, path);
  await page.locator('#message-box').waitFor(WAIT);
}

/**
 * Presses Tab (or Shift+Tab) until the focused element matches `selector`; fails after `max`
 * presses. Only the keyboard moves focus; the page is merely looked at.
 */
async function tabTo(page: Page, selector: string, options: { back?: boolean; max?: number } = {}): Promise<void> {
  const test = `document.activeElement?.matches(${JSON.stringify(selector)}) === true`;
  for (let i = 0; i < (options.max ?? 120); i++) {
    if (await page.evaluate<boolean>(test)) return;
    await page.keyboard.press(options.back === true ? 'Shift+Tab' : 'Tab');
  }
  const at = await page.evaluate<string>('(document.activeElement?.outerHTML ?? "none").slice(0, 200)');
  throw new Error(`Tab never reached ${selector}; focus is on ${at}`);
}

const focusedMatches = (page: Page, selector: string) => page.evaluate<boolean>(`document.activeElement?.matches(${JSON.stringify(selector)}) === true`);

const MARKDOWN = [
  '## Release notes',
  '',
  'This is **bold**, _italic_, ~~gone~~ and `code`; see https://example.com/docs and :tada:',
  '',
  '- [x] first item',
  '- [ ] second item',
  '',
  '> a quoted line',
  '',
  '| name | value |',
  '| ---- | ----- |',
  '| a    | 1     |',
].join('\n');

const CODE = ['Some code:', '', '```ts', 'export function add(a: number, b: number): number {', '  // the sum', "  return a + b + Number('1');", '}', '```'].join('\n');

describe('accessibility in the browser', () => {
  it('axe finds no serious or critical violation on the main screens, light, dark and at 360 px', async () => {
    const alice = await registerUser(t.api, 'alice');
    const bob = await registerUser(t.api, 'bob');
    const team = await createTeam(t.api, alice, 'invite');
    await addTeamMember(t.api, alice, team.id, bob);
    const channel = await createChannel(t.api, alice, team.id, 'public');
    await createChannel(t.api, alice, team.id, 'public');
    await addChannelMember(t.api, alice, channel.id, bob);
    const md = await createPost(t.api, bob, channel.id, MARKDOWN);
    await createPost(t.api, alice, channel.id, CODE);
    const root = await createPost(t.api, alice, channel.id, 'Who reviews the searchable quokka notes?');
    await createPost(t.api, bob, channel.id, 'I will, the quokka notes look fine', { root_post_id: root.id });
    for (const [who, emoji] of [[alice, '+1'], [bob, '+1'], [alice, 'tada']] as const) {
      expect((await t.api.post(`/api/v1/posts/${md.id}/reactions`, { emoji_name: emoji }, who.token)).status).toBeLessThan(300);
    }

    // A webhook's post with a Slack attachment (the mark, the colour bar, the fields).
    const hook = await t.api.post('/api/v1/hooks/incoming', { channel_id: channel.id, display_name: 'CI' }, alice.token);
    expect(hook.status).toBe(201);
    expect((await t.api.post(new URL(hook.body.url as string).pathname, {
      text: 'Nightly build', attachments: [{ color: 'danger', pretext: 'Report', title: 'main', title_link: 'https://ci.example.com/1', text: 'Failed', fields: [{ title: 'Tests', value: '12', short: true }] }],
    })).status).toBe(200);

    const findings: Finding[] = [];
    const path = `/${team.name}/channels/${channel.name}`;
    for (const theme of ['light', 'dark'] as const) {
      const page = await newPage({ dark: theme === 'dark' });
      try {
        // ---- sign-in page ----
        await page.goto(`${baseUrl}${path}`);
        await page.getByLabel('E-mail or username').waitFor(WAIT);
        findings.push(...await axe(page, `${theme} sign-in`));

        // ---- a channel with Markdown, a code block and reactions ----
        await page.getByLabel('E-mail or username').fill(alice.username);
        await page.getByLabel('Password').fill(alice.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.locator('#message-box').waitFor(WAIT);
        const mdPost = postWith(page, 'Release notes');
        await mdPost.locator('.reactions').waitFor(WAIT);
        await postWith(page, 'Some code:').locator('pre code').waitFor(WAIT);
        await postWith(page, 'Nightly build').locator('.attachment-fields').waitFor(WAIT);
        expect(await page.evaluate('document.documentElement.dataset.theme')).toBe(theme);
        findings.push(...await axe(page, `${theme} channel`));

        // ---- the emoji picker, from a message's actions ----
        await mdPost.hover();
        await mdPost.getByRole('button', { name: 'Add reaction' }).click();
        await page.getByRole('dialog', { name: 'Pick a reaction' }).waitFor(WAIT);
        findings.push(...await axe(page, `${theme} emoji picker`));
        await page.keyboard.press('Escape');
        await page.getByRole('dialog', { name: 'Pick a reaction' }).waitFor({ state: 'detached', ...WAIT });

        // ---- the thread side panel ----
        await postWith(page, 'Who reviews the searchable').getByRole('button', { name: '1 reply' }).click();
        await postWith(page, 'the quokka notes look fine', 'aside').waitFor(WAIT);
        findings.push(...await axe(page, `${theme} thread panel`));

        // ---- the Threads view ----
        await page.locator('a.threads-link').click();
        await page.locator('.threads-view').waitFor(WAIT);
        await page.locator('.threads-view').getByText('Who reviews the searchable', { exact: false }).first().waitFor(WAIT);
        findings.push(...await axe(page, `${theme} threads view`));

        // ---- search results ----
        await channelLink(page, channel.name).click();
        await page.locator('#message-box').waitFor(WAIT);
        const box = page.getByRole('combobox', { name: 'Search messages' });
        await box.fill('quokka');
        await box.press('Enter');
        const results = page.getByRole('complementary', { name: 'Search results' });
        await results.getByRole('status').filter({ hasText: /2 results/ }).waitFor(WAIT);
        findings.push(...await axe(page, `${theme} search results`));

        // ---- the settings dialog ----
        await page.getByRole('button', { name: /^Profile and settings:/ }).click();
        const settings = page.getByRole('dialog', { name: 'Profile and settings' });
        await settings.waitFor(WAIT);
        findings.push(...await axe(page, `${theme} settings`));
        await page.keyboard.press('Escape');
        await settings.waitFor({ state: 'detached', ...WAIT });

        // ---- the Integrations screen, and an answer only I see (a slash command's) ----
        await page.getByRole('button', { name: 'Integrations' }).click();
        const integrations = page.getByRole('dialog', { name: /^Integrations of / });
        await integrations.locator('.integration-list li').first().waitFor(WAIT);
        findings.push(...await axe(page, `${theme} integrations`));
        await page.keyboard.press('Escape');
        await integrations.waitFor({ state: 'detached', ...WAIT });
        await page.locator('#message-box').fill('/mute');
        await page.locator('#message-box').press('Enter');
        await page.locator('article.post.ephemeral').first().waitFor(WAIT);
        findings.push(...await axe(page, `${theme} ephemeral answer`));

        // ---- the quick switcher ----
        await page.locator('#message-box').focus();
        await page.keyboard.press('Control+k');
        const switcher = page.getByRole('dialog', { name: 'Find a channel or person' });
        await switcher.getByRole('combobox').fill(channel.name.slice(0, 6));
        await switcher.getByRole('option').first().waitFor(WAIT);
        findings.push(...await axe(page, `${theme} quick switcher`));
        await page.keyboard.press('Escape');
        await switcher.waitFor({ state: 'detached', ...WAIT });
        expect(await cspViolationsIn(page)).toEqual([]);
      } finally {
        await page.context().close();
      }
    }

    // ---- phone width: the channel, the drawer open, the thread panel ----
    for (const theme of ['light', 'dark'] as const) {
      const phone = await newPage({ width: 360, height: 740, dark: theme === 'dark' });
      try {
        await phone.goto(`${baseUrl}${path}`);
        await phone.getByLabel('E-mail or username').waitFor(WAIT);
        findings.push(...await axe(phone, `360px ${theme} sign-in`));
        await signIn(phone, bob, path);
        await postWith(phone, 'Release notes').locator('.reactions').waitFor(WAIT);
        findings.push(...await axe(phone, `360px ${theme} channel`));
        await phone.getByRole('button', { name: 'Channels and teams' }).click();
        await until(phone, `document.getElementById('sidebar-drawer').getBoundingClientRect().left >= 0`);
        findings.push(...await axe(phone, `360px ${theme} sidebar drawer`));
        // The channel shown already: the scrim beside the drawer closes it.
        await phone.locator('.drawer-scrim').click({ position: { x: 350, y: 400 } });
        await until(phone, `document.getElementById('sidebar-drawer').getBoundingClientRect().right <= 0`);
        await postWith(phone, 'Who reviews the searchable').getByRole('button', { name: '1 reply' }).click();
        await postWith(phone, 'the quokka notes look fine', 'aside').waitFor(WAIT);
        findings.push(...await axe(phone, `360px ${theme} thread panel`));
      } finally {
        await phone.context().close();
      }
    }

    expect(findings, `axe found serious or critical violations:\n${report(findings)}`).toEqual([]);
  }, 600_000);

  it('works with the keyboard alone: sign in, channel, send, react, thread, quick switcher, dialog', async () => {
    const carol = await registerUser(t.api, 'carol');
    const team = await createTeam(t.api, carol, 'invite');
    const general = await createChannel(t.api, carol, team.id, 'public');
    const random = await createChannel(t.api, carol, team.id, 'public');
    await createPost(t.api, carol, general.id, 'welcome to general');

    const page = await newPage();
    const kb = page.keyboard;
    try {
      // ---- sign in ----
      await page.goto(`${baseUrl}/${team.name}/channels/${general.name}`);
      await page.getByLabel('E-mail or username').waitFor(WAIT);
      await tabTo(page, 'input[name="login"]');
      await kb.type(carol.username);
      await tabTo(page, 'input[type="password"]');
      await kb.type(carol.password);
      await kb.press('Enter');
      await page.locator('#message-box').waitFor(WAIT);
      await postWith(page, 'welcome to general').waitFor(WAIT);

      // ---- move to another channel ----
      await tabTo(page, `a.channel-link[data-channel="${random.name}"]`);
      await kb.press('Enter');
      await page.waitForURL(`**/channels/${random.name}`, WAIT);

      // ---- write and send a message ----
      await tabTo(page, '#message-box');
      await kb.type('typed without a mouse');
      await kb.press('Enter');
      const mine = postWith(page, 'typed without a mouse');
      await mine.waitFor(WAIT);
      await page.locator('main article.post.outgoing').waitFor({ state: 'detached', ...WAIT });

      // ---- open the message's actions and react ----
      await tabTo(page, 'main article.post button[aria-label="Add reaction"]', { back: true });
      expect(await mine.locator('button[aria-label="Add reaction"]').evaluate((b) => b.ownerDocument.activeElement === b)).toBe(true);
      await kb.press('Enter');
      const picker = page.getByRole('dialog', { name: 'Pick a reaction' });
      await picker.waitFor(WAIT);
      await until(page, `document.querySelector('.reaction-picker')?.contains(document.activeElement) === true`);
      await tabTo(page, '.emoji-picker input[type="search"]', { max: 15 });
      await kb.type('tada');
      await kb.press('Enter');
      await mine.getByRole('button', { name: /^tada: 1 \(you\)/ }).waitFor(WAIT);
      await picker.waitFor({ state: 'detached', ...WAIT });

      // ---- open its thread and reply ----
      await tabTo(page, 'main article.post button[aria-label="Reply in thread"]', { back: true });
      await kb.press('Enter');
      const thread = page.getByRole('complementary', { name: 'Thread' });
      await thread.waitFor(WAIT);
      await tabTo(page, 'aside textarea');
      await kb.type('a reply by keyboard');
      await kb.press('Enter');
      await postWith(page, 'a reply by keyboard', 'aside').waitFor(WAIT);

      // ---- the quick switcher: Ctrl+K opens it, Escape closes it, focus comes back ----
      await tabTo(page, '#message-box');
      await kb.press('Control+k');
      const switcher = page.getByRole('dialog', { name: 'Find a channel or person' });
      await switcher.waitFor(WAIT);
      await until(page, `document.activeElement?.getAttribute('role') === 'combobox'`);
      await kb.type(general.name.slice(-6));
      await switcher.getByRole('option', { name: new RegExp(general.name) }).first().waitFor(WAIT);
      await kb.press('Escape');
      await switcher.waitFor({ state: 'detached', ...WAIT });
      await until(page, `document.activeElement?.id === 'message-box'`);

      // ---- a dialog: Enter opens it, Escape closes it, focus returns to its button ----
      await tabTo(page, 'button.me-button');
      await kb.press('Enter');
      const settings = page.getByRole('dialog', { name: 'Profile and settings' });
      await settings.waitFor(WAIT);
      await until(page, `document.querySelector('dialog[open]')?.contains(document.activeElement) === true`);
      await kb.press('Escape');
      await settings.waitFor({ state: 'detached', ...WAIT });
      expect(await focusedMatches(page, 'button.me-button')).toBe(true);

      // ---- and the quick switcher takes us somewhere with Enter ----
      await kb.press('Control+k');
      await switcher.waitFor(WAIT);
      await kb.type(general.name.slice(-6));
      await switcher.getByRole('option', { name: new RegExp(general.name) }).first().waitFor(WAIT);
      await kb.press('Enter');
      await page.waitForURL(`**/channels/${general.name}`, WAIT);
      expect(await cspViolationsIn(page)).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 300_000);

  it('a message with a right-to-left override and combining marks is bidi-isolated from its author and time', async () => {
    const dave = await registerUser(t.api, 'dave');
    const team = await createTeam(t.api, dave, 'invite');
    const channel = await createChannel(t.api, dave, team.id, 'public');
    const hostile = `\u202eevil override ${'a' + '\u0301'.repeat(2000)} tail`;
    const created = await createPost(t.api, dave, channel.id, hostile);
    expect(created.message).toBe(hostile);

    const page = await newPage();
    try {
      await signIn(page, dave, `/${team.name}/channels/${channel.name}`);
      const post = page.locator(`main article.post[data-post-id="${created.id}"]`);
      await post.waitFor(WAIT);
      const text = post.locator('.message-text');
      // The text is stored and shown as it was sent (not cleaned of its marks).
      expect((await text.textContent())!.includes('\u202eevil override')).toBe(true);
      // Its own direction: dir="auto" and an isolating unicode-bidi, so the override stays inside.
      expect(await text.getAttribute('dir')).toBe('auto');
      expect(await text.evaluate((e) => e.ownerDocument.defaultView!.getComputedStyle(e).unicodeBidi)).toMatch(/isolate/);
      // The author's name is isolated too, and name and time are still in the order written.
      const header = post.locator('.post-header');
      expect(await header.locator('bdi.author').count()).toBe(1);
      const nameBox = (await header.locator('.author').boundingBox())!;
      const timeBox = (await header.locator('time').boundingBox())!;
      expect(nameBox.x).toBeLessThan(timeBox.x);
      // The message text does not overlap the header.
      const textBox = (await text.boundingBox())!;
      expect(textBox.y).toBeGreaterThanOrEqual(nameBox.y + nameBox.height - 1);
    } finally {
      await page.context().close();
    }
  }, 120_000);
});
