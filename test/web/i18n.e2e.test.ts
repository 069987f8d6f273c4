/**
 * No hard-coded English in the web client: the built client, served by a real RustChat, opened
 * in the system Chromium in the pseudo-locale (`?locale=qps-ploc`), where every text that goes
 * through t() reads like `[Ŝéñð]`. On each screen reached (sign-in, sign-up, forgotten password,
 * reset link, the channel with messages, reactions and a thread, the side panels, the emoji
 * pickers, search, Threads, the settings and the workspace's dialogs, the Integrations screen and a webhook post, the first screen of a new
 * account; on the way, the language setting switches back to English) every text node, every aria-label / placeholder / title / alt and the document title
 * must be pseudo-localised, or be user content (names, messages we posted, emoji short names),
 * or sit in an element marked translate="no" (data such as time-zone names, initials). Whatever
 * is left holding an ASCII letter is English that bypassed the catalogue, and fails the test.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../web/src/i18n/en.js';
import { QUICK_REACTIONS } from '../../web/src/lib/emoji.js';
import { PSEUDO_LOCALE, pseudoLocalize, type MessageKey } from '../../web/src/i18n/index.js';
import type { TestApp } from '../helpers/app.js';
import { createPost, twoInAChannel } from '../helpers/factories.js';
import { PASSWORD, cspViolationsIn, openPage, postWith, startBrowserApp, type BrowserApp } from './browser.js';

const WAIT = { timeout: 30_000 };

let app: BrowserApp | undefined;
let t: TestApp;
let baseUrl: string;

beforeAll(async () => {
  app = await startBrowserApp();
  ({ t, baseUrl } = app);
}, 300_000);

afterAll(async () => app?.close());

/** A message without placeholders as the pseudo-locale shows it (to find elements by their accessible name). */
function P(key: MessageKey): string {
  const message = en[key];
  if (typeof message !== 'string') throw new Error(`${key} is a plural message`);
  return pseudoLocalize(message);
}

/**
 * Shown as they are: product names (a signed-in device's browser and system, or the start of a
 * user agent the client does not recognise: the test API's light-my-request), the search
 * operators (query syntax) and the emoji short names of the quick reactions.
 */
const AS_THEY_ARE = [
  'RustChat', 'HeadlessChrome', 'Chrome', 'Chromium', 'Firefox', 'Safari', 'Edge', 'Linux', 'Windows', 'macOS', 'Android', 'iOS', 'lightMyRequest',
  'from:', 'in:', 'before:', 'after:', 'on:', 'is:pinned', 'has:file', 'has:image', '#tag',
  ...QUICK_REACTIONS,
];

/**
 * In the page (a script: the server's TypeScript has no DOM types): every text of the page that
 * holds an ASCII letter once `allowed` (user content) is taken out, with where it was found.
 * Skips <script>/<style> and anything inside translate="no".
 */
const ENGLISH_ON = `(words) => {
  const sorted = [...words].sort((a, b) => b.length - a.length);
  const found = [];
  const leftover = (text) => {
    let rest = text;
    for (const w of sorted) rest = rest.split(w).join(' ');
    // Emoji short names (:tada:) and @usernames are user content too.
    return rest.replace(/:[a-z0-9_+-]+:/g, ' ').replace(/@[a-z0-9._-]+/g, ' ');
  };
  const where = (el) => {
    const parts = [];
    for (let e = el; e !== null && parts.length < 3; e = e.parentElement) {
      parts.unshift(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (typeof e.className === 'string' && e.className !== '' ? '.' + e.className.trim().split(/\\s+/).join('.') : ''));
    }
    return parts.join(' > ');
  };
  const check = (text, el, what) => {
    if (text === null || text.trim() === '') return;
    if (/[A-Za-z]/.test(leftover(text))) found.push(where(el) + ' ' + what + ': ' + JSON.stringify(text.trim()));
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('[translate="no"], script, style, noscript') !== null) continue;
    for (const attr of ['aria-label', 'placeholder', 'title', 'alt', 'aria-description', 'aria-roledescription']) check(el.getAttribute(attr), el, '[' + attr + ']');
    for (const node of el.childNodes) if (node.nodeType === Node.TEXT_NODE) check(node.textContent, el, 'text');
  }
  check(document.title, document.documentElement, 'document.title');
  return found;
}`;

async function englishOn(page: Page, allowed: readonly string[]): Promise<string[]> {
  return page.evaluate<string[]>(`(${ENGLISH_ON})(${JSON.stringify(allowed)})`);
}

/** What the test types into the search box. */
const SEARCHED = 'lorem';
const MESSAGES = ['Lorem ipsum dolor sit amet', 'Consectetur adipiscing elit', 'Sed do eiusmod tempor'];

