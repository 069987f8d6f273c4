/**
 * Notifications in the web client end to end (issue #15): the built client served by a real
 * RustChat (embedded SQLite, real listener), Bob in the system Chromium with the notifications
 * permission granted, Alice posting through the API. `window.Notification` is wrapped by an init
 * script that records each notification the page creates (title, body) and lets the test click
 * it, so what is checked is exactly what the page asked the browser to show.
 *
 * - Alice mentions Bob while he looks at another channel: a notification with her name, the
 *   channel and the message; clicking it opens the post (its permalink).
 * - Bob looking at that channel (a focused tab): none. Bob mutes it from the sidebar: none, and
 *   it is drawn muted. (Absence is proven by a later notification that does arrive first.)
 * - Read clears everywhere: Bob reads the direct message on a second device; the first one's
 *   badge goes, in real time, and its notification is closed.
 * - `@channel` in a channel bigger than RUSTCHAT_NOTIFY_CHANNEL_MENTION_CONFIRM_MEMBERS asks
 *   "This will notify N people"; Confirm sends it.
 * - Settings → Notifications (levels, keywords, the do-not-disturb schedule), a channel's
 *   preferences and do-not-disturb for an hour reach the server.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { addChannelMember, createChannel, createPost, directChannel, type TestUser, twoInAChannel } from '../helpers/factories.js';
import { channelLink, cspViolationsIn, openPage, postWith, startBrowserApp, type BrowserApp } from './browser.js';

// Generous: the machine is shared with other test runs.
const WAIT = { timeout: 30_000 };

/** Records every notification the page creates instead of showing it; `__clickNotification(i)` clicks one. */
const CAPTURE_NOTIFICATIONS = `(() => {
  const Real = window.Notification;
  const shown = [];
  class Recorded {
    constructor(title, options) {
      this.title = title;
      this.body = options && options.body;
      this.tag = options && options.tag;
      this.onclick = null;
      this.closed = false;
      shown.push(this);
    }
    close() { this.closed = true; }
    static get permission() { return Real.permission; }
    static requestPermission() { return Real.requestPermission(); }
  }
  window.Notification = Recorded;
  window.__notifications = () => shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag, closed: n.closed }));
  window.__clickNotification = (i) => { const n = shown[i]; if (n && n.onclick) n.onclick(new Event('click')); };
})();`;

let app: BrowserApp | undefined;
let t: TestApp;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  // Two members are already "more than 1": @channel asks in every channel of the test.
  app = await startBrowserApp({ env: { RUSTCHAT_NOTIFY_CHANNEL_MENTION_CONFIRM_MEMBERS: '1' } });
  ({ t, baseUrl, browser } = app);
}, 300_000);

afterAll(async () => app?.close());

interface Shown { title: string; body: string; tag: string; closed: boolean }
const shownIn = (page: Page) => page.evaluate<Shown[]>('window.__notifications()');
interface Recorder { __notifications(): Shown[] }
// A function, not a string: the page's CSP forbids eval.
const waitForCount = (page: Page, n: number) => page.waitForFunction((count) => (globalThis as unknown as Recorder).__notifications().length >= count, n, WAIT);

