/**
 * The everyday screens in Chromium, with the built client served by a real RustChat (SQLite)
 * and two people signed in side by side. Alice sets a custom status in her settings and Bob sees
 * it next to her message; a status with an expiry shows, then goes by itself. Alice marks one of
 * Bob's messages unread and the channel is unread again once she has left it; she stars a
 * channel, moves it with Alt+↓, and both survive a reload (kept on the server); she starts a
 * group message, jumps to a channel with Ctrl+K, drags a channel out of favourites, archives and
 * restores it, edits her last message with ↑ and switches to the dark theme. At 360 px wide
 * nothing overflows and the sidebar is a drawer.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { channelLink, cspViolationsIn, openPage, postWith, startBrowserApp, type BrowserApp, signInAt, until } from './browser.js';

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

async function signIn(page: Page, user: TestUser, path: string): Promise<void> {
  await signInAt(page, baseUrl, user, path);
  await page.locator('#message-box').waitFor(WAIT);
}

describe('the everyday screens in the browser', () => {
  it('status with expiry, mark unread, favourites kept, drag, group message, quick switcher, ↑ edit, archive, dark theme, 360 px', async () => {
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => registerUser(t.api, n)));
    const team = await createTeam(t.api, alice!, 'invite');
    await addTeamMember(t.api, alice!, team.id, bob!);
    await addTeamMember(t.api, alice!, team.id, carol!);
    const general = await createChannel(t.api, alice!, team.id, 'public');
    const random = await createChannel(t.api, alice!, team.id, 'public');
    await addChannelMember(t.api, alice!, general.id, bob!);
    await createPost(t.api, alice!, general.id, 'good morning from alice');

    const a = await openPage(browser);
    const b = await openPage(browser);
    const A = a.page;
    const B = b.page;
    try {
      await signIn(A, alice!, `/${team.name}/channels/${general.name}`);
      await signIn(B, bob!, `/${team.name}/channels/${general.name}`);
      await postWith(B, 'good morning from alice').waitFor(WAIT);

      // ---- custom status, set in the settings; Bob sees it next to Alice's message ----
      await A.getByRole('button', { name: /^Profile and settings:/ }).click();
      const settings = A.getByRole('dialog', { name: 'Profile and settings' });
      await settings.getByLabel('Emoji').selectOption('rocket');
      await settings.getByLabel('What are you up to?').fill('Deep work');
      await settings.getByLabel('Clear after').selectOption('30m');
      await settings.getByRole('button', { name: 'Set status' }).click();
      await settings.getByText('Status set.').waitFor(WAIT);
      const me = (await t.api.get('/api/v1/users/me', alice!.token)).body;
      expect(me.status_text).toBe('Deep work');
      expect(me.status_expires_at - Date.now()).toBeGreaterThan(25 * 60_000);
      await postWith(B, 'good morning from alice').locator('.custom-status', { hasText: 'Deep work' }).waitFor(WAIT);

      // ---- the dark theme, in the same settings; kept after a reload ----
      await settings.getByRole('radio', { name: 'Dark' }).check();
      expect(await A.evaluate('document.documentElement.dataset.theme')).toBe('dark');
      const bg = await A.evaluate<string>('getComputedStyle(document.body).backgroundColor');
      const [r, g, bl] = bg.match(/\d+/g)!.map(Number);
      expect(r! + g! + bl!).toBeLessThan(150);
      await settings.getByRole('button', { name: 'Done' }).last().click();

      // A status that expires in a moment: shown, then gone without anyone reloading.
      expect((await t.api.patch('/api/v1/users/me', { status_text: 'Quick break', status_expires_at: Date.now() + 4000 }, alice!.token)).status).toBe(200);
      const status = postWith(B, 'good morning from alice').locator('.custom-status');
      await status.filter({ hasText: 'Quick break' }).waitFor(WAIT);
      await status.waitFor({ state: 'detached', ...WAIT });

      // ---- mark as unread ----
      await createPost(t.api, bob!, general.id, 'first of two from bob');
      await createPost(t.api, bob!, general.id, 'second of two from bob');
      const first = postWith(A, 'first of two from bob');
      await first.waitFor(WAIT);
      await first.hover();
      await first.getByRole('button', { name: 'Mark as unread' }).click();
      await channelLink(A, random.name).click();
      await A.waitForURL(`**/channels/${random.name}`, WAIT);
      await A.locator(`a.channel-link.unread[data-channel="${general.name}"]`).waitFor(WAIT);
      expect(await channelLink(A, general.name).getAttribute('aria-label')).toContain('2 unread');
      await channelLink(A, general.name).click();
      await A.waitForURL(`**/channels/${general.name}`, WAIT);

      // ---- favourites: star two channels, reorder with Alt+↓, reload ----
      const favourites = A.locator('section[data-category="favorites"]');
      await channelLink(A, general.name).hover();
      await A.getByRole('button', { name: `Add Channel ${general.name} to favourites` }).click();
      await favourites.locator(`a[data-channel="${general.name}"]`).waitFor(WAIT);
      await channelLink(A, random.name).hover();
      await A.getByRole('button', { name: `Add Channel ${random.name} to favourites` }).click();
      await favourites.locator(`a[data-channel="${random.name}"]`).waitFor(WAIT);
      const order = () => favourites.locator('a.channel-link').evaluateAll((els) => els.map((e) => e.getAttribute('data-channel')));
      expect(await order()).toEqual([general.name, random.name]);
      await favourites.locator(`a[data-channel="${general.name}"]`).focus();
      await A.keyboard.press('Alt+ArrowDown');
      await until(A, `[...document.querySelectorAll('section[data-category="favorites"] a.channel-link')].map((e) => e.dataset.channel).join() === ${JSON.stringify(`${random.name},${general.name}`)}`);
      await until(A, `document.activeElement?.dataset?.channel === ${JSON.stringify(general.name)}`);
      // Saved on the server: the arrangement survives a reload.
      await expect.poll(async () => (await t.api.get('/api/v1/users/me/sidebar', alice!.token)).body.categories[0].channel_ids, WAIT).toEqual([random.id, general.id]);
      await A.reload();
      await A.locator('#message-box').waitFor(WAIT);
      await favourites.locator(`a[data-channel="${general.name}"]`).waitFor(WAIT);
      expect(await order()).toEqual([random.name, general.name]);
      // Still dark after the reload.
      expect(await A.evaluate('document.documentElement.dataset.theme')).toBe('dark');

      // ---- ↑ in the empty composer edits my last message here ----
      await A.locator('#message-box').fill('a typo mesage from alice');
      await A.locator('#message-box').press('Enter');
      await postWith(A, 'a typo mesage from alice').waitFor(WAIT);
      await A.locator('#message-box').press('ArrowUp');
      // The message being edited shows a text box instead of its text.
      const edit = A.locator('main article.post textarea');
      await edit.waitFor(WAIT);
      await edit.fill('a typo message from alice');
      await edit.press('Enter');
      await postWith(B, 'a typo message from alice').waitFor(WAIT);

      // ---- a group message with Bob and Carol ----
      await A.getByRole('button', { name: 'New group message' }).click();
      const group = A.getByRole('dialog', { name: 'New group message' });
      for (const u of [bob!, carol!]) {
        await group.getByLabel('Find people').fill(u.username);
        await group.getByRole('button', { name: new RegExp(`^Add .* to the group$`) }).first().click();
        await group.getByRole('list', { name: 'Chosen people' }).getByText(u.username, { exact: false }).waitFor(WAIT);
      }
      await group.getByRole('button', { name: 'Start group message' }).click();
      await expect.poll(async () => (await t.api.get('/api/v1/channels', alice!.token)).body.filter((c: { type: string }) => c.type === 'group').length, WAIT).toBe(1);
      const grp = (await t.api.get('/api/v1/channels', alice!.token)).body.find((c: { type: string }) => c.type === 'group');
      await A.waitForURL(`**/channels/${grp.name}`, WAIT);
      await channelLink(B, grp.name).waitFor(WAIT);

      // ---- the quick switcher: Ctrl+K, a few letters, Enter ----
      await A.locator('#message-box').focus();
      await A.keyboard.press('Control+k');
      const switcher = A.getByRole('dialog', { name: 'Find a channel or person' });
      await switcher.getByRole('combobox').fill(random.name.slice(0, 4) + random.name.slice(-4));
      await switcher.getByRole('option', { name: new RegExp(random.name) }).first().waitFor(WAIT);
      await switcher.getByRole('combobox').press('Enter');
      await A.waitForURL(`**/channels/${random.name}`, WAIT);
      expect(await switcher.count()).toBe(0);

      // ---- drag a channel out of favourites, back to the channel list ----
      await favourites.locator(`a[data-channel="${random.name}"]`).dragTo(A.locator('section[aria-labelledby="sb-channels"] ul.channel-list'));
      await A.locator(`section[aria-labelledby="sb-channels"] a[data-channel="${random.name}"]`).waitFor(WAIT);
      expect(await order()).toEqual([general.name]);
      await expect.poll(async () => (await t.api.get('/api/v1/users/me/sidebar', alice!.token)).body.categories[0].channel_ids, WAIT).toEqual([general.id]);

      // ---- archive and restore from the channel header (Alice created it: she is its admin) ----
      await A.locator('.channel-tools').getByRole('button', { name: 'Archive' }).click();
      await A.getByRole('dialog', { name: `Archive Channel ${random.name}` }).getByRole('button', { name: 'Archive' }).click();
      await A.getByText('This channel is archived: read-only.').waitFor(WAIT);
      expect(await A.locator('#message-box').isDisabled()).toBe(true);
      expect((await t.api.get(`/api/v1/channels/${random.id}`, alice!.token)).body.is_archived).toBe(true);
      await A.locator('.channel-tools').getByRole('button', { name: 'Restore' }).click();
      await A.getByText('This channel is archived: read-only.').waitFor({ state: 'detached', ...WAIT });
      expect(await A.locator('#message-box').isDisabled()).toBe(false);

      // ---- phone width: no horizontal overflow, the sidebar is a drawer ----
      const phone = await browser.newContext({ viewport: { width: 360, height: 740 } });
      try {
        const P = await phone.newPage();
        await signIn(P, bob!, `/${team.name}/channels/${general.name}`);
        await postWith(P, 'a typo message from alice').waitFor(WAIT);
        expect(await P.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
        expect(await channelLink(P, random.name).count()).toBe(0); // bob is not in it
        const sidebarBox = () => P.locator('#sidebar-drawer').boundingBox();
        expect((await sidebarBox())!.x + (await sidebarBox())!.width).toBeLessThanOrEqual(0);
        await P.getByRole('button', { name: 'Channels and teams' }).click();
        await until(P, `document.getElementById('sidebar-drawer').getBoundingClientRect().left >= 0`);
        await channelLink(P, grp.name).click();
        await P.waitForURL(`**/channels/${grp.name}`, WAIT);
        await until(P, `document.getElementById('sidebar-drawer').getBoundingClientRect().right <= 0`);
        expect(await P.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
        // The settings dialog fits too.
        await P.getByRole('button', { name: 'Channels and teams' }).click();
        await P.getByRole('button', { name: /^Profile and settings:/ }).click();
        await P.getByRole('dialog', { name: 'Profile and settings' }).waitFor(WAIT);
        expect(await P.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
        const dialogBox = await P.getByRole('dialog', { name: 'Profile and settings' }).boundingBox();
        expect(dialogBox!.x).toBeGreaterThanOrEqual(0);
        expect(dialogBox!.x + dialogBox!.width).toBeLessThanOrEqual(360);
      } finally {
        await phone.close();
      }

      // ---- a password change: every other session ends, this tab stays signed in and connected ----
      const other = await t.api.post('/api/v1/auth/login', { email: alice!.username, password: alice!.password });
      expect(other.status).toBe(200);
      await A.getByRole('button', { name: /^Profile and settings:/ }).click();
      const pw = A.getByRole('dialog', { name: 'Profile and settings' });
      await pw.getByLabel('Current password').fill(alice!.password);
      await pw.getByLabel('New password').fill('another long and unusual passphrase 4242');
      await pw.getByRole('button', { name: 'Change password' }).click();
      await pw.getByText('Password changed. Other devices are signed out.').waitFor(WAIT);
      await pw.getByRole('button', { name: 'Done' }).last().click();
      expect((await t.api.get('/api/v1/users/me', other.body.token)).status).toBe(401);
      expect((await t.api.get('/api/v1/users/me', alice!.token)).status).toBe(401);
      await A.locator('.conn-open').waitFor(WAIT);
      await A.locator('#message-box').fill('still here after the password change');
      await A.locator('#message-box').press('Enter');
      // Confirmed by the server (an outgoing message has no post id yet).
      await A.locator('main article.post[data-post-id]').filter({ hasText: 'still here after the password change' }).waitFor(WAIT);

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
