/**
 * A GitHub-type provider against a local stand-in of GitHub's OAuth endpoints, laid out
 * like GitHub Enterprise (web URL and API URL configured per provider): state and PKCE,
 * the numeric user id as subject, e-mail from /user/emails with its verified flag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, signIn, startSsoApp, type SsoApp } from './helpers/harness.js';
import { startGithubStandIn, type GithubStandIn } from './helpers/github-standin.js';

describe('GitHub sign-in', () => {
  let s: SsoApp;
  let gh: GithubStandIn;
  let providerId: string;

  beforeAll(async () => {
    s = await startSsoApp('sqlite');
    gh = await startGithubStandIn([
      { id: 583231, login: 'octocat', name: 'The Octocat', emails: [{ email: 'octo@personal.example', primary: true, verified: true }, { email: 'octo@corp.example', primary: false, verified: true }] },
      { id: 1001, login: 'mallory', name: 'Mallory', emails: [{ email: 'boss@corp.example', primary: true, verified: false }] },
      { id: 1002, login: 'quinn', name: null, emails: [{ email: 'quinn@old.example', primary: true, verified: false }, { email: 'quinn@corp.example', primary: false, verified: true }] },
    ]);
    const p = await s.addProvider({
      provider_key: 'github', provider_type: 'github', display_name: 'GitHub Enterprise',
      github_url: gh.webUrl, github_api_url: gh.apiUrl, client_id: gh.clientId, client_secret: gh.clientSecret, auto_provision: true,
    });
    providerId = p.id;
    expect(p).toMatchObject({ issuer_url: null, github_url: gh.webUrl, github_api_url: gh.apiUrl, scopes: ['read:user', 'user:email'] });
  });
  afterAll(async () => {
    await gh?.close();
    await s?.close();
  });

  const login = async (who: string) => {
    gh.nextLogin = who;
    const b = s.browser();
    const r = await signIn(b, 'github');
    return { ...r, b };
  };

  it('first login provisions from the verified primary e-mail, with state and PKCE S256', async () => {
    const r = await login('octocat');
    expect(r.error).toBeUndefined();
    const ex = await exchange(r.b, r.code!);
    expect(ex.status).toBe(200);
    expect(ex.json().user).toMatchObject({ username: 'octocat', display_name: 'The Octocat', email: 'octo@personal.example' });
    const authz = gh.authorizations.at(-1)!;
    expect(authz.get('code_challenge_method')).toBe('S256');
    expect(authz.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authz.get('state')!.length).toBeGreaterThanOrEqual(43);
    expect(authz.get('scope')).toBe('read:user user:email');
    expect(authz.get('redirect_uri')).toBe(s.callbackUrl('github'));
    // The subject is the numeric id (logins can be renamed).
    const identity = await s.t.app.store.sso.getIdentity(providerId, '583231');
    expect(identity?.user_id).toBe(ex.json().user.id);
    expect((await s.t.app.store.users.get(ex.json().user.id))!.email_verified).toBe(1);
  });

  it('second login is the same user', async () => {
    const r = await login('octocat');
    const ex = await exchange(r.b, r.code!);
    expect(ex.json().user.username).toBe('octocat');
    expect(ex.json().user.email).toBe('octo@personal.example');
  });

  it('an unverified GitHub e-mail cannot take over an existing account', async () => {
    const boss = await s.t.api.post('/api/v1/admin/users', { username: 'boss', email: 'boss@corp.example', password: 'boss-long-password-1', role: 'system_admin' }, s.adminToken);
    expect(boss.status).toBe(201);
    const r = await login('mallory');
    expect(r.code).toBeUndefined();
    expect(r.error).toBe('email_unverified_at_idp');
    expect(await s.t.app.store.sso.getIdentity(providerId, '1001')).toBeUndefined();
  });

  it('a verified secondary e-mail is preferred over an unverified primary', async () => {
    const r = await login('quinn');
    const ex = await exchange(r.b, r.code!);
    expect(ex.json().user).toMatchObject({ username: 'quinn', email: 'quinn@corp.example' });
  });

  it('a token endpoint error (wrong client secret) ends on /login?error=…', async () => {
    expect((await s.t.api.put(`/api/v1/admin/sso/${providerId}`, { client_secret: 'not-the-secret' }, s.adminToken)).status).toBe(200);
    const r = await login('octocat');
    expect(r.code).toBeUndefined();
    expect(r.error).toBe('idp_unverifiable');
    expect((await s.t.api.put(`/api/v1/admin/sso/${providerId}`, { client_secret: gh.clientSecret }, s.adminToken)).status).toBe(200);
    const again = await login('octocat');
    expect(again.code).toBeDefined();
  });

  it('no GitHub token or secret reaches the logs', () => {
    const logs = s.t.logs.text();
    expect(gh.issued.length).toBeGreaterThan(2);
    for (const t of gh.issued) expect(logs.includes(t)).toBe(false);
    expect(logs.includes(gh.clientSecret)).toBe(false);
  });
});