describe('the web client in the pseudo-locale', () => {
  it('shows no hard-coded English on any screen', async () => {
    const { alice, bob, team, channel } = await twoInAChannel(t.api);
    // Display names and messages in plain ASCII: whitelisted user content, so they would hide nothing else.
    await t.api.patch('/api/v1/users/me', { display_name: 'Alice Liddell' }, alice.token);
    await t.api.patch('/api/v1/users/me', { display_name: 'Bob Builder' }, bob.token);
    const root = await createPost(t.api, alice, channel.id, MESSAGES[0]!);
    await createPost(t.api, bob, channel.id, MESSAGES[1]!, { root_post_id: root.id });
    const pinned = await createPost(t.api, bob, channel.id, MESSAGES[2]!);
    expect((await t.api.post(`/api/v1/posts/${pinned.id}/pin`, {}, bob.token)).status).toBe(200);
    expect((await t.api.post(`/api/v1/posts/${root.id}/reactions`, { emoji_name: 'tada' }, bob.token)).status).toBeLessThan(300);

    // A webhook's post with a Slack attachment: its mark and the attachment's labels are the client's, the rest is content.
    const hook = await t.api.post('/api/v1/hooks/incoming', { channel_id: channel.id, display_name: 'Lorem' }, alice.token);
    expect(hook.status).toBe(201);
    const hooked = await t.api.post(new URL(hook.body.url as string).pathname, {
      text: 'Lorem', attachments: [{ color: 'good', title: 'Dolor', title_link: 'https://ci.example.com/42', text: 'Tempor', fields: [{ title: 'Sit', value: 'Amet', short: true }], image_url: 'https://ci.example.com/i.png' }],
    });
    expect(hooked.status).toBe(200);

    const teamInfo = (await t.api.get(`/api/v1/teams/${team.id}`, alice.token)).body as { name: string; display_name: string };
    const channels = (await t.api.get(`/api/v1/teams/${team.id}/channels`, alice.token)).body as Array<{ name: string; display_name: string }>;
    const newcomer = `newbie${Date.now().toString(36)}`;
    // The password policy's notes are the server's own sentence, shown as it is.
    const policy = (await t.api.get('/api/v1/auth/policy')).body as { notes?: string };
    const allowed = [
      ...AS_THEY_ARE,
      'Alice Liddell', 'Bob Builder', alice.username, bob.username, newcomer,
      // The messages, and their words one by one (a search result marks the matching word apart).
      ...MESSAGES, ...MESSAGES.flatMap((m) => m.split(' ')), SEARCHED, 'Lorem', 'Dolor', 'Tempor', 'Sit', 'Amet',
      teamInfo.name, teamInfo.display_name, ...channels.flatMap((c) => [c.name, c.display_name]),
      `${newcomer}@example.com`, '127.0.0.1', '::1', '::ffff:127.0.0.1',
      ...(policy.notes !== undefined && policy.notes !== '' ? [policy.notes] : []),
      // The server's answer to /mute after the ~channel link (an ephemeral message's text is the
      // server's, like its error sentences).
      'is muted: unmute it from the sidebar or the channel\'s notification preferences.',
    ];

    const { ctx, page, watch } = await openPage(app!.browser);
    const screens: Record<string, string[]> = {};
    const look = async (name: string) => {
      // Two animation frames: what React just rendered is on the page.
      await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(null))))');
      screens[name] = await englishOn(page, allowed);
    };
    const escape = async () => page.keyboard.press('Escape');
    try {
      // ---- signed out: sign in, forgotten password, sign up, a reset link without its token ----
      await page.goto(`${baseUrl}/login?locale=${PSEUDO_LOCALE}`);
      await page.getByRole('heading', { name: P('auth.title.signIn') }).waitFor(WAIT);
      expect(await page.evaluate<string>('document.documentElement.lang')).toBe('en-XA');
      await page.locator('button[type=submit]').click(); // empty form: the field errors
      await page.locator('.field-error').first().waitFor(WAIT);
      await look('sign in (with errors)');
      await page.getByRole('button', { name: P('auth.forgotPassword') }).click();
      await page.getByRole('heading', { name: P('auth.title.forgot') }).waitFor(WAIT);
      await look('forgot password');
      await page.getByRole('button', { name: P('auth.backToSignIn') }).click();
      await page.getByRole('button', { name: P('auth.createAnAccount') }).click();
      await page.getByRole('heading', { name: P('auth.title.signUp') }).waitFor(WAIT);
      await page.locator('input[name=username]').fill('X');
      await page.locator('button[type=submit]').click();
      await page.locator('.field-error').first().waitFor(WAIT);
      await look('sign up (with errors)');
      // A fresh page load keeps the locale (remembered in this browser).
      await page.goto(`${baseUrl}/reset-password`);
      await page.getByRole('heading', { name: P('reset.title') }).waitFor(WAIT);
      await look('reset link without a token');

      // ---- signed in: the channel with messages, a thread, a reaction, a pinned message ----
      await page.goto(`${baseUrl}/${team.name}/channels/${channel.name}`);
      await page.locator('input[name=login]').fill(alice.username);
      await page.locator('input[name=password]').fill(alice.password);
      await page.locator('button[type=submit]').click();
      await postWith(page, 'Lorem ipsum dolor sit amet').waitFor(WAIT);
      await postWith(page, 'Sed do eiusmod tempor').waitFor(WAIT);
      await page.locator('.attachment .attachment-fields').waitFor(WAIT);
      await page.locator('.conn-open').waitFor(WAIT);
      await look('channel view');

      const rootPost = postWith(page, 'Lorem ipsum dolor sit amet');
      await rootPost.hover();
      await rootPost.getByRole('button', { name: P('post.addReaction') }).click();
      await page.locator('.reaction-picker .emoji-search').waitFor(WAIT);
      await look('reaction picker');
      await escape();
      await rootPost.locator('button.replies').click();
      await postWith(page, 'Consectetur adipiscing elit', 'aside').waitFor(WAIT);
      await look('thread panel');
      await page.locator('.channel-tools button').nth(0).click(); // members
      await page.locator('.member-list li').nth(1).waitFor(WAIT);
      await look('members panel');
      await page.locator('.channel-tools button').nth(1).click(); // pinned
      await postWith(page, 'Sed do eiusmod tempor', 'aside').waitFor(WAIT);
      await look('pinned panel');
      await page.locator('.channel-tools button').nth(2).click(); // files
      await page.locator('aside .panel-note').waitFor(WAIT);
      await look('files panel');

      // The composer's emoji picker, and a toast (saving a message).
      await page.getByRole('button', { name: P('composer.insertEmoji') }).click();
      await page.locator('.composer .emoji-search').waitFor(WAIT);
      await look('composer emoji picker');
      await escape();
      await rootPost.hover();
      await rootPost.getByRole('button', { name: P('post.save') }).click();
      await page.locator('.toast').waitFor(WAIT);
      await look('toast');

      // A slash command's answer only I see: its marks are the client's, its text the server's.
      await page.locator('#message-box').fill('/mute');
      await page.locator('#message-box').press('Enter');
      await page.locator('article.post.ephemeral').waitFor(WAIT);
      await look('ephemeral answer');
      await page.locator('article.post.ephemeral').getByRole('button', { name: P('post.dismissEphemeral') }).click();
      await page.locator('article.post.ephemeral').waitFor({ state: 'detached', ...WAIT });

      // ---- search, recent mentions, saved messages ----
      await page.getByRole('combobox', { name: P('search.label') }).fill(SEARCHED);
      await page.getByRole('combobox', { name: P('search.label') }).press('Enter');
      await page.locator('.search-result').first().waitFor(WAIT);
      await look('search results');
      await page.getByRole('combobox', { name: P('search.label') }).fill('');
      await look('search suggestions');
      await page.locator('.header-tools button').nth(1).click(); // recent mentions
      await page.locator('aside .panel-note, aside .search-result').first().waitFor(WAIT);
      await look('recent mentions');
      await page.locator('.header-tools button').nth(2).click(); // saved messages
      await page.locator('aside .search-result').first().waitFor(WAIT);
      await look('saved messages');

      // ---- the workspace's dialogs ----
      const dialog = page.locator('dialog[open]');
      const inDialog = async (name: string, open: () => Promise<void>, ready: string | readonly string[] = 'h2') => {
        await open();
        for (const selector of typeof ready === 'string' ? [ready] : ready) await dialog.locator(selector).first().waitFor(WAIT);
        await look(name);
        await escape();
        await dialog.waitFor({ state: 'detached', ...WAIT });
      };
      await inDialog('quick switcher', async () => page.locator('.header-tools button').nth(0).click(), 'li');
      await inDialog('browse channels', async () => page.getByRole('button', { name: P('sidebar.browseChannels') }).click(), '.pick-list');
      await inDialog('create a channel', async () => page.getByRole('button', { name: P('sidebar.createChannel') }).click(), 'form');
      await inDialog('new direct message', async () => page.getByRole('button', { name: P('sidebar.newDirectMessage') }).click(), '.pick-list li');
      await inDialog('new group message', async () => page.getByRole('button', { name: P('sidebar.newGroupMessage') }).click(), '.pick-list li');
      await inDialog('custom emoji', async () => page.getByRole('button', { name: P('sidebar.customEmoji') }).click(), 'form');
      await inDialog('add people to the team', async () => page.locator('.sidebar-tools button').nth(0).click(), '.pick-list');
      await inDialog('leave the team', async () => page.locator('.sidebar-tools button').nth(1).click(), 'form');
      await inDialog('create a team', async () => page.getByRole('button', { name: P('workspace.createTeam') }).click(), 'form');
      await inDialog('join a team', async () => page.getByRole('button', { name: P('workspace.joinTeam') }).click(), '.pick-list');
      await inDialog('add people to the channel', async () => page.locator('.channel-tools').getByRole('button', { name: P('channel.addPeople') }).click(), '.pick-list');
      await inDialog('edit the channel', async () => page.locator('.channel-tools').getByRole('button', { name: P('channel.editDetails') }).click(), 'form');
      await inDialog('channel notifications', async () => page.locator('.channel-tools').getByRole('button', { name: P('notify.channelButton') }).click(), 'form select');
      await inDialog('do not disturb until', async () => {
        await page.locator('#my-status').selectOption('dnd:custom');
      }, 'form input');
      await inDialog('archive the channel', async () => page.locator('.channel-tools').getByRole('button', { name: P('channel.archive') }).click(), 'form');
      await inDialog('delete a message', async () => {
        await rootPost.hover();
        await rootPost.getByRole('button', { name: P('post.delete') }).click();
      }, 'form');
      // The Integrations screen: each section, and the one-time display of a new webhook's address.
      for (const [section, ready] of [['integrations.incoming', 'form'], ['integrations.outgoing', 'form'], ['integrations.commands', 'form'], ['integrations.tokens', 'form'], ['integrations.bots', 'form']] as const) {
        await inDialog(`integrations: ${section}`, async () => {
          await page.getByRole('button', { name: P('sidebar.integrations') }).click();
          await dialog.getByRole('button', { name: P(section) }).click();
          await dialog.locator('.integration-list li').first().waitFor(WAIT);
        }, ready);
      }
      await page.getByRole('button', { name: P('sidebar.integrations') }).click();
      await dialog.getByRole('button', { name: P('integrations.createIncoming') }).click();
      await page.locator('dialog.secret-dialog[open] input').waitFor(WAIT);
      await dialog.locator('.integration-list li').filter({ hasText: P('integrations.edit') }).first().waitFor(WAIT);
      await look('integrations: the one-time secret');
      await escape();
      await page.locator('dialog.secret-dialog').waitFor({ state: 'detached', ...WAIT });
      await escape();
      await dialog.waitFor({ state: 'detached', ...WAIT });
      // The sessions and the notification settings (with the do-not-disturb schedule) load after the dialog opens.
      await inDialog('profile and settings', async () => page.locator('button.me-button').click(), ['.session-list li', '.dnd-schedule .dnd-days li']);
      await inDialog('profile picture', async () => {
        await page.locator('button.me-button').click();
        await page.getByRole('button', { name: P('settings.changePicture') }).click();
      }, '.profile-card');

      // ---- the Threads view ----
      await page.locator('a.threads-link').click();
      await page.locator('button.thread-item').first().waitFor(WAIT);
      await look('threads view');

      // ---- the language setting: back to the browser's language (English) and the page reloads in it ----
      await page.locator('button.me-button').click();
      await dialog.locator(`select:has(option[value="${PSEUDO_LOCALE}"])`).selectOption('');
      await page.getByRole('heading', { name: 'Threads' }).waitFor(WAIT);
      expect(await page.evaluate<string>('document.documentElement.lang')).toBe('en');
      expect(await page.evaluate<string | null>("localStorage.getItem('rustchat.locale')")).toBeNull();
      await page.goto(`${baseUrl}/?locale=${PSEUDO_LOCALE}`);
      await page.locator('a.threads-link').waitFor(WAIT);
      expect(await page.evaluate<string>('document.documentElement.lang')).toBe('en-XA');

      // ---- a new account: the first screen, without a team ----
      await page.locator('.me button').filter({ hasText: P('common.signOut') }).click();
      await page.getByRole('button', { name: P('auth.createAnAccount') }).click();
      await page.locator('input[name=username]').fill(newcomer);
      await page.locator('input[name=email]').fill(`${newcomer}@example.com`);
      await page.locator('input[name=password]').fill(PASSWORD);
      await page.locator('button[type=submit]').click();
      await page.locator('#welcome-title').waitFor(WAIT);
      await page.locator('.pick-list li').first().waitFor(WAIT);
      await look('no team yet');

      // Every screen's English at once, by screen.
      expect(Object.fromEntries(Object.entries(screens).filter(([, english]) => english.length > 0))).toEqual({});
      expect(Object.keys(screens).length).toBeGreaterThanOrEqual(30);
      expect(await cspViolationsIn(page)).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 400_000);
});
