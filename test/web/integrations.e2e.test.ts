/**
 * Integrations in the web client end to end (built client, real server, system Chromium):
 * Alice creates an incoming webhook in the Integrations screen and reads its one-time URL; a
 * program POSTs Slack-format JSON to it and the message appears marked as a webhook's (the
 * name it gave itself beside the mark, never instead of Alice), its attachments drawn: an image
 * the server could not fetch stays a link (nothing remote loaded: no CSP violation), and one on a
 * loopback image server allowed by RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS is drawn from the
 * server's stored copy (same origin, sized before it loads, a link to the original), for Bob too. In the composer `/shr` offers /shrug from
 * the keyboard and `/shrug hello` posts `hello ¯\_(ツ)_/¯`; an unknown command says so and gives
 * the line back. A custom command registered in the screen calls a loopback receiver (allowed by
 * RUSTCHAT_OUTBOUND_ALLOWED_HOSTS) with the token the screen showed once, and its ephemeral
 * answer appears for Alice only, marked "Only visible to you": dismissible, gone after a reload,
 * and never on Bob's screen.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { twoInAChannel, type TestUser } from '../helpers/factories.js';
import { png } from '../helpers/uploads.js';
import { cspViolationsIn, openPage, postWith, startBrowserApp, type BrowserApp, signInAt } from './browser.js';

const WAIT = { timeout: 30_000 };

let app: BrowserApp | undefined;
let t: TestApp;
let baseUrl: string;
let browser: Browser;
let receiver: Server | undefined;
let receiverUrl: string;
/** The receiver's origin: it also serves the PNGs a webhook's attachment points at. */
let receiverOrigin: string;
const received: { body: string }[] = [];
/** While set, the receiver holds its answers until it resolves (to see the composer say the command is running). */
let gate: Promise<void> | undefined;

beforeAll(async () => {
  const [chart, thumb] = await Promise.all([png(1200, 600, '#2266aa'), png(90, 90, '#aa6622')]);
  receiver = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/chart.png' || req.url === '/thumb.png')) {
      res.writeHead(200, { 'content-type': 'image/png' }).end(req.url === '/chart.png' ? chart : thumb);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8') });
      void (gate ?? Promise.resolve()).then(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ response_type: 'ephemeral', text: 'Sunny in **Paris**' }));
      });
    });
  });
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
  receiverOrigin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  receiverUrl = `${receiverOrigin}/weather`;
  app = await startBrowserApp({
    // The receiver's host for commands (RUSTCHAT_OUTBOUND_ALLOWED_HOSTS) and for attachment images (RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS: the lists are separate).
    env: { RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1', RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS: '127.0.0.1', RUSTCHAT_WEBHOOKS_ALLOW_USERNAME_OVERRIDE: 'true' },
  });
  ({ t, baseUrl, browser } = app);
}, 300_000);

afterAll(async () => {
  await app?.close();
  await new Promise<void>((resolve) => (receiver !== undefined ? receiver.close(() => resolve()) : resolve()));
});

async function signIn(page: Page, user: TestUser, path: string): Promise<void> {
  await signInAt(page, baseUrl, user, path);
}

/** Reads the secret of the one-time dialog and closes it. */
async function readSecret(page: Page, label: string): Promise<string> {
  const dialog = page.getByRole('dialog').filter({ hasText: 'you will not see this again' });
  await dialog.waitFor(WAIT);
  const value = await dialog.getByLabel(label).inputValue();
  await dialog.getByRole('button', { name: 'Copy' }).waitFor(WAIT);
  await dialog.getByRole('button', { name: 'Done' }).click();
  await dialog.waitFor({ state: 'detached', ...WAIT });
  return value;
}

