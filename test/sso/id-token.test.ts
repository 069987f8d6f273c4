/**
 * ID token checks (contract §4): signature against the provider's JWKS (cached, refetched
 * for an unknown key id), iss, aud (and azp), exp, nonce, and the UserInfo subject. A
 * stand-in provider on loopback signs exactly the bad token each test needs; every refusal
 * must end on /login?error=… with no code and no account, for the reason the test names.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exchange, signIn, startSsoApp, testClock, type SsoApp } from './helpers/harness.js';
import { startStandInIdp, type StandInIdp } from './helpers/standin-oidc.js';

describe('ID token validation', () => {
  let s: SsoApp;
  let idp: StandInIdp;
  const clock = testClock();

  beforeAll(async () => {
    s = await startSsoApp('sqlite', { clock: clock.now });
    idp = await startStandInIdp({ users: [{ sub: 'sam', email: 'sam@corp.example', email_verified: true, name: 'Sam' }, { sub: 'tess', email: 'tess@corp.example', email_verified: true }] });
    await s.addProvider({ provider_key: 'si', provider_type: 'oidc', display_name: 'Stand-in', issuer_url: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret, auto_provision: true });
  });
  afterAll(async () => {
    await idp?.close();
    await s?.close();
  });
  beforeEach(() => {
    idp.tweak = {};
    idp.userinfoSubject = undefined;
    idp.nextUser = 'sam';
  });

  const refusals = (): string[] =>
    s.t.logs.lines.map((l) => JSON.parse(l) as Record<string, any>).filter((e) => e.msg === 'sso sign-in refused').map((e) => String(e.reason));

  /** Signs in as `user` and expects a refusal whose logged reason matches `reason`. */
  const refused = async (reason: RegExp, user = 'tess') => {
    idp.nextUser = user;
    const before = refusals().length;
    const users = await s.t.app.store.users.count();
    const r = await signIn(s.browser(), 'si');
    expect(r.landing?.pathname).toBe('/login');
    expect(r.code).toBeUndefined();
    expect(r.error).toBe('idp_unverifiable');
    const logged = refusals().slice(before);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(reason);
    expect(await s.t.app.store.users.count()).toBe(users);
  };

  const accepted = async (user = 'sam') => {
    idp.nextUser = user;
    const b = s.browser();
    const r = await signIn(b, 'si');
    expect(r.error, r.error).toBeUndefined();
    expect((await exchange(b, r.code!)).status).toBe(200);
  };

  it('a well-formed ID token signs in, and the JWKS is fetched once for several logins', async () => {
    const fetches = idp.jwksFetches();
    await accepted();
    await accepted();
    expect(idp.jwksFetches()).toBe(fetches + 1);
  });

  it('wrong audience', async () => {
    idp.tweak = { claims: (c) => { c.aud = 'another-client'; } };
    await refused(/"aud" \(audience\)/);
  });

  it('extra untrusted audience without azp', async () => {
    idp.tweak = { claims: (c) => { c.aud = [idp.clientId, 'another-client']; } };
    await refused(/untrusted audiences/);
  });

  it('wrong issuer', async () => {
    idp.tweak = { claims: (c) => { c.iss = 'http://127.0.0.1:1/evil'; } };
    await refused(/"iss" \(issuer\)/);
  });

  it('bad nonce', async () => {
    idp.tweak = { claims: (c) => { c.nonce = 'not-the-nonce-we-sent'; } };
    await refused(/"nonce"/);
  });

  it('missing nonce', async () => {
    idp.tweak = { claims: (c) => { delete c.nonce; } };
    await refused(/"nonce"/);
  });

  it('expired ID token', async () => {
    idp.tweak = { claims: (c) => { c.iat = Math.floor(Date.now() / 1000) - 600; c.exp = Math.floor(Date.now() / 1000) - 120; } };
    await refused(/"exp" \(expiration time\)/);
  });

  it('a signature by a key outside the provider\'s JWKS (same key id)', async () => {
    idp.tweak = { rogueSignature: true };
    await refused(/signature verification failed/);
  });

  it('UserInfo for another subject', async () => {
    idp.userinfoSubject = 'sam';
    await refused(/"sub"/);
  });

  it('a new signing key: refetched on the unknown key id (after the cooldown), then cached again', async () => {
    await accepted();
    const fetches = idp.jwksFetches();
    await idp.rotateKey();
    // Right after a fetch, an unknown key id does not trigger another one (no fetch storms)...
    await refused(/no applicable key/);
    expect(idp.jwksFetches()).toBe(fetches);
    // ...after the cooldown it does, and the new key verifies.
    clock.advance(31_000);
    await accepted();
    expect(idp.jwksFetches()).toBe(fetches + 1);
    await accepted();
    expect(idp.jwksFetches()).toBe(fetches + 1);
  });

  it('the JWKS is refetched when it is older than 10 minutes', async () => {
    await accepted();
    const fetches = idp.jwksFetches();
    clock.advance(10 * 60_000 + 1_000);
    await accepted();
    expect(idp.jwksFetches()).toBe(fetches + 1);
  });

  it('no ID token or access token reaches the logs', () => {
    const logs = s.t.logs.text();
    expect(idp.issued.length).toBeGreaterThan(10);
    for (const token of idp.issued) expect(logs.includes(token)).toBe(false);
    expect(logs.includes(idp.clientSecret)).toBe(false);
  });
});
