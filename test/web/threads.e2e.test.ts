/**
 * Followed threads in the web client end to end: the built client served by a real RustChat
 * (embedded SQLite, real listener), two people in the system Chromium. Bob replies to Alice's
 * message from its thread; the reply stays out of the channel's history (the root shows
 * "1 reply" with Bob's avatar), and Alice's sidebar shows the Threads entry with one unread
 * thread, in real time. She opens the Threads view and the thread: it is read, the badge goes.
 * Then she chooses to see replies inline in channels (kept on the server).
 * All of it under the served strict CSP.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { createPost, type TestUser, twoInAChannel } from '../helpers/factories.js';
import { channelLink, cspViolationsIn, openPage, postWith, startBrowserApp, type BrowserApp } from './browser.js';

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

describe('followed threads in the browser', () => {
  it('a reply by Bob shows as one unread thread for Alice; opening it reads it', async () => {
    const { alice, bob, team, channel } = await twoInAChannel(t.api);
    const root = await createPost(t.api, alice, channel.id, 'Who can review the release notes?');

    const a = await openPage(browser);
    const b = await openPage(browser);
    const A = a.page;
    const B = b.page;
    const signIn = async (page: typeof A, user: TestUser) => {
      await page.goto(`${baseUrl}/${team.name}/channels/${channel.name}`);
      await page.getByLabel('E-mail or username').fill(user.username);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await postWith(page, 'Who can review the release notes?').waitFor(WAIT);
    };
    try {
      await signIn(A, alice);
      await signIn(B, bob);
      const threadsLink = A.locator('a.threads-link');
      await threadsLink.waitFor(WAIT);
      expect(await threadsLink.getAttribute('data-threads-unread')).toBe('0');

      // ---- Bob replies in the thread ----
      const rootOnB = postWith(B, 'Who can review the release notes?');
      await rootOnB.hover();
      await rootOnB.getByRole('button', { name: 'Reply in thread' }).click();
      const reply = B.getByRole('complementary', { name: 'Thread' }).getByRole('textbox', { name: 'Reply to thread' });
      await reply.fill('I can, after lunch');
      await reply.press('Enter');
      await postWith(B, 'I can, after lunch', 'aside').waitFor(WAIT);
      // The reply stays in its thread: the channel shows the root with its count.
      await rootOnB.getByRole('button', { name: '1 reply' }).waitFor(WAIT);
      expect(await postWith(B, 'I can, after lunch').count()).toBe(0);

      // ---- Alice: the Threads entry turns unread (1), in real time ----
      await A.locator('a.threads-link[data-threads-unread="1"]').waitFor(WAIT);
      expect(await threadsLink.getAttribute('class')).toContain('unread');
      expect(await threadsLink.getAttribute('aria-label')).toBe('Threads, 1 unread');
      const rootOnA = postWith(A, 'Who can review the release notes?');
      await rootOnA.getByRole('button', { name: '1 reply' }).waitFor(WAIT);
      expect(await rootOnA.locator('.replies .participants .avatar').count()).toBe(1);
      expect(await postWith(A, 'I can, after lunch').count()).toBe(0);

      // ---- she opens the Threads view, then the thread: read, the count goes to 0 ----
      await threadsLink.click();
      await A.getByRole('heading', { name: 'Threads' }).waitFor(WAIT);
      const item = A.locator(`button.thread-item[data-thread="${root.id}"]`);
      await item.waitFor(WAIT);
      expect(await item.getAttribute('class')).toContain('unread');
      expect(await item.textContent()).toContain('1 unread');
      await item.click();
      await postWith(A, 'I can, after lunch', 'aside').waitFor(WAIT);
      await A.locator('a.threads-link[data-threads-unread="0"]').waitFor(WAIT);
      await A.locator(`button.thread-item[data-thread="${root.id}"]:not(.unread)`).waitFor(WAIT);
      expect(await A.getByRole('complementary', { name: 'Thread' }).getByRole('button', { name: 'Following' }).getAttribute('aria-pressed')).toBe('true');
      // The server agrees (what another device of hers would load).
      const listed = await t.api.get('/api/v1/users/me/threads', alice.token);
      expect(listed.body.threads.find((x: { id: string }) => x.id === root.id)).toMatchObject({ unread_replies: 0, following: true });

      // ---- a second reply while the thread is open is read at once ----
      await B.getByRole('complementary', { name: 'Thread' }).getByRole('textbox', { name: 'Reply to thread' }).fill('Done, looks good');
      await B.getByRole('complementary', { name: 'Thread' }).getByRole('textbox', { name: 'Reply to thread' }).press('Enter');
      await postWith(A, 'Done, looks good', 'aside').waitFor(WAIT);
      // The thread's update (2 replies) reached the list; the open thread marked it read again.
      await item.filter({ hasText: '2 replies' }).waitFor(WAIT);
      await A.locator(`button.thread-item[data-thread="${root.id}"]:not(.unread)`).waitFor(WAIT);
      const unreadOnServer = async () => (await t.api.get(`/api/v1/users/me/threads/${root.id}`, alice.token)).body.unread_replies as number;
      await expect.poll(unreadOnServer, { timeout: 15_000 }).toBe(0);

      // ---- the preference: replies inline in channels too, kept on the server ----
      await A.getByRole('checkbox', { name: 'Also show replies in channels' }).check();
      await expect.poll(async () => (await t.api.get('/api/v1/users/me/preferences/threads', alice.token)).body.collapsed_threads, { timeout: 15_000 }).toBe(false);
      await channelLink(A, channel.name).click();
      await postWith(A, 'I can, after lunch').waitFor(WAIT);
      await postWith(A, 'Done, looks good').waitFor(WAIT);

      expect(await cspViolationsIn(A)).toEqual([]);
      expect(await cspViolationsIn(B)).toEqual([]);
      expect(a.watch.pageErrors).toEqual([]);
      expect(b.watch.pageErrors).toEqual([]);
    } finally {
      await a.ctx.close();
      await b.ctx.close();
    }
  }, 240_000);
});