async function openAs(user: TestUser, path: string): Promise<Page> {
  const { ctx, page } = await openPage(browser);
  await ctx.grantPermissions(['notifications'], { origin: baseUrl });
  await page.addInitScript({ content: CAPTURE_NOTIFICATIONS });
  await page.goto(`${baseUrl}${path}`);
  await page.getByLabel('E-mail or username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('textbox', { name: /^Message / }).waitFor(WAIT);
  await page.locator('.conn-open').waitFor(WAIT);
  return page;
}

describe('notifications in the browser', () => {
  it('a mention elsewhere notifies and opens the post; none in the focused channel or a muted one; read clears everywhere; @channel asks first', async () => {
    const { alice, bob, team, channel } = await twoInAChannel(t.api);
    const other = await createChannel(t.api, alice, team.id);
    await addChannelMember(t.api, alice, other.id, bob);
    const dm = await directChannel(t.api, alice, bob);

    const B = await openAs(bob, `/${team.name}/channels/${other.name}`);
    // The permission is granted: no banner offering it.
    expect(await B.getByRole('button', { name: 'Turn on desktop notifications' }).count()).toBe(0);

    // ---- Alice mentions Bob in a channel he is not looking at: a notification ----
    const first = await createPost(t.api, alice, channel.id, `@${bob.username} can you look at the release notes?`);
    await waitForCount(B, 1);
    const [note] = await shownIn(B);
    expect(note!.title).toBe(`${alice.username} in #Channel ${channel.name}`);
    expect(note!.body).toBe(`@${bob.username} can you look at the release notes?`);
    expect(note!.tag).toBe(first.id);

    // Clicking it opens the post (its permalink) in the channel.
    await B.evaluate('window.__clickNotification(0)');
    await B.waitForURL(`**/${team.name}/pl/${first.id}`, WAIT);
    await postWith(B, 'can you look at the release notes?').waitFor(WAIT);
    await B.locator(`main article.post[data-post-id="${first.id}"]`).waitFor(WAIT);

    // ---- Bob is looking at that channel in a focused tab: nothing for it ----
    expect(await B.evaluate<boolean>('document.hasFocus()')).toBe(true);
    await createPost(t.api, alice, channel.id, `@${bob.username} here while you read`);
    await postWith(B, 'here while you read').waitFor(WAIT);
    // A later mention elsewhere does notify; being next proves the one before made none.
    await createPost(t.api, alice, other.id, `@${bob.username} over here too`);
    await waitForCount(B, 2);
    expect((await shownIn(B)).map((n) => n.body)).toEqual([`@${bob.username} can you look at the release notes?`, `@${bob.username} over here too`]);

    // ---- Bob mutes the channel from the sidebar and looks elsewhere: nothing for it ----
    const link = channelLink(B, channel.name);
    await link.hover();
    await B.getByRole('button', { name: `Mute Channel ${channel.name}` }).click();
    await B.locator(`a.channel-link.muted[data-channel="${channel.name}"]`).waitFor(WAIT);
    expect(await link.getAttribute('aria-label')).toContain('muted');
    await channelLink(B, other.name).click();
    await B.waitForURL(`**/${team.name}/channels/${other.name}`, WAIT);
    await createPost(t.api, alice, channel.id, `@${bob.username} you muted this`);
    await createPost(t.api, alice, dm.id, 'a direct word');
    await waitForCount(B, 3);
    const third = (await shownIn(B))[2]!;
    expect([third.title, third.body]).toEqual([alice.username, 'a direct word']);
    expect((await shownIn(B)).length).toBe(3);

    // ---- Read clears everywhere: Bob reads the direct message on another device ----
    const dmLink = B.locator(`a.channel-link[data-channel-id="${dm.id}"]`);
    await B.locator(`a.channel-link.unread[data-channel-id="${dm.id}"]`).waitFor(WAIT);
    const B2 = await openAs(bob, `/${team.name}/channels/${other.name}`);
    await B2.locator(`a.channel-link[data-channel-id="${dm.id}"]`).click();
    await postWith(B2, 'a direct word').waitFor(WAIT);
    await B.locator(`a.channel-link.unread[data-channel-id="${dm.id}"]`).waitFor({ ...WAIT, state: 'detached' });
    expect(await dmLink.locator('.badge').count()).toBe(0);
    // …and the direct message's notification, still on the first device's screen, is closed.
    await B.waitForFunction(() => (globalThis as unknown as Recorder).__notifications()[2]?.closed === true, undefined, WAIT);

    // ---- @channel in a channel over the limit: "This will notify 2 people", then sent ----
    const box = B.getByRole('textbox', { name: /^Message / });
    await box.fill('@channel standup moved to 10:30');
    await box.press('Enter');
    const dialog = B.getByRole('dialog', { name: 'Notify everyone in this channel?' });
    await dialog.waitFor(WAIT);
    expect(await dialog.getByText('This will notify 2 people.').count()).toBe(1);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await postWith(B, 'standup moved to 10:30').waitFor(WAIT);
    expect(await B.locator('main article.post.outgoing').count()).toBe(0);

    expect(await cspViolationsIn(B)).toEqual([]);
    await B.context().close();
    await B2.context().close();
  }, 240_000);

  it('Settings → Notifications, a channel\'s preferences and do-not-disturb for an hour are saved through the API', async () => {
    const { alice, bob, team, channel } = await twoInAChannel(t.api);
    const B = await openAs(bob, `/${team.name}/channels/${channel.name}`);
    const prefs = async () => (await t.api.get('/api/v1/users/me/preferences/notifications', bob.token)).body as Record<string, unknown>;

    // ---- settings ----
    await B.locator('button.me-button').click();
    const settings = B.getByRole('dialog', { name: 'Profile and settings' });
    await settings.getByLabel('Other words that notify me').fill('deploy, Release-Train');
    await settings.getByLabel('Desktop', { exact: true }).selectOption('all');
    await settings.getByLabel('E-mail me').selectOption('hour');
    await settings.getByLabel('Play a sound with desktop notifications').uncheck();
    // The do-not-disturb schedule: Monday night across midnight, and all of Saturday (00:00 to 00:00).
    await settings.getByLabel('Do not disturb me at these times every week').check();
    await settings.getByLabel('Monday', { exact: true }).check();
    await settings.getByLabel('Monday: from').fill('22:30');
    await settings.getByLabel('Monday: until').fill('06:45');
    await settings.getByLabel('Saturday', { exact: true }).check();
    await settings.getByLabel('Saturday: from').fill('00:00');
    await settings.getByLabel('Saturday: until').fill('00:00');
    expect(await settings.getByLabel('Sunday: from').isDisabled()).toBe(true);
    await settings.getByRole('button', { name: 'Save notification settings' }).click();
    await settings.getByText('Notification settings saved.').waitFor(WAIT);
    expect(await prefs()).toMatchObject({
      keywords: ['deploy', 'Release-Train'], desktop: 'all', email_interval: 'hour', desktop_sound: false,
      dnd_schedule: { enabled: true, days: [{ day: 1, start: '22:30', end: '06:45' }, { day: 6, start: '00:00', end: '24:00' }] },
    });
    // The form shows what the server kept (24:00 reads 00:00 in a time input).
    expect([await settings.getByLabel('Monday: from').inputValue(), await settings.getByLabel('Saturday: until').inputValue()]).toEqual(['22:30', '00:00']);
    // Bob had no time zone: the browser's was saved with the schedule (the server reads the schedule in it).
    const zone = await B.evaluate<string>('Intl.DateTimeFormat().resolvedOptions().timeZone');
    expect((await t.api.get('/api/v1/users/me', bob.token)).body.timezone).toBe(zone);
    await B.keyboard.press('Escape');
    await settings.waitFor({ state: 'detached', ...WAIT });

    // ---- the channel's preferences: muted from the header's dialog, drawn muted in the sidebar ----
    await B.locator('.channel-tools').getByRole('button', { name: 'Notifications' }).click();
    const dialog = B.getByRole('dialog', { name: `Notifications for Channel ${channel.name}` });
    await dialog.getByLabel('Mute this channel').check();
    await dialog.getByLabel('Mobile push').selectOption('none');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached', ...WAIT });
    await B.locator(`a.channel-link.muted[data-channel="${channel.name}"]`).waitFor(WAIT);
    const props = (await t.api.get(`/api/v1/channels/${channel.id}/members/me/notify_props`, bob.token)).body as Record<string, unknown>;
    expect(props).toMatchObject({ mark_unread: 'mention', push: 'none', desktop: 'default' });

    // ---- do not disturb for an hour, from the status menu ----
    const before = Date.now();
    await B.locator('#my-status').selectOption('dnd:1h');
    await B.locator('#my-status option[value="dnd-now"]').waitFor({ ...WAIT, state: 'attached' });
    const end = (await prefs()).dnd_end_at as number;
    expect(end).toBeGreaterThan(before + 59 * 60_000);
    const statuses = (await t.api.post('/api/v1/users/status/ids', [bob.id], alice.token)).body as { status: string }[];
    expect(statuses.map((x) => x.status)).toEqual(['dnd']);

    await B.context().close();
  }, 240_000);
});