describe('integrations in the browser', () => {
  it('keeps typing where the caret is after a completion, however late the browser draws its next frame', async () => {
    // Animation frames are held while `__holdFrames` is set and run when released: a completion
    // that placed the caret in a frame callback would move it back after the first character
    // typed ("/shrug elloh"). Intermittent in CI before the fix, deterministic here.
    const { alice, bob, team, channel } = await twoInAChannel(t.api);
    const { ctx, page: A } = await openPage(browser, (c) => void c.addInitScript({
      content: `{ const raf = window.requestAnimationFrame.bind(window); const held = [];
        window.__holdFrames = false;
        window.requestAnimationFrame = (cb) => window.__holdFrames ? held.push(cb) : raf(cb);
        window.__releaseFrames = () => new Promise((done) => { window.__holdFrames = false; for (const cb of held.splice(0)) raf(cb); raf(() => done()); }); }`,
    }));
    try {
      await signIn(A, alice, `/${team.name}/channels/${channel.name}`);
      const box = A.getByRole('textbox', { name: /^Message / });
      await box.waitFor(WAIT);
      await A.evaluate('window.__holdFrames = true');
      await box.click();
      await box.pressSequentially('/shr');
      await A.getByRole('listbox', { name: 'Command suggestions' }).getByRole('option', { name: /\/shrug/ }).waitFor(WAIT);
      await box.press('Enter');
      await box.press('h');
      await A.evaluate('window.__releaseFrames()');
      await box.pressSequentially('ello');
      expect(await box.inputValue()).toBe('/shrug hello');
      await box.press('Enter');
      await postWith(A, 'hello ¯\\_(ツ)_/¯').waitFor(WAIT);

      // The search box's completions place the caret the same way.
      const search = A.getByRole('combobox', { name: 'Search messages' });
      await A.evaluate('window.__holdFrames = true');
      await search.click();
      await search.pressSequentially(`from:${bob.username.slice(0, 5)}`);
      const option = A.getByRole('listbox', { name: 'Search suggestions' }).getByRole('option', { name: new RegExp(`^@${bob.username}\\b`) });
      await option.waitFor(WAIT);
      for (let i = 0; i < 8 && (await option.getAttribute('aria-selected')) !== 'true'; i++) await search.press('ArrowDown');
      await search.press('Enter');
      await search.press('d');
      await A.evaluate('window.__releaseFrames()');
      await search.pressSequentially('eploy');
      expect(await search.inputValue()).toBe(`from:@${bob.username} deploy`);
    } finally {
      await ctx.close();
    }
  }, 120_000);

  it('creates a webhook and sees its marked post, runs /shrug and a custom command whose answer only its caller sees', async () => {
    const { alice, bob, team, channel } = await twoInAChannel(t.api);
    const path = `/${team.name}/channels/${channel.name}`;
    const { ctx, page: A } = await openPage(browser);
    const { ctx: ctxB, page: B } = await openPage(browser);
    const { ctx: ctxA2, page: A2 } = await openPage(browser);
    try {
      await signIn(A, alice, path);
      await signIn(B, bob, path);
      await signIn(A2, alice, path); // Alice on a second device
      const box = A.getByRole('textbox', { name: /^Message / });
      await box.waitFor(WAIT);

      // ---- the Integrations screen, from the keyboard: create an incoming webhook ----
      const open = A.getByRole('button', { name: 'Integrations' });
      await open.focus();
      await A.keyboard.press('Enter');
      const screen = A.getByRole('dialog', { name: /^Integrations of / });
      await screen.waitFor(WAIT);
      const add = screen.getByRole('form', { name: 'Add an incoming webhook' });
      await add.getByRole('combobox', { name: 'Channel' }).selectOption(channel.id);
      await add.getByRole('textbox', { name: /^Name/ }).fill('Builds');
      await add.getByRole('button', { name: 'Create webhook' }).click();
      const url = await readSecret(A, 'Webhook address');
      expect(url).toMatch(/\/hooks\/[A-Za-z0-9_-]{40,}$/);
      await screen.getByRole('list', { name: 'Your incoming webhooks' }).getByText('Builds').waitFor(WAIT);
      await screen.getByRole('button', { name: 'Close' }).first().click();
      await screen.waitFor({ state: 'detached', ...WAIT });

      // ---- a program posts to it in Slack's format ----
      const res = await fetch(`${baseUrl}${new URL(url).pathname}`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          text: 'Build **#42** passed', username: 'CI Robot',
          attachments: [{
            color: 'good', pretext: 'Deploy report', title: 'main @ 1a2b3c', title_link: 'https://ci.example.com/42', text: 'All *green*',
            fields: [{ title: 'Tests', value: '1200', short: true }, { title: 'Duration', value: '3 min', short: true }], image_url: 'https://img.example.com/chart.png',
          }, {
            title: 'Coverage', text: '93%', image_url: `${receiverOrigin}/chart.png`, thumb_url: `${receiverOrigin}/thumb.png`,
          }],
        }),
      });
      expect(res.status).toBe(200);
      const hooked = postWith(A, 'Build #42 passed');
      await hooked.waitFor(WAIT);
      // The author is the hook's creator, whatever name the payload gave.
      expect(await hooked.locator('.post-header .author').innerText()).toBe(alice.username);
      await hooked.locator('.author-mark.webhook', { hasText: 'BOT' }).waitFor(WAIT);
      expect(await hooked.locator('.override-name').innerText()).toBe('CI Robot');
      const attachment = hooked.getByRole('group', { name: 'Attachment: main @ 1a2b3c' });
      await attachment.waitFor(WAIT);
      expect(await attachment.getByRole('link', { name: 'main @ 1a2b3c' }).getAttribute('href')).toBe('https://ci.example.com/42');
      expect(await attachment.locator('em', { hasText: 'green' }).count()).toBe(1);
      expect(await attachment.locator('dt').allInnerTexts()).toEqual(['Tests', 'Duration']);
      expect(await attachment.getByRole('link', { name: 'Image (link)' }).getAttribute('href')).toBe('https://img.example.com/chart.png');
      expect(await A.locator('img[src^="https://img.example.com"]').count()).toBe(0);
      // The second attachment's image and thumbnail: fetched by the server, drawn from its copy.
      const coverage = hooked.getByRole('group', { name: 'Attachment: Coverage' });
      const chart = coverage.getByRole('img', { name: 'Image of Coverage' });
      await chart.waitFor(WAIT);
      expect(await chart.getAttribute('src')).toMatch(/^\/api\/v1\/posts\/[\w-]+\/attachments\/1\/image\?v=\d+$/);
      expect([await chart.getAttribute('width'), await chart.getAttribute('height')]).toEqual(['600', '300']);
      // Loaded (same origin, through the session), not a broken image.
      expect(await chart.evaluate(async (el) => {
        const img = el as unknown as { loading: string; decode(): Promise<void>; naturalWidth: number; naturalHeight: number };
        img.loading = 'eager';
        await img.decode();
        return [img.naturalWidth, img.naturalHeight];
      })).toEqual([600, 300]);
      expect(await coverage.getByRole('link', { name: 'Image of Coverage' }).getAttribute('href')).toBe(`${receiverOrigin}/chart.png`);
      const small = coverage.getByRole('img', { name: 'Thumbnail of Coverage' });
      expect(await small.getAttribute('src')).toMatch(/\/attachments\/1\/thumb\?v=\d+$/);
      expect(await coverage.getByRole('link', { name: 'Image (link)' }).count()).toBe(0);
      expect(await A.locator(`img[src^="${receiverOrigin}"]`).count()).toBe(0);
      // Bob, a member of the channel, sees the same image.
      await postWith(B, 'Build #42 passed').getByRole('img', { name: 'Image of Coverage' }).waitFor(WAIT);
      // Bob sees the same mark: nobody can take the webhook's post for Alice's own.
      await postWith(B, 'Build #42 passed').locator('.author-mark.webhook').waitFor(WAIT);
      // So does a search result.
      const search = A.getByRole('combobox', { name: 'Search messages' });
      await search.fill('passed');
      await search.press('Enter');
      await A.getByRole('complementary', { name: 'Search results' }).locator('.search-result .author-mark.webhook').waitFor(WAIT);

      // ---- /shrug, completed from the keyboard ----
      await box.click();
      await box.pressSequentially('/shr');
      const list = A.getByRole('listbox', { name: 'Command suggestions' });
      await list.getByRole('option', { name: /\/shrug/ }).waitFor(WAIT);
      await box.press('Enter');
      expect(await box.inputValue()).toBe('/shrug ');
      await box.pressSequentially('hello');
      await box.press('Enter');
      // (Intermittent in CI until 2026-12-03: the completion moved the caret in a frame callback, so
      // "hello" could become "elloh"; see the test above. If the post does not show, say what the page showed.)
      await postWith(A, 'hello ¯\\_(ツ)_/¯').waitFor(WAIT).catch(async (err: unknown) => {
        const notices = await A.locator('[role="status"], [role="alert"]').allTextContents();
        const last = await A.locator('main article.post .message-text').allTextContents();
        throw new Error(`the /shrug post did not show: box ${JSON.stringify(await box.inputValue())}, notices ${JSON.stringify(notices)}, last posts ${JSON.stringify(last.slice(-3))}`, { cause: err });
      });
      expect(await box.inputValue()).toBe('');

      // An unknown command is not posted: the error is shown and the line comes back.
      await box.fill('/nosuchcommand now');
      await box.press('Enter');
      await A.locator('.toast', { hasText: '/help' }).waitFor(WAIT);
      expect(await box.inputValue()).toBe('/nosuchcommand now');
      await box.fill('');

      // ---- a custom command registered in the screen, answering only its caller ----
      await A.getByRole('button', { name: 'Integrations' }).click();
      await screen.waitFor(WAIT);
      await screen.getByRole('button', { name: 'Slash commands' }).click();
      const addCommand = screen.getByRole('form', { name: 'Add a slash command' });
      await addCommand.getByLabel('Trigger word').fill('weather');
      await addCommand.getByLabel('Request URL').fill(receiverUrl);
      await addCommand.getByRole('button', { name: 'Create command' }).click();
      const commandToken = await readSecret(A, 'Token sent with each request');
      expect(commandToken.length).toBeGreaterThan(16);
      await screen.getByRole('list', { name: 'Commands you manage' }).getByText('/weather', { exact: true }).waitFor(WAIT);
      await screen.getByRole('button', { name: 'Close' }).first().click();
      await screen.waitFor({ state: 'detached', ...WAIT });

      await box.click();
      await box.pressSequentially('/weath');
      await list.getByRole('option', { name: /\/weather/ }).waitFor(WAIT);
      await box.press('Tab');
      await box.pressSequentially('paris');
      let release: () => void = () => undefined;
      gate = new Promise<void>((resolve) => (release = resolve));
      await box.press('Enter');
      await A.locator('.composer .composer-status', { hasText: 'Running /weather…' }).waitFor(WAIT);
      gate = undefined;
      release();
      const answer = A.locator('article.post.ephemeral', { hasText: 'Sunny in Paris' });
      await answer.waitFor(WAIT);
      await answer.getByText('(Only visible to you)').waitFor(WAIT);
      const request = new URLSearchParams(received.at(-1)!.body);
      expect(request.get('token')).toBe(commandToken);
      expect(request.get('text')).toBe('paris');
      expect(request.get('user_name')).toBe(alice.username);

      // Dismissible; a second answer stays until a reload, which forgets it (it was never stored).
      await answer.getByRole('button', { name: 'Dismiss' }).click();
      await answer.waitFor({ state: 'detached', ...WAIT });
      await box.fill('/weather lyon');
      await box.press('Enter');
      await answer.waitFor(WAIT);
      // Her other device hears of it over the WebSocket (ephemeral_message, to her own connections only).
      // (Both answers: dismissing is per device.)
      await A2.locator('article.post.ephemeral', { hasText: 'Sunny in Paris' }).nth(1).getByText('(Only visible to you)').waitFor(WAIT);

      // Bob: a later message arrives, the answers never do.
      await box.fill('after the weather');
      await box.press('Enter');
      await postWith(B, 'after the weather').waitFor(WAIT);
      expect(await B.locator('article.post.ephemeral').count()).toBe(0);
      expect(await B.getByText('Sunny in').count()).toBe(0);

      await A.reload();
      await postWith(A, 'after the weather').waitFor(WAIT);
      await postWith(A, 'hello ¯\\_(ツ)_/¯').waitFor(WAIT);
      expect(await A.locator('article.post.ephemeral').count()).toBe(0);

      expect(await cspViolationsIn(A)).toEqual([]);
    } finally {
      await ctx.close();
      await ctxB.close();
      await ctxA2.close();
    }
  }, 240_000);

  it('says so when the server has access tokens turned off and keeps bots to admins; the outgoing webhook form and its delivery log', async () => {
    const { alice, team, channel } = await twoInAChannel(t.api);
    const { ctx, page: A } = await openPage(browser);
    try {
      await signIn(A, alice, `/${team.name}/channels/${channel.name}`);
      await A.getByRole('button', { name: 'Integrations' }).click();
      const screen = A.getByRole('dialog', { name: /^Integrations of / });
      await screen.waitFor(WAIT);

      // Tokens: RUSTCHAT_PERSONAL_ACCESS_TOKENS is off by default.
      await screen.getByRole('button', { name: 'Access tokens' }).click();
      const addToken = screen.getByRole('form', { name: 'Create a token' });
      await addToken.getByRole('textbox', { name: 'Description' }).fill('deploy job');
      await addToken.getByRole('button', { name: 'Create token' }).click();
      await screen.getByText('Personal access tokens are turned off on this server.', { exact: false }).waitFor(WAIT);
      expect(await screen.getByRole('form', { name: 'Create a token' }).count()).toBe(0);

      // Bots: RUSTCHAT_BOT_CREATORS=admins by default: the server's refusal is shown in the form.
      await screen.getByRole('button', { name: 'Bots' }).click();
      const addBot = screen.getByRole('form', { name: 'Create a bot' });
      await addBot.getByRole('textbox', { name: 'Username' }).fill('deploybot');
      await addBot.getByRole('button', { name: 'Create bot' }).click();
      await addBot.getByRole('alert').waitFor(WAIT);

      // Outgoing: created with trigger words and a callback, its token shown once, its (empty) delivery log opened.
      await screen.getByRole('button', { name: 'Outgoing webhooks' }).click();
      const addOut = screen.getByRole('form', { name: 'Add an outgoing webhook' });
      await addOut.getByRole('textbox', { name: /^Name/ }).fill('Deployer');
      await addOut.getByRole('textbox', { name: /^Trigger words/ }).fill('deploy, ship');
      await addOut.getByRole('textbox', { name: 'Callback URLs' }).fill('https://deploy.example.com/chat');
      await addOut.getByRole('combobox', { name: 'Content type' }).selectOption('application/x-www-form-urlencoded');
      await addOut.getByRole('button', { name: 'Create outgoing webhook' }).click();
      const token = await readSecret(A, 'Token sent with each call');
      expect(token.length).toBeGreaterThan(16);
      const list = screen.getByRole('list', { name: 'Your outgoing webhooks' });
      await list.getByText('Trigger words: deploy, ship', { exact: false }).waitFor(WAIT);
      await list.getByRole('button', { name: 'Delivery log' }).click();
      await list.getByText('No calls yet.').waitFor(WAIT);
      const saved = (await t.api.get(`/api/v1/hooks/outgoing?team_id=${team.id}`, alice.token)).body;
      expect(saved).toMatchObject([{ display_name: 'Deployer', trigger_words: ['deploy', 'ship'], callback_urls: ['https://deploy.example.com/chat'], content_type: 'application/x-www-form-urlencoded' }]);

      // Edited in place: the form opens with the hook's values, Save changes only this hook.
      await list.getByRole('button', { name: 'Edit' }).click();
      const editOut = list.getByRole('form', { name: 'Edit the outgoing webhook' });
      expect(await editOut.getByRole('textbox', { name: /^Trigger words/ }).inputValue()).toBe('deploy, ship');
      expect(await editOut.getByRole('textbox', { name: 'Callback URLs' }).inputValue()).toBe('https://deploy.example.com/chat');
      await editOut.getByRole('textbox', { name: /^Trigger words/ }).fill('release');
      await editOut.getByRole('textbox', { name: /^Description/ }).fill('ships the build');
      await editOut.getByRole('button', { name: 'Save' }).click();
      await list.getByText('Trigger words: release', { exact: false }).waitFor(WAIT);
      await list.getByText('ships the build').waitFor(WAIT);
      const edited = (await t.api.get(`/api/v1/hooks/outgoing?team_id=${team.id}`, alice.token)).body;
      expect(edited).toMatchObject([{ display_name: 'Deployer', description: 'ships the build', trigger_words: ['release'], callback_urls: ['https://deploy.example.com/chat'], content_type: 'application/x-www-form-urlencoded' }]);
      // A refused change leaves the form open with the server's words, and the hook as it was.
      await list.getByRole('button', { name: 'Edit' }).click();
      await editOut.getByRole('textbox', { name: 'Callback URLs' }).fill('ftp://deploy.example.com/chat');
      await editOut.getByRole('button', { name: 'Save' }).click();
      await editOut.getByRole('alert').waitFor(WAIT);
      await editOut.getByRole('button', { name: 'Cancel' }).click();
      expect((await t.api.get(`/api/v1/hooks/outgoing?team_id=${team.id}`, alice.token)).body).toMatchObject([{ callback_urls: ['https://deploy.example.com/chat'] }]);

      // Slash commands: created, then edited in place (trigger and description), autocomplete hints follow.
      await screen.getByRole('button', { name: 'Slash commands' }).click();
      const addCommand = screen.getByRole('form', { name: 'Add a slash command' });
      await addCommand.getByLabel('Trigger word').fill('deploy');
      await addCommand.getByLabel('Request URL').fill('https://deploy.example.com/command');
      await addCommand.getByRole('button', { name: 'Create command' }).click();
      await readSecret(A, 'Token sent with each request');
      const commands = screen.getByRole('list', { name: 'Commands you manage' });
      await commands.getByText('/deploy', { exact: true }).waitFor(WAIT);
      await commands.getByRole('button', { name: 'Edit' }).click();
      const editCommand = commands.getByRole('form', { name: 'Edit the slash command' });
      expect(await editCommand.getByLabel('Request URL').inputValue()).toBe('https://deploy.example.com/command');
      await editCommand.getByLabel('Trigger word').fill('ship');
      await editCommand.getByLabel(/^What it does/).fill('Ships a build');
      await editCommand.getByRole('button', { name: 'Save' }).click();
      await commands.getByText('/ship', { exact: true }).waitFor(WAIT);
      await commands.getByText('Ships a build').waitFor(WAIT);
      expect((await t.api.get(`/api/v1/commands?team_id=${team.id}`, alice.token)).body).toMatchObject([{ trigger: 'ship', url: 'https://deploy.example.com/command', auto_complete_desc: 'Ships a build' }]);
    } finally {
      await ctx.close();
    }
  }, 240_000);

  it('with tokens on and bots open to everyone: a token shown once, used and revoked; a bot created and disabled; an incoming URL regenerated', async () => {
    // A second server on the same built client and browser, with the two switches on.
    const t2 = await startApp('sqlite', { webRoot: app!.webRoot, env: { RUSTCHAT_PERSONAL_ACCESS_TOKENS: 'true', RUSTCHAT_BOT_CREATORS: 'users' } });
    const base2 = (await t2.app.listen()).url;
    const { alice, team, channel } = await twoInAChannel(t2.api);
    const { ctx, page: A } = await openPage(browser);
    try {
      await signInAt(A, base2, alice, `/${team.name}/channels/${channel.name}`);
      await A.getByRole('button', { name: 'Integrations' }).click();
      const screen = A.getByRole('dialog', { name: /^Integrations of / });
      await screen.waitFor(WAIT);

      // ---- a token: shown once, works as a Bearer token, listed with its last use, revoked ----
      await screen.getByRole('button', { name: 'Access tokens' }).click();
      const addToken = screen.getByRole('form', { name: 'Create a token' });
      await addToken.getByRole('textbox', { name: 'Description' }).fill('deploy job');
      await addToken.getByRole('button', { name: 'Create token' }).click();
      const token = await readSecret(A, 'Access token');
      const tokens = screen.getByRole('list', { name: 'Your tokens' });
      await tokens.getByText('never used', { exact: false }).waitFor(WAIT);
      const me = await fetch(`${base2}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      await screen.getByRole('button', { name: 'Bots' }).click();
      await screen.getByRole('button', { name: 'Access tokens' }).click();
      await tokens.getByText('last used', { exact: false }).waitFor(WAIT);
      await tokens.getByRole('button', { name: 'Revoke' }).click();
      const confirm = A.getByRole('dialog', { name: 'Revoke “deploy job”?' });
      await confirm.getByRole('button', { name: 'Revoke' }).click();
      await confirm.waitFor({ state: 'detached', ...WAIT });
      await tokens.getByText('None yet.').waitFor(WAIT);
      expect((await fetch(`${base2}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);

      // ---- a bot: created, listed with its mark, disabled ----
      await screen.getByRole('button', { name: 'Bots' }).click();
      const addBot = screen.getByRole('form', { name: 'Create a bot' });
      await addBot.getByRole('textbox', { name: 'Username' }).fill(`deploybot${Date.now().toString(36)}`);
      await addBot.getByRole('textbox', { name: /^Name/ }).fill('Deploy Bot');
      await addBot.getByRole('button', { name: 'Create bot' }).click();
      const bots = screen.getByRole('list', { name: 'Your bots' });
      await bots.getByText('Deploy Bot').waitFor(WAIT);
      await bots.getByRole('button', { name: 'Disable' }).click();
      await A.getByRole('dialog', { name: 'Disable Deploy Bot?' }).getByRole('button', { name: 'Disable' }).click();
      await bots.getByText('(disabled)').waitFor(WAIT);
      await bots.getByRole('button', { name: 'Enable' }).waitFor(WAIT);

      // ---- an incoming hook's URL regenerated: the new one posts, the old one is gone ----
      await screen.getByRole('button', { name: 'Incoming webhooks' }).click();
      const add = screen.getByRole('form', { name: 'Add an incoming webhook' });
      await add.getByRole('combobox', { name: 'Channel' }).selectOption(channel.id);
      await add.getByRole('button', { name: 'Create webhook' }).click();
      const first = new URL(await readSecret(A, 'Webhook address')).pathname;
      const hooks = screen.getByRole('list', { name: 'Your incoming webhooks' });
      await hooks.getByRole('button', { name: 'Regenerate secret' }).click();
      await A.getByRole('dialog', { name: 'Regenerate the secret?' }).getByRole('button', { name: 'Regenerate secret' }).click();
      // The focus is on the new secret (selected, ready to copy), also after the confirmation that produced it.
      // (Polled with evaluate: the CSP forbids waitForFunction's eval.)
      await expect.poll(() => A.evaluate<boolean>("document.activeElement?.closest('dialog.secret-dialog') != null && document.activeElement?.tagName === 'INPUT'"), WAIT).toBe(true);
      const second = new URL(await readSecret(A, 'Webhook address')).pathname;
      expect(second).not.toBe(first);
      const send = (path: string) => fetch(`${base2}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'after the new URL' }) });
      expect((await send(first)).status).toBe(404);
      expect((await send(second)).status).toBe(200);

      // Editing: a new name and the channel lock.
      await hooks.getByRole('button', { name: 'Edit' }).click();
      const edit = screen.getByRole('form', { name: 'Edit the incoming webhook' });
      await edit.getByRole('textbox', { name: 'Name' }).fill('Alerts');
      await edit.getByRole('checkbox').check();
      await edit.getByRole('button', { name: 'Save' }).click();
      await hooks.getByText('Alerts').waitFor(WAIT);
      await hooks.getByText('(channel locked)').waitFor(WAIT);
    } finally {
      await ctx.close();
      await t2.close();
    }
  }, 240_000);
});
