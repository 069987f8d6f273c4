/**
 * Exchange codes are consumed atomically and shared by all nodes (the database): many
 * concurrent exchanges of one code → exactly one 200, on SQLite and on PostgreSQL; on
 * PostgreSQL also across two app instances on one database (a code issued by node A is
 * redeemable at node B once, and racing A against B still has exactly one winner).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, strongSecret, type TestApp } from '../helpers/app.js';
import { registerUser, type TestUser } from '../helpers/factories.js';
import { hashSecret, randomToken } from '../../src/security/crypto.js';
import { Browser } from './helpers/browser.js';
import { SITE, copyFlowCookie, exchange, shareFlowCookie, signIn, startSsoApp, type SsoApp } from './helpers/harness.js';
import { startOidcIdp, type TestIdp } from './helpers/oidc-idp.js';
import { securityEvents } from './helpers/events.js';

/** A code bound to the flow cookie that `browsers` all hold (tabs of one browser racing each other). */
async function mint(t: TestApp, providerId: string, userId: string, browsers: Browser[]): Promise<string> {
  const code = randomToken(32);
  const now = Date.now();
  await t.app.store.sso.createExchangeCode({
    code_hash: hashSecret(code), user_id: userId, provider_id: providerId, redirect_to: '/', session_id: null, created_at: now, expires_at: now + 60_000, consumed_at: null,
    browser_hash: shareFlowCookie(...browsers),
  });
  return code;
}

describe.each(STORES)('concurrent exchanges (%s)', (kind) => {
  let s: SsoApp;
  let idp: TestIdp;
  let providerId: string;
  let user: TestUser;
  const secrets = { RUSTCHAT_JWT_SECRET: strongSecret(), RUSTCHAT_ENCRYPTION_KEY: strongSecret() };

  beforeAll(async () => {
    s = await startSsoApp(kind, { env: secrets });
    idp = await startOidcIdp({ redirectUris: [s.callbackUrl('kc')], users: [{ sub: 'alice', email: 'alice@corp.example', email_verified: true }] });
    providerId = (await s.addProvider({ provider_key: 'kc', provider_type: 'oidc', display_name: 'KC', issuer_url: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret, auto_provision: true })).id;
    user = await registerUser(s.t.api, 'racer');
  });
  afterAll(async () => {
    await idp?.close();
    await s?.close();
  });

  it('a code from the browser flow, exchanged by eight requests (all with its flow cookie) at once: exactly one 200', async () => {
    const b = s.browser();
    const r = await signIn(b, 'kc', { login: 'alice' });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => exchange(i === 0 ? b : copyFlowCookie(b, s.browser()), r.code!)));
    expect(results.filter((x) => x.status === 200)).toHaveLength(1);
    expect(results.filter((x) => x.status === 400)).toHaveLength(7);
  });

  it('repeated rounds of racing exchanges: one winner each, whose session the losers end once', async () => {
    for (let round = 0; round < 5; round++) {
      const racers = Array.from({ length: 6 }, () => s.browser());
      const code = await mint(s.t, providerId, user.id, racers);
      const revokedBefore = securityEvents(s.t, 'session_revoked').filter((e) => e.reason === 'exchange_code_reuse').length;
      const results = await Promise.all(racers.map((b) => exchange(b, code)));
      const winners = results.filter((x) => x.status === 200);
      expect(winners, `round ${round}`).toHaveLength(1);
      const row = (await s.t.app.store.sso.getExchangeCode(hashSecret(code)))!;
      const session = (await s.t.app.store.sessions.getWithUser(row.session_id!))!.session;
      expect(session.user_id).toBe(user.id);
      expect(session.kind).toBe('sso');
      // The session the winner got is the one recorded on the code, and it was ended exactly once.
      expect(await s.t.app.services.sessions.authenticate(winners[0]!.json().token)).toEqual({ ok: false, reason: 'session_revoked' });
      expect(session.revoked_at).not.toBeNull();
      expect(securityEvents(s.t, 'session_revoked').filter((e) => e.reason === 'exchange_code_reuse').length).toBe(revokedBefore + 1);
    }
  });

  if (kind === 'postgres') {
    describe('two nodes on one database', () => {
      let nodeB: TestApp;
      let browserB: (b?: Browser) => Browser;

      beforeAll(async () => {
        nodeB = await startApp('postgres', { databaseUrl: s.t.config.database.url!, env: { ...secrets, RUSTCHAT_SITE_URL: SITE } });
        const { port } = await nodeB.app.listen();
        // A browser whose requests for the site reach node B (a load balancer's choice).
        browserB = () => new Browser(new Map([['rustchat.test', `127.0.0.1:${port}`]]));
      });
      afterAll(async () => nodeB?.close());

      it('a code issued by node A is redeemed at node B, once', async () => {
        const a = s.browser();
        const r = await signIn(a, 'kc', { login: 'alice' });
        const atB = await exchange(copyFlowCookie(a, browserB()), r.code!);
        expect(atB.status).toBe(200);
        expect((await s.t.api.get('/api/v1/auth/me', atB.json().token)).status).toBe(200);
        // Presented again at node A: reuse, and the session (started by B) ends everywhere.
        const reusesBefore = securityEvents(s.t, 'exchange_code_reuse').length;
        expect((await exchange(s.browser(), r.code!)).status).toBe(400);
        expect(securityEvents(s.t, 'exchange_code_reuse').length).toBeGreaterThan(0);
        expect(securityEvents(s.t, 'exchange_code_reuse').length - reusesBefore).toBe(1);
        expect((await nodeB.api.get('/api/v1/auth/me', atB.json().token)).status).toBe(401);
      });

      it('racing node A against node B: exactly one winner', async () => {
        for (let round = 0; round < 5; round++) {
          const racers = [s.browser(), browserB(), s.browser(), browserB()];
          const code = await mint(s.t, providerId, user.id, racers);
          const results = await Promise.all(racers.map((b) => exchange(b, code)));
          expect(results.filter((x) => x.status === 200), `round ${round}`).toHaveLength(1);
        }
      });
    });
  }
});
