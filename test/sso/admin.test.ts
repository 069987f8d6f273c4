/**
 * Provider administration: system admins only; client secrets sealed at rest (SecretBox,
 * AAD bound to the row) and never returned; input validation (https issuers in production,
 * http only on loopback in development); edits, deletion with its links; audit entries.
 * Also the production cookie names and flags (`__Host-`, Secure) of the flow's two cookies.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { envelope, registerUser } from '../helpers/factories.js';
import { SecretBox, hashSecret, randomToken } from '../../src/security/crypto.js';
import { SSO_CLIENT_SECRET } from '../../src/store/sealed.js';
import { securityEvents } from './helpers/events.js';

const SECRET = 'kc-client-secret-Zm9vYmFyYmF6cXV4';

async function adminToken(t: TestApp): Promise<string> {
  await t.app.services.accounts.createAdmin('root@corp.example', 'rootadmin', 'root-admin-password-1');
  const res = await t.api.post('/api/v1/auth/login', { email: 'root@corp.example', password: 'root-admin-password-1' });
  return res.body.token;
}

const base = { provider_key: 'kc', provider_type: 'oidc', display_name: 'Keycloak', issuer_url: 'https://sso.corp.example/realms/main', client_id: 'rustchat', client_secret: SECRET };

describe('SSO provider administration', () => {
  let t: TestApp;
  let admin: string;
  let created: any;

  beforeAll(async () => {
    t = await startApp('sqlite', { env: { RUSTCHAT_SITE_URL: 'http://chat.corp.example' } });
    admin = await adminToken(t);
  });
  afterAll(async () => t?.close());

  it('only system admins may manage providers', async () => {
    const user = await registerUser(t.api, 'plain');
    const denied = securityEvents(t, 'access_denied').length;
    // Refused before the provider is looked up: an id that does not exist gets 403 as well.
    const id = '0b9a3f3e-6a53-4a0e-9d3c-1d2f7c3a9e11';
    expect((await t.api.get('/api/v1/admin/sso', user.token)).status).toBe(403);
    expect((await t.api.get(`/api/v1/admin/sso/${id}`, user.token)).status).toBe(403);
    expect((await t.api.post('/api/v1/admin/sso', base, user.token)).status).toBe(403);
    expect((await t.api.put(`/api/v1/admin/sso/${id}`, { display_name: 'Mine' }, user.token)).status).toBe(403);
    expect((await t.api.delete(`/api/v1/admin/sso/${id}`, user.token)).status).toBe(403);
    // Each refusal names what was asked, not a vague "admin".
    expect(securityEvents(t, 'access_denied').slice(denied).map((e) => [e.resource, e.action, e.reason, e.user_id])).toEqual(
      ['sso_provider.list', 'sso_provider.read', 'sso_provider.create', 'sso_provider.update', 'sso_provider.delete'].map((action) => ['system', action, 'not_system_admin', user.id]),
    );
    expect((await t.api.get('/api/v1/admin/sso')).status).toBe(401);
  });

  it('creates a provider; the secret is sealed at rest and never returned', async () => {
    const res = await t.api.post('/api/v1/admin/sso', { ...base, allow_domains: ['Corp.Example', '@sub.corp.example'], scopes: ['email', 'profile'] }, admin);
    expect(res.status).toBe(201);
    created = res.body;
    expect(res.text).not.toContain(SECRET);
    expect(created).toMatchObject({
      provider_key: 'kc', provider_type: 'oidc', display_name: 'Keycloak', issuer_url: base.issuer_url, client_id: 'rustchat', has_client_secret: true,
      scopes: ['openid', 'email', 'profile'], auto_provision: false, allow_domains: ['corp.example', 'sub.corp.example'], default_role: 'system_user', enabled: true,
      login_url: '/api/v1/oauth2/kc/login', callback_url: 'http://chat.corp.example/api/v1/oauth2/kc/callback',
    });
    expect(created.client_secret).toBeUndefined();
    for (const r of [await t.api.get('/api/v1/admin/sso', admin), await t.api.get(`/api/v1/admin/sso/${created.id}`, admin)]) {
      expect(r.status).toBe(200);
      expect(r.text).not.toContain(SECRET);
    }

    const row = (await t.app.store.sso.getProvider(created.id))!;
    expect(row.client_secret_sealed.startsWith('v1.')).toBe(true);
    expect(row.client_secret_sealed).not.toContain(SECRET);
    const box = new SecretBox(t.config.encryption.key);
    expect(box.open(row.client_secret_sealed, `sso_providers.client_secret:${created.id}`)).toBe(SECRET);
    expect(SSO_CLIENT_SECRET.aad(created.id)).toBe(`sso_providers.client_secret:${created.id}`);
    // Bound to its row, and to the key.
    expect(() => box.open(row.client_secret_sealed, 'sso_providers.client_secret:00000000-0000-4000-8000-000000000000')).toThrow();
    expect(() => new SecretBox(randomToken(48)).open(row.client_secret_sealed, SSO_CLIENT_SECRET.aad(created.id))).toThrow();
  });

  it('refuses bad input', async () => {
    const bad = async (body: Record<string, unknown>, status: number, field?: string) => {
      const res = await t.api.post('/api/v1/admin/sso', { ...base, provider_key: `k${randomToken(3).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`, ...body }, admin);
      expect(res.status, JSON.stringify(body)).toBe(status);
      if (field !== undefined) expect(res.body.error.field).toBe(field);
      expect(res.text).not.toContain(SECRET);
    };
    await bad({ provider_key: 'Key With Spaces' }, 422, 'provider_key');
    await bad({ provider_key: 'kc' }, 409, 'provider_key');
    await bad({ issuer_url: undefined }, 422, 'issuer_url');
    await bad({ issuer_url: 'http://sso.corp.example' }, 422, 'issuer_url');
    await bad({ issuer_url: 'ftp://sso.corp.example' }, 422, 'issuer_url');
    await bad({ issuer_url: 'https://user:pw@sso.corp.example' }, 422, 'issuer_url');
    await bad({ issuer_url: 'not a url' }, 422, 'issuer_url');
    await bad({ client_secret: '' }, 422, 'client_secret');
    await bad({ client_id: ' ' }, 422, 'client_id');
    await bad({ scopes: ['openid', 'bad"scope'] }, 422, 'scopes');
    await bad({ allow_domains: ['not a domain'] }, 422, 'allow_domains');
    await bad({ default_role: 'root' }, 400);
    await bad({ provider_type: 'saml' }, 400);
    await bad({ role: 'system_admin' }, 400);
    await bad({ display_name: '' }, 422, 'display_name');
  });

  it('refuses a provider that would make anyone who signs in a system admin (auto_provision, system_admin, no allow_domains)', async () => {
    const message = 'A provider that creates accounts (auto_provision) with default_role system_admin must list allow_domains: otherwise anyone who can sign in at the identity provider becomes a system admin here';
    const refused = { status: 400, contentType: 'application/json', error: { code: 'BAD_REQUEST', message, field: 'default_role' } };
    const open = { ...base, provider_key: 'openadmin', auto_provision: true, default_role: 'system_admin' };
    expect(envelope(await t.api.post('/api/v1/admin/sso', { ...open, allow_domains: [] }, admin))).toEqual(refused);
    expect(envelope(await t.api.post('/api/v1/admin/sso', open, admin))).toEqual(refused);
    expect((await t.api.get('/api/v1/admin/sso', admin)).body.map((p: any) => p.provider_key)).not.toContain('openadmin');
    // Each of the three alone is fine.
    const scoped = await t.api.post('/api/v1/admin/sso', { ...open, allow_domains: ['corp.example'] }, admin);
    expect(scoped.status).toBe(201);
    const manual = await t.api.post('/api/v1/admin/sso', { ...open, provider_key: 'manualadmin', auto_provision: false, allow_domains: [] }, admin);
    expect(manual.status).toBe(201);
    // An update cannot get there either, whichever field it changes last.
    expect(envelope(await t.api.put(`/api/v1/admin/sso/${scoped.body.id}`, { allow_domains: [] }, admin))).toEqual(refused);
    expect(envelope(await t.api.put(`/api/v1/admin/sso/${manual.body.id}`, { auto_provision: true }, admin))).toEqual(refused);
    const plain = await t.api.post('/api/v1/admin/sso', { ...base, provider_key: 'plainprov', auto_provision: true }, admin);
    expect(envelope(await t.api.put(`/api/v1/admin/sso/${plain.body.id}`, { default_role: 'system_admin' }, admin))).toEqual(refused);
    expect((await t.api.get(`/api/v1/admin/sso/${scoped.body.id}`, admin)).body).toMatchObject({ auto_provision: true, default_role: 'system_admin', allow_domains: ['corp.example'] });
    expect((await t.api.get(`/api/v1/admin/sso/${manual.body.id}`, admin)).body).toMatchObject({ auto_provision: false, default_role: 'system_admin' });
    expect((await t.api.get(`/api/v1/admin/sso/${plain.body.id}`, admin)).body).toMatchObject({ auto_provision: true, default_role: 'system_user' });
  });

  it('accepts http issuers on loopback in development (local test providers)', async () => {
    const res = await t.api.post('/api/v1/admin/sso', { ...base, provider_key: 'local', issuer_url: 'http://127.0.0.1:8080/realms/dev' }, admin);
    expect(res.status).toBe(201);
    expect((await t.api.post('/api/v1/admin/sso', { ...base, provider_key: 'local6', issuer_url: 'http://[::1]:8080' }, admin)).status).toBe(201);
  });

  it('fills the defaults of Google and GitHub providers', async () => {
    const google = await t.api.post('/api/v1/admin/sso', { provider_key: 'google', provider_type: 'google', display_name: 'Google', client_id: 'g', client_secret: 's' }, admin);
    expect(google.body).toMatchObject({ issuer_url: 'https://accounts.google.com', scopes: ['openid', 'email', 'profile'], github_url: null });
    const github = await t.api.post('/api/v1/admin/sso', { provider_key: 'github', provider_type: 'github', display_name: 'GitHub', client_id: 'g', client_secret: 's', issuer_url: 'https://ignored.example' }, admin);
    expect(github.body).toMatchObject({ issuer_url: null, github_url: 'https://github.com', github_api_url: 'https://api.github.com', scopes: ['read:user', 'user:email'] });
  });

  it('edits keep the secret unless a new one is given', async () => {
    const before = (await t.app.store.sso.getProvider(created.id))!;
    const renamed = await t.api.put(`/api/v1/admin/sso/${created.id}`, { display_name: 'Corporate SSO', auto_provision: true }, admin);
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ display_name: 'Corporate SSO', auto_provision: true, provider_key: 'kc', allow_domains: ['corp.example', 'sub.corp.example'] });
    expect(renamed.body.updated_at).toBeGreaterThan(before.updated_at);
    expect((await t.app.store.sso.getProvider(created.id))!.client_secret_sealed).toBe(before.client_secret_sealed);

    const rotated = await t.api.put(`/api/v1/admin/sso/${created.id}`, { client_secret: 'a-new-secret-value' }, admin);
    expect(rotated.status).toBe(200);
    expect(rotated.text).not.toContain('a-new-secret-value');
    const after = (await t.app.store.sso.getProvider(created.id))!;
    expect(new SecretBox(t.config.encryption.key).open(after.client_secret_sealed, SSO_CLIENT_SECRET.aad(created.id))).toBe('a-new-secret-value');

    expect((await t.api.put(`/api/v1/admin/sso/${created.id}`, { provider_key: 'google' }, admin)).status).toBe(409);
    expect((await t.api.put(`/api/v1/admin/sso/${created.id}`, { client_secret_sealed: 'v1.x.y.z' }, admin)).status).toBe(400);
    expect((await t.api.put(`/api/v1/admin/sso/${created.id}`, { issuer_url: 'http://sso.corp.example' }, admin)).status).toBe(422);
    expect((await t.api.put('/api/v1/admin/sso/00000000-0000-4000-8000-000000000000', { display_name: 'x' }, admin)).status).toBe(404);
    // Changing the type drops the old type's URLs for the new type's defaults.
    const switched = await t.api.put(`/api/v1/admin/sso/${created.id}`, { provider_type: 'github' }, admin);
    expect(switched.body).toMatchObject({ provider_type: 'github', issuer_url: null, github_url: 'https://github.com', scopes: ['read:user', 'user:email'] });
  });

  it('the audit log records changes without secrets', async () => {
    const res = await t.api.get('/api/v1/admin/audit', admin);
    const actions = res.body.map((e: any) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['sso.create', 'sso.update']));
    expect(res.text).not.toContain(SECRET);
    expect(res.text).not.toContain('a-new-secret-value');
    expect(res.body.find((e: any) => e.action === 'sso.update' && e.details.fields?.includes('client_secret'))).toBeDefined();
  });

  it('deleting a provider removes its account links, not the accounts', async () => {
    const user = await registerUser(t.api, 'linked');
    const now = Date.now();
    await t.app.store.sso.createIdentity({ provider_id: created.id, subject: 'sub-1', user_id: user.id, email: user.email, created_at: now, last_login_at: now });
    const del = await t.api.delete(`/api/v1/admin/sso/${created.id}`, admin);
    expect(del.status).toBe(200);
    expect(await t.app.store.sso.getIdentity(created.id, 'sub-1')).toBeUndefined();
    expect(await t.app.store.users.get(user.id)).toBeDefined();
    expect((await t.api.get(`/api/v1/admin/sso/${created.id}`, admin)).status).toBe(404);
    expect((await t.api.delete(`/api/v1/admin/sso/${created.id}`, admin)).status).toBe(404);
    expect((await t.api.get('/api/v1/admin/audit', admin)).body.map((e: any) => e.action)).toContain('sso.delete');
  });
});

describe('SSO in production', () => {
  let t: TestApp;
  let admin: string;
  let closedPort: number;

  beforeAll(async () => {
    t = await startApp('sqlite', {
      // 127.0.0.1 allow-listed: the cookie tests below need a provider that is saved and then unreachable.
      env: { RUSTCHAT_ENVIRONMENT: 'production', RUSTCHAT_SITE_URL: 'https://chat.corp.example', RUSTCHAT_JWT_ISSUER: 'rustchat-test', RUSTCHAT_JWT_AUDIENCE: 'rustchat-test', RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' },
    });
    admin = await adminToken(t);
    // A loopback port nobody listens on: the provider's discovery fails fast.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
  afterAll(async () => t?.close());

  it('requires https issuers, even on loopback', async () => {
    const res = await t.api.post('/api/v1/admin/sso', { ...base, issuer_url: 'http://127.0.0.1:8080' }, admin);
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/https:\/\/ in production/);
    const gh = await t.api.post('/api/v1/admin/sso', { provider_key: 'gh', provider_type: 'github', display_name: 'GHE', client_id: 'x', client_secret: 'y', github_url: 'http://127.0.0.1:1' }, admin);
    expect(gh.status).toBe(422);
    expect((await t.api.post('/api/v1/admin/sso', { ...base, issuer_url: `https://127.0.0.1:${closedPort}` }, admin)).status).toBe(201);
  });

  it('refuses to save an internal issuer or GitHub URL, in any spelling, unless its host is allow-listed', async () => {
    const refused = (field: string, kind: string): unknown => ({
      status: 400, contentType: 'application/json',
      error: { code: 'BAD_REQUEST', field, message: `${field} names an internal address (${kind} address): the server does not connect to it unless its host is listed in RUSTCHAT_OUTBOUND_ALLOWED_HOSTS` },
    });
    const internal: [string, string][] = [
      ['localhost', 'loopback'], ['idp.localhost', 'loopback'], ['127.0.0.2', 'loopback'], ['2130706434', 'loopback'], ['0x7f.0.0.2', 'loopback'], ['127.2', 'loopback'],
      ['[::1]', 'loopback'], ['[::ffff:127.0.0.2]', 'loopback'], ['10.1.2.3', 'private'], ['0xa9fea9fe', 'metadata'], ['[fd00::1]', 'unique_local'],
    ];
    for (const [i, [host, kind]] of internal.entries()) {
      const res = await t.api.post('/api/v1/admin/sso', { ...base, provider_key: `internal${i}`, issuer_url: `https://${host}:8443/realms/main` }, admin);
      expect(envelope(res), host).toEqual(refused('issuer_url', kind));
    }
    const gh = { provider_key: 'ghe', provider_type: 'github', display_name: 'GHE', client_id: 'x', client_secret: 'y' };
    expect(envelope(await t.api.post('/api/v1/admin/sso', { ...gh, github_url: 'https://localhost' }, admin))).toEqual(refused('github_url', 'loopback'));
    expect(envelope(await t.api.post('/api/v1/admin/sso', { ...gh, github_api_url: 'https://192.168.0.1/api/v3' }, admin))).toEqual(refused('github_api_url', 'private'));
    expect((await t.api.get('/api/v1/admin/sso', admin)).body.map((p: any) => p.provider_key)).not.toContain('internal0');
    // An update is checked the same way; a public name (resolved only at connect time) and an
    // allow-listed address are saved.
    const saved = await t.api.post('/api/v1/admin/sso', { ...base, provider_key: 'public1' }, admin);
    expect(saved.status).toBe(201);
    expect(envelope(await t.api.put(`/api/v1/admin/sso/${saved.body.id}`, { issuer_url: 'https://2130706434' }, admin))).toEqual(refused('issuer_url', 'loopback'));
    expect((await t.api.get(`/api/v1/admin/sso/${saved.body.id}`, admin)).body.issuer_url).toBe(base.issuer_url);
    expect((await t.api.put(`/api/v1/admin/sso/${saved.body.id}`, { issuer_url: 'https://2130706433:8443' }, admin)).status).toBe(200);
  });

  it('the browser-binding cookie is Secure; an unreachable provider is an error code on /login', async () => {
    const res = await t.api.get('/api/v1/oauth2/kc/login');
    expect(res.status).toBe(302);
    const location = String(res.headers.location);
    expect(location).toBe('/login?error=idp_unreachable');
    const cookie = String(res.headers['set-cookie']);
    // Production: the __Host- name (Secure, Path=/, no Domain), like the session cookie.
    expect(cookie).toMatch(/^__Host-rustchat_oauth_browser=/);
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    expect(cookie).not.toMatch(/; Domain=/i);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
  });

  it('the exchange reads only the __Host- flow cookie; the session cookie is HttpOnly, SameSite=Lax and Secure', async () => {
    const provider = (await t.app.store.sso.getProviderByKey('kc'))!;
    const user = (await t.app.store.users.getByLogin('root@corp.example'))!;
    const mint = async (): Promise<{ code: string; binding: string }> => {
      const code = randomToken(32);
      const now = Date.now();
      const binding = randomToken();
      await t.app.store.sso.createExchangeCode({
        code_hash: hashSecret(code), user_id: user.id, provider_id: provider.id, redirect_to: '/', session_id: null, created_at: now, expires_at: now + 60_000, consumed_at: null, browser_hash: hashSecret(binding),
      });
      return { code, binding };
    };
    // A plain-named cookie (which a sibling subdomain could set) is not read: no binding.
    const planted = await mint();
    expect((await t.api.post('/api/v1/oauth2/exchange', { code: planted.code }, undefined, { headers: { cookie: `rustchat_oauth_browser=${planted.binding}` } })).status).toBe(400);
    const { code, binding } = await mint();
    const res = await t.api.post('/api/v1/oauth2/exchange', { code }, undefined, { headers: { cookie: `__Host-rustchat_oauth_browser=${binding}` } });
    expect(res.status).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    // Production: the __Host- name (Secure, Path=/, no Domain).
    expect(cookie).toMatch(/^__Host-rustchat_session=/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/; Domain=/i);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
  });
});
