/**
 * Emoji in the web client end to end (built client, real server, system Chromium): `:name:`
 * in a message shows the emoji, a custom emoji's image (same origin, under the strict CSP);
 * Alice reacts with an emoji she finds in the picker by searching, with a skin tone, and sees
 * it (and the server has it); the picker remembers what she used; the composer completes
 * `:tad` with the keyboard; a custom emoji added meanwhile is offered at once (its event).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { createPost, twoInAChannel } from '../helpers/factories.js';
import { png, uploadEmoji } from '../helpers/uploads.js';
import { cspViolationsIn, openPage, postWith, startBrowserApp, type BrowserApp } from './browser.js';

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

describe('emoji in the browser', () => {
  it('shows :name: and custom emoji, reacts with an emoji found in the picker, completes :name in the composer', async () => {
    const { alice, bob, team, channel } = await twoInAChannel(t.api);
    const parrot = await uploadEmoji(t.api, bob, 'partyparrot', await png(64, 64, '#22aa44'));
    expect(parrot.status).toBe(201);
    const post = await createPost(t.api, bob, channel.id, 'ship it :rocket: :partyparrot: at 10:30:45');

    const { ctx, page: A, watch } = await openPage(browser);
    try {
      await A.goto(`${baseUrl}/${team.name}/channels/${channel.name}`);
      await A.getByLabel('E-mail or username').fill(alice.username);
      await A.getByLabel('Password').fill(alice.password);
      await A.getByRole('button', { name: 'Sign in' }).click();
      const bobs = postWith(A, 'ship it');
      await bobs.waitFor(WAIT);

      // ---- :name: in text: a standard emoji as its character, a custom one as its image, anything else as typed ----
      await bobs.locator('.message-text', { hasText: '🚀' }).waitFor(WAIT);
      const img = bobs.locator('.message-text img.custom-emoji[alt=":partyparrot:"]');
      await img.waitFor(WAIT);
      expect(await img.getAttribute('src')).toBe(`/api/v1/emoji/${parrot.body.id}/image`);
      await A.waitForFunction((el) => { const i = el as unknown as { complete: boolean; naturalWidth: number }; return i.complete && i.naturalWidth > 0; }, await img.elementHandle(), WAIT);
      expect(await bobs.locator('.message-text').innerText()).toContain('10:30:45');

      // ---- the picker: search, pick, see the reaction ----
      await bobs.hover();
      await bobs.getByRole('button', { name: 'Add reaction' }).click();
      const picker = A.getByRole('dialog', { name: 'Pick a reaction' });
      const search = picker.getByRole('searchbox', { name: 'Search emoji' });
      await search.fill('unicorn');
      await picker.getByRole('gridcell', { name: ':unicorn_face:' }).click();
      const unicorn = bobs.getByRole('button', { name: /^unicorn_face: 1 \(you\)/ });
      await unicorn.waitFor(WAIT);
      expect(await unicorn.innerText()).toContain('🦄');

      // With a skin tone, by keyboard: Enter in the search box takes the first result.
      await bobs.hover();
      await bobs.getByRole('button', { name: 'Add reaction' }).click();
      await picker.getByRole('combobox', { name: 'Skin tone' }).selectOption('3');
      await search.fill('thumbsup');
      await search.press('Enter');
      const toned = bobs.getByRole('button', { name: /^\+1_tone3: 1 \(you\)/ });
      await toned.waitFor(WAIT);
      expect(await toned.innerText()).toContain('👍🏽');

      // Custom emoji from the picker, and the recently used row.
      await bobs.hover();
      await bobs.getByRole('button', { name: 'Add reaction' }).click();
      const recent = picker.getByRole('region', { name: 'Recently used' });
      await recent.getByRole('gridcell', { name: ':unicorn_face:' }).waitFor(WAIT);
      await search.fill('partyp');
      await picker.getByRole('gridcell', { name: ':partyparrot:' }).click();
      await bobs.getByRole('button', { name: /^partyparrot: 1 \(you\)/ }).locator('img.custom-emoji').waitFor(WAIT);

      const server = (await t.api.get(`/api/v1/posts/${post.id}`, alice.token)).body.reactions.map((r: { emoji: string }) => r.emoji);
      expect(server).toEqual(expect.arrayContaining(['unicorn_face', '+1_tone3', 'partyparrot']));

      // ---- the composer: `:tad` offers :tada:, Enter takes it ----
      const box = A.getByRole('textbox', { name: /^Message #/ });
      await box.click();
      await box.pressSequentially('done :tad');
      const list = A.getByRole('listbox', { name: 'Emoji suggestions' });
      await list.getByRole('option', { name: /:tada:/ }).waitFor(WAIT);
      for (let i = 0; i < 8 && (await list.getByRole('option', { name: /:tada:/ }).getAttribute('aria-selected')) !== 'true'; i++) await box.press('ArrowDown');
      await box.press('Enter');
      expect(await box.inputValue()).toBe('done :tada: ');
      await box.press('Enter');
      await postWith(A, 'done').locator('.message-text', { hasText: '🎉' }).waitFor(WAIT);

      // ---- a custom emoji added now is offered at once (custom_emoji_added) ----
      expect((await uploadEmoji(t.api, bob, 'freshly_made', await png(32, 32, '#aa2244'))).status).toBe(201);
      await box.pressSequentially(':freshl');
      await list.getByRole('option', { name: /:freshly_made:/ }).waitFor(WAIT);
      await box.press('Escape');

      // ---- the custom emoji dialog: add one, use it, delete it ----
      await A.getByRole('button', { name: 'Custom emoji' }).click();
      const dialog = A.getByRole('dialog', { name: 'Custom emoji' });
      await dialog.getByLabel('Name').fill('alices_own');
      await dialog.getByLabel('Image').setInputFiles({ name: 'own.png', mimeType: 'image/png', buffer: await png(200, 100, '#4455ff') });
      await dialog.getByRole('button', { name: 'Add emoji' }).click();
      await dialog.getByRole('status').filter({ hasText: ':alices_own: is ready to use.' }).waitFor(WAIT);
      const listed = dialog.getByRole('list', { name: 'Custom emoji' });
      await listed.getByText(':alices_own:').waitFor(WAIT);
      // Bob's is listed for her, but only hers can be deleted by her.
      expect(await listed.getByRole('button', { name: 'Delete :partyparrot:' }).count()).toBe(0);
      await dialog.getByLabel('Name').fill('thumbsup');
      await dialog.getByLabel('Image').setInputFiles({ name: 'own.png', mimeType: 'image/png', buffer: await png(20, 20) });
      await dialog.getByRole('button', { name: 'Add emoji' }).click();
      await dialog.getByRole('alert').filter({ hasText: 'standard emoji' }).waitFor(WAIT);
      const own = (await t.api.get('/api/v1/emoji/name/alices_own', alice.token)).body;
      expect(own.creator_id).toBe(alice.id);
      await listed.getByRole('button', { name: 'Delete :alices_own:' }).click();
      await dialog.getByRole('status').filter({ hasText: ':alices_own: is deleted.' }).waitFor(WAIT);
      expect((await t.api.get('/api/v1/emoji/name/alices_own', alice.token)).status).toBe(404);
      await dialog.getByRole('button', { name: 'Done' }).click();

      expect(await cspViolationsIn(A)).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 180_000);
});
