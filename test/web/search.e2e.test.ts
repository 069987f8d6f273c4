/**
 * Search in the web client end to end: the built client served by a real RustChat (embedded
 * SQLite, real listener) and driven by the system Chromium. Alice and Bob share a channel with
 * about ninety messages; Bob's message with a word nobody else uses is far from the newest
 * page. Alice completes `from:` with Bob from the search box's suggestions (keyboard only),
 * finds the message with the word highlighted, opens it: the channel opens around it, scrolled
 * to it and highlighted. She switches the order, sees the server's message for a query it
 * refuses, finds her mentions and the message she saved. A permalink to a message in a
 * private channel she is not in says it cannot be shown. All of it under the served strict CSP.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, registerUser } from '../helpers/factories.js';
import { cspViolationsIn, openPage, postWith, type PageWatch, startBrowserApp, type BrowserApp } from './browser.js';

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

/** A word of letters only that no other message contains. */
function uniqueWord(): string {
  return `quokka${[...randomBytes(6)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;
}

/** Whether the element is inside the visible part of its scrolling message list. */
async function inView(page: Page, selector: string): Promise<boolean> {
  return page.evaluate<boolean>(`(() => {
    const el = document.querySelector(${JSON.stringify(selector)});
    const box = el?.closest('.messages');
    if (!el || !box) return false;
    const r = el.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    return r.top >= b.top - 1 && r.bottom <= b.bottom + 1;
  })()`);
}

describe('search in the browser', () => {
  it('completes from:, finds a message far back, opens it in place and highlighted; mentions, saved, errors; a hidden permalink is not found', async () => {
    const alice = await registerUser(t.api, 'alice');
    const bob = await registerUser(t.api, 'bob');
    const carol = await registerUser(t.api, 'carol');
    const team = await createTeam(t.api, alice, 'invite');
    await addTeamMember(t.api, alice, team.id, bob);
    await addTeamMember(t.api, alice, team.id, carol);
    const channel = await createChannel(t.api, alice, team.id, 'public');
    await addChannelMember(t.api, alice, channel.id, bob);
    const word = uniqueWord();

    for (let i = 0; i < 10; i++) await createPost(t.api, i % 2 === 0 ? alice : bob, channel.id, `warming up ${i}`);
    const target = await createPost(t.api, bob, channel.id, `the ${word} report is ready for review`);
    // Enough after it that it is not on the newest page (50 messages).
    for (let i = 0; i < 60; i++) await createPost(t.api, i % 2 === 0 ? alice : bob, channel.id, `later chatter ${i}`);
    const mention = await createPost(t.api, bob, channel.id, `@${alice.username} could you look at the numbers`);
    for (let i = 0; i < 10; i++) await createPost(t.api, bob, channel.id, `even later ${i}`);
    // Carol's private channel, which Alice is not in.
    const secret = await createChannel(t.api, carol, team.id, 'private');
    const hidden = await createPost(t.api, carol, secret.id, `${word} is also a secret word here`);

    const { ctx, page, watch } = await openPage(browser);
    const A = page;
    const consoleOf = (w: PageWatch) => w.console.join('\n');
    try {
      await A.goto(`${baseUrl}/${team.name}/channels/${channel.name}`);
      await A.getByLabel('E-mail or username').fill(alice.username);
      await A.getByLabel('Password').fill(alice.password);
      await A.getByRole('button', { name: 'Sign in' }).click();
      await A.getByRole('heading', { name: `Channel ${channel.name}` }).waitFor(WAIT);
      await postWith(A, 'even later 9').waitFor(WAIT);
      expect(await A.locator(`main article[data-post-id="${target.id}"]`).count()).toBe(0);

      // ---- the search box: a labelled combobox; its suggestions are a listbox driven by the keyboard ----
      const box = A.getByRole('combobox', { name: 'Search messages' });
      const list = A.getByRole('listbox', { name: 'Search suggestions' });
      await box.focus();
      await list.getByRole('option', { name: /^from:/ }).waitFor(WAIT);
      expect(await box.getAttribute('aria-expanded')).toBe('true');
      expect(await box.getAttribute('aria-controls')).toBe(await list.getAttribute('id'));
      await box.pressSequentially(`from:${bob.username.slice(0, 5)}`);
      const bobOption = list.getByRole('option', { name: new RegExp(`^@${bob.username}\\b`) });
      await bobOption.waitFor(WAIT);
      // Arrow down until Bob's option is the active one, then Enter takes it.
      for (let i = 0; i < 8 && (await bobOption.getAttribute('aria-selected')) !== 'true'; i++) await box.press('ArrowDown');
      expect(await bobOption.getAttribute('aria-selected')).toBe('true');
      expect(await box.getAttribute('aria-activedescendant')).toBe(await bobOption.getAttribute('id'));
      await box.press('Enter');
      expect(await box.inputValue()).toBe(`from:@${bob.username} `);
      await box.pressSequentially(word);
      await box.press('Enter');

      // ---- results: count, author, channel, the word marked ----
      const panel = A.getByRole('complementary', { name: 'Search results' });
      await panel.getByRole('status').filter({ hasText: '1 result' }).waitFor(WAIT);
      const hit = panel.locator(`a[data-post-id="${target.id}"]`);
      await hit.waitFor(WAIT);
      expect(await hit.locator('mark').allInnerTexts()).toEqual([word]);
      expect(await hit.innerText()).toContain(`in #Channel ${channel.name}`);
      expect(await hit.innerText()).toContain('the');
      expect(await hit.getAttribute('href')).toBe(`/${team.name}/pl/${target.id}`);

      // ---- the result is reachable by keyboard and opens the message in its channel ----
      await hit.focus();
      await A.keyboard.press('Enter');
      await A.waitForURL(`${baseUrl}/${team.name}/pl/${target.id}`, WAIT);
      const row = `main article.post[data-post-id="${target.id}"]`;
      await A.locator(`${row}.focused`).waitFor(WAIT);
      expect(await inView(A, row)).toBe(true);
      expect(await A.evaluate<string | null>('document.activeElement?.getAttribute("data-post-id") ?? null')).toBe(target.id);
      // Messages on both sides of it are loaded, and the way back to the present is offered.
      await postWith(A, 'warming up 9').waitFor(WAIT);
      await postWith(A, 'later chatter 0').waitFor(WAIT);
      await A.getByRole('button', { name: 'Jump to recent messages' }).waitFor(WAIT);
      // The highlight is brief.
      await A.locator(`${row}.focused`).waitFor({ state: 'detached', timeout: 30_000 });

      // ---- best match order, then a query the server refuses: its sentence is shown ----
      await panel.getByRole('button', { name: 'Best match' }).click();
      expect(await panel.getByRole('button', { name: 'Best match' }).getAttribute('aria-pressed')).toBe('true');
      await hit.waitFor(WAIT);
      await box.fill('before:yesterday');
      await box.press('Enter');
      await panel.getByRole('alert').filter({ hasText: 'before: expects a date like 2026-12-31' }).waitFor(WAIT);

      // ---- recent mentions: the message that names her, her name marked ----
      await panel.getByRole('button', { name: 'Recent mentions' }).click();
      const mentions = A.getByRole('complementary', { name: 'Recent mentions' });
      const mentionHit = mentions.locator(`a[data-post-id="${mention.id}"]`);
      await mentionHit.waitFor(WAIT);
      expect(await mentionHit.locator('mark').allInnerTexts()).toEqual([alice.username]);

      // ---- saving the message she opened, then finding it under saved messages ----
      const opened = A.locator(row);
      await opened.hover();
      await opened.getByRole('button', { name: 'Save message' }).click();
      await A.getByText('Message saved.', { exact: false }).waitFor(WAIT);
      await mentions.getByRole('button', { name: 'Saved messages' }).click();
      const saved = A.getByRole('complementary', { name: 'Saved messages' });
      await saved.locator(`a[data-post-id="${target.id}"]`).waitFor(WAIT);
      await saved.getByRole('button', { name: 'Remove from saved' }).click();
      await saved.locator(`a[data-post-id="${target.id}"]`).waitFor({ state: 'detached', timeout: 30_000 });

      // ---- a permalink to a message in a private channel she is not in ----
      await A.goto(`${baseUrl}/${team.name}/pl/${hidden.id}`);
      await A.getByRole('heading', { name: 'Message not found or not visible to you' }).waitFor(WAIT);
      expect(await A.getByText(hidden.message as string).count()).toBe(0);
      // And search does not find it either.
      await A.getByRole('combobox', { name: 'Search messages' }).fill(word);
      await A.getByRole('combobox', { name: 'Search messages' }).press('Enter');
      const again = A.getByRole('complementary', { name: 'Search results' });
      await again.getByRole('status').filter({ hasText: '1 result' }).waitFor(WAIT);
      expect(await again.locator(`a[data-post-id="${hidden.id}"]`).count()).toBe(0);

      expect(watch.pageErrors).toEqual([]);
      expect(watch.cspViolations).toEqual([]);
      expect(await cspViolationsIn(A)).toEqual([]);
    } catch (err) {
      const shot = join(tmpdir(), `rustchat-search-e2e-${Date.now()}.png`);
      await A.screenshot({ path: shot }).catch(() => undefined);
      console.log(`screenshot: ${shot}\nconsole:\n${consoleOf(watch)}`);
      throw err;
    } finally {
      await ctx.close();
    }
  }, 300_000);
});
