/**
 * E-mail notifications through the real SMTP sink (test/helpers/smtp-sink.ts), on both stores:
 * one mail per person listing their messages with links (plain text and HTML,
 * List-Unsubscribe), nothing for what they read meanwhile, an unsubscribe link that works
 * without signing in, nothing for a deactivated person, a relay that is down (retried with a
 * back-off, bounded, chat unaffected), `generic` content hiding text and private names, and
 * no mail lost or sent twice across a restart.
 *
 * The people mailed hold no WebSocket, so they are offline. The worker's timer is set to an
 * hour; the tests flush the queue themselves (services.notifications.flushEmails) after the
 * decisions are written (services.notifications.idle), so nothing waits on a timer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, strongSecret, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, directChannel, registerUser, type TestUser } from '../helpers/factories.js';
import { createTestDatabase } from '../helpers/services.js';
import { startSmtpSink, type SentMail, type SmtpSink } from '../helpers/smtp-sink.js';
import { PullableProxy } from '../helpers/tcp-proxy.js';
import { EMAIL_MAX_ATTEMPTS } from '../../src/services/notifications.js';

const HOUR = 3_600_000;

/** The decoded text of a mail (quoted-printable soft breaks and escapes undone). */
function decoded(mail: SentMail): string {
  return mail.raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function unsubscribeUrl(mail: SentMail): URL {
  const headers = mail.raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const m = /^List-Unsubscribe: <([^>]+)>/im.exec(headers);
  if (m === null) throw new Error(`no List-Unsubscribe in:\n${headers}`);
  return new URL(m[1]!.replace(/\s+/g, ''));
}

describe.each(STORES)('notification e-mail (%s)', (kind) => {
  let t: TestApp;
  let smtp: SmtpSink;
  let relay: PullableProxy;
  let alice: TestUser;
  let team: { id: string; name: string };
  let pub: { id: string; name: string };
  beforeAll(async () => {
    smtp = await startSmtpSink();
    relay = await PullableProxy.start(smtp.url.replace('smtp:', 'http:'));
    t = await startApp(kind, {
      env: { RUSTCHAT_SMTP_URL: `smtp://127.0.0.1:${relay.port}`, RUSTCHAT_NOTIFY_EMAIL_DELAY_SECONDS: '0', RUSTCHAT_NOTIFY_CONTENT: 'full' },
      notifyEmailIntervalMs: HOUR,
    });
    alice = await registerUser(t.api, 'alice', smtp);
    team = await createTeam(t.api, alice);
    pub = await createChannel(t.api, alice, team.id);
  });
  afterAll(async () => {
    await t?.close();
    await relay?.close();
    await smtp?.close();
  });

  const notify = t0();
  function t0() {
    return {
      /** A teammate in the public channel who gets mail at once (interval `immediately`). */
      async person(prefix: string): Promise<TestUser> {
        const u = await registerUser(t.api, prefix, smtp);
        await addTeamMember(t.api, alice, team.id, u);
        await addChannelMember(t.api, alice, pub.id, u);
        expect((await t.api.put('/api/v1/users/me/preferences/notifications', { email_interval: 'immediately' }, u.token)).status).toBe(200);
        return u;
      },
      async flush(at?: number): Promise<number> {
        await t.app.services.notifications.idle();
        return t.app.services.notifications.flushEmails(at);
      },
      mailsTo: (u: TestUser) => smtp.mails.filter((m) => m.to.includes(u.email.toLowerCase()) && /Subject: \[RustChat\]/.test(m.raw)),
    };
  }

  it('batches a person\'s messages into one mail with a link each, plain text and HTML, and List-Unsubscribe', async () => {
    const bob = await notify.person('bob');
    const one = await createPost(t.api, alice, pub.id, `@${bob.username} first <b>thing</b>`);
    const two = await createPost(t.api, alice, pub.id, `@${bob.username} second thing`);
    const dm = await directChannel(t.api, alice, bob);
    const three = await createPost(t.api, alice, dm.id, 'a direct word');
    await createPost(t.api, alice, pub.id, 'not about bob');
    const mail = smtp.next(bob.email);
    expect(await notify.flush()).toBeGreaterThanOrEqual(1);
    const text = decoded(await mail);
    expect(notify.mailsTo(bob)).toHaveLength(1);
    expect(text).toMatch(/Subject: \[RustChat\] 3 new messages from/);
    expect(text).toMatch(/Content-Type: multipart\/alternative/);
    expect(text).toMatch(/Content-Type: text\/plain/);
    expect(text).toMatch(/Content-Type: text\/html/);
    for (const p of [one, two]) expect(text).toContain(`${t.config.siteUrl}/${team.name}/pl/${p.id}`);
    expect(text).toContain(`${t.config.siteUrl}/messages/pl/${three.id}`);
    expect(text).toContain('second thing');
    expect(text).toContain('a direct word');
    expect(text).not.toContain('not about bob');
    // The HTML part escapes what people wrote.
    expect(text).toContain('first &lt;b&gt;thing&lt;/b&gt;');
    expect(text).toMatch(/List-Unsubscribe-Post: List-Unsubscribe=One-Click/);
    expect(unsubscribeUrl(await mail).pathname).toBe('/api/v1/notifications/unsubscribe');
    // Sent once: the queue is empty, a second flush sends nothing.
    expect(await t.app.store.notifications.queuedFor(bob.id)).toEqual([]);
    expect(await notify.flush()).toBe(0);
    expect(notify.mailsTo(bob)).toHaveLength(1);
    expect(await t.app.metrics.registry.metrics()).toMatch(/rustchat_notifications_total\{medium="email",outcome="sent"\} [1-9]/);
  });

  it('leaves out what the person read before the mail went, and sends nothing when that was everything', async () => {
    const carol = await notify.person('carol');
    await createPost(t.api, alice, pub.id, `@${carol.username} read me soon`);
    await t.app.services.notifications.idle();
    expect(await t.app.store.notifications.queuedFor(carol.id)).toHaveLength(1);
    expect((await t.api.post(`/api/v1/channels/${pub.id}/read`, undefined, carol.token)).status).toBe(200);
    expect(await notify.flush()).toBe(0);
    expect(await t.app.store.notifications.queuedFor(carol.id)).toEqual([]);
    // Read one of two: the mail lists the other only.
    await createPost(t.api, alice, pub.id, `@${carol.username} old news`);
    expect((await t.api.post(`/api/v1/channels/${pub.id}/read`, undefined, carol.token)).status).toBe(200);
    await createPost(t.api, alice, pub.id, `@${carol.username} fresh news`);
    const mail = smtp.next(carol.email);
    await notify.flush();
    const text = decoded(await mail);
    expect(text).toContain('fresh news');
    expect(text).not.toContain('old news');
    expect(notify.mailsTo(carol)).toHaveLength(1);
  });

  it('unsubscribes without signing in, from the link or one-click, and refuses a forged link', async () => {
    const dave = await notify.person('dave');
    const erin = await notify.person('erin');
    await createPost(t.api, alice, pub.id, `@${dave.username} hello`);
    const mail = smtp.next(dave.email);
    await notify.flush();
    const url = unsubscribeUrl(await mail);
    const path = `${url.pathname}${url.search}`;
    // The page asks first (a link scanner following the GET changes nothing).
    const pageRes = await t.api.get(path);
    expect(pageRes.status).toBe(200);
    expect(pageRes.headers['content-type']).toMatch(/^text\/html/);
    expect((await t.api.get('/api/v1/users/me/preferences/notifications', dave.token)).body.email).toBe('mention');
    // Forged: erin's id with dave's signature.
    const token = url.searchParams.get('token')!;
    const forged = `${erin.id}.${token.split('.')[1]}`;
    const bad = await t.api.request('POST', `/api/v1/notifications/unsubscribe?token=${encodeURIComponent(forged)}`, { rawBody: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('BAD_REQUEST');
    expect((await t.api.request('POST', '/api/v1/notifications/unsubscribe?token=nonsense', {})).status).toBe(400);
    // One-click (RFC 8058), no session.
    const ok = await t.api.request('POST', path, { rawBody: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(ok.status).toBe(200);
    expect((await t.api.get('/api/v1/users/me/preferences/notifications', dave.token)).body.email).toBe('none');
    expect((await t.api.get('/api/v1/users/me/preferences/notifications', erin.token)).body.email).toBe('mention');
    // The link's signature never reaches a log line.
    expect(t.logs.text()).not.toContain(token.split('.')[1]);
    await createPost(t.api, alice, pub.id, `@${dave.username} still there?`);
    await t.app.services.notifications.idle();
    expect(await t.app.store.notifications.queuedFor(dave.id)).toEqual([]);
  });

  it('sends nothing to someone deactivated while their mail waited', async () => {
    const gina = await notify.person('gina');
    await createPost(t.api, alice, pub.id, `@${gina.username} are you there`);
    await t.app.services.notifications.idle();
    expect(await t.app.store.notifications.queuedFor(gina.id)).toHaveLength(1);
    await t.app.store.users.setDeactivated(gina.id, Date.now(), Date.now());
    expect(await notify.flush()).toBe(0);
    expect(await t.app.store.notifications.queuedFor(gina.id)).toEqual([]);
    expect(notify.mailsTo(gina)).toHaveLength(0);
  });

  it('keeps mail while the relay is down, retries with a back-off, and gives up after a bounded number of tries', async () => {
    const hank = await notify.person('hank');
    const ivan = await notify.person('ivan');
    relay.cut();
    try {
      // Chat is unaffected.
      await createPost(t.api, alice, pub.id, `@${hank.username} during the outage`);
      await t.app.services.notifications.idle();
      const now = Date.now();
      expect(await notify.flush(now)).toBe(0);
      const [row] = await t.app.store.notifications.queuedFor(hank.id);
      expect(row).toMatchObject({ attempts: 1, claim_token: null });
      expect(row!.due_at).toBeGreaterThan(now);
      // Not before its back-off.
      expect(await notify.flush(now)).toBe(0);
      expect((await t.app.store.notifications.queuedFor(hank.id))[0]!.attempts).toBe(1);
    } finally {
      relay.restore();
    }
    const mail = smtp.next(hank.email);
    expect(await notify.flush(Date.now() + HOUR)).toBeGreaterThanOrEqual(1);
    expect(decoded(await mail)).toContain('during the outage');
    expect(notify.mailsTo(hank)).toHaveLength(1);

    // A relay down for good: dropped after EMAIL_MAX_ATTEMPTS tries, memory and queue bounded.
    relay.cut();
    try {
      await createPost(t.api, alice, pub.id, `@${ivan.username} never arrives`);
      await t.app.services.notifications.idle();
      let at = Date.now();
      for (let i = 0; i < EMAIL_MAX_ATTEMPTS; i++) {
        at += 2 * HOUR;
        await notify.flush(at);
      }
      expect(await t.app.store.notifications.queuedFor(ivan.id)).toEqual([]);
      expect(t.logs.text()).toContain('notification e-mail dropped');
      expect(await t.app.metrics.registry.metrics()).toMatch(/rustchat_notifications_total\{medium="email",outcome="dropped"\} [1-9]/);
    } finally {
      relay.restore();
    }
  });
});

describe.each(STORES)('notification e-mail across a restart, generic content (%s)', (kind) => {
  const apps: TestApp[] = [];
  let smtp: SmtpSink;
  let drop: (() => Promise<void>) | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'rustchat-notify-'));
  beforeAll(async () => {
    smtp = await startSmtpSink();
  });
  afterAll(async () => {
    for (const a of apps) await a.close().catch(() => undefined);
    if (drop) await drop();
    await smtp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sends queued mail once after a restart, without private names or text', async () => {
    let databaseUrl: string | undefined;
    if (kind === 'postgres') ({ url: databaseUrl, drop } = await createTestDatabase());
    const env = { RUSTCHAT_JWT_SECRET: strongSecret(), RUSTCHAT_ENCRYPTION_KEY: strongSecret(), RUSTCHAT_SMTP_URL: smtp.url, RUSTCHAT_NOTIFY_EMAIL_DELAY_SECONDS: '600' };
    const first = await startApp(kind, { env, notifyEmailIntervalMs: HOUR, dataDir, ...(databaseUrl ? { databaseUrl } : {}) });
    apps.push(first);
    const alice = await registerUser(first.api, 'alice', smtp);
    const bob = await registerUser(first.api, 'bob', smtp);
    const team = await createTeam(first.api, alice);
    await addTeamMember(first.api, alice, team.id, bob);
    const secret = await createChannel(first.api, alice, team.id, 'private');
    await addChannelMember(first.api, alice, secret.id, bob);
    await createPost(first.api, alice, secret.id, `@${bob.username} the launch code is 0000`);
    await first.app.services.notifications.idle();
    // Not due yet when the server stops.
    expect(await first.app.services.notifications.flushEmails()).toBe(0);
    await first.close();
    apps.splice(apps.indexOf(first), 1);

    const second = await startApp(kind, { env, notifyEmailIntervalMs: HOUR, dataDir, ...(databaseUrl ? { databaseUrl } : {}) });
    apps.push(second);
    const mail = smtp.next(bob.email);
    expect(await second.app.services.notifications.flushEmails(Date.now() + HOUR)).toBe(1);
    const text = decoded(await mail);
    expect(text).toContain('a private channel');
    expect(text).not.toContain('launch code');
    expect(text).not.toContain(secret.name);
    expect(text).toMatch(new RegExp(`/${team.name}/pl/`));
    expect(await second.app.services.notifications.flushEmails(Date.now() + 2 * HOUR)).toBe(0);
    expect(smtp.mails.filter((m) => m.to.includes(bob.email.toLowerCase()) && /Subject: \[RustChat\]/.test(m.raw))).toHaveLength(1);
  });
});

describe.each(STORES)('notification e-mail follows read access (%s)', (kind) => {
  let t: TestApp;
  let smtp: SmtpSink;
  let alice: TestUser;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startApp(kind, { env: { RUSTCHAT_SMTP_URL: smtp.url, RUSTCHAT_NOTIFY_EMAIL_DELAY_SECONDS: '0', RUSTCHAT_NOTIFY_CONTENT: 'full' }, notifyEmailIntervalMs: 3_600_000 });
    alice = await registerUser(t.api, 'alice', smtp);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('sends nothing about a private channel the person was removed from after the post', async () => {
    const team = await createTeam(t.api, alice);
    const secret = await createChannel(t.api, alice, team.id, 'private');
    const erin = await registerUser(t.api, 'erin', smtp);
    await addTeamMember(t.api, alice, team.id, erin);
    await addChannelMember(t.api, alice, secret.id, erin);
    await t.api.put('/api/v1/users/me/preferences/notifications', { email_interval: 'immediately' }, erin.token);
    await createPost(t.api, alice, secret.id, `@${erin.username} the secret plan`);
    await t.app.services.notifications.idle();
    expect(await t.app.store.notifications.queuedFor(erin.id)).toHaveLength(1);
    expect((await t.api.delete(`/api/v1/channels/${secret.id}/members/${erin.id}`, alice.token)).status).toBe(200);
    expect(await t.app.services.notifications.flushEmails()).toBe(0);
    expect(smtp.mails.filter((m) => m.raw.includes('secret plan'))).toHaveLength(0);
  });
});
