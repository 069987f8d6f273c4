/**
 * SSO discovery goes through the outbound client (security contract §9): in production an
 * issuer on an internal address, however it is spelled, is refused before any connection
 * is made (a local listener records every connection), and reached once the host is in
 * RUSTCHAT_OUTBOUND_ALLOWED_HOSTS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { startCanary, type Canary } from '../helpers/canary.js';

const PRODUCTION = {
  RUSTCHAT_ENVIRONMENT: 'production',
  RUSTCHAT_SITE_URL: 'https://chat.corp.example',
  RUSTCHAT_JWT_ISSUER: 'rustchat-test',
  RUSTCHAT_JWT_AUDIENCE: 'rustchat-test',
  RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '1000',
};

async function adminToken(t: TestApp): Promise<string> {
  await t.app.services.accounts.createAdmin('root@corp.example', 'rootadmin', 'root-admin-password-1');
  const res = await t.api.post('/api/v1/auth/login', { email: 'root@corp.example', password: 'root-admin-password-1' });
  return res.body.token;
}

describe('SSO discovery through the outbound client (production)', () => {
  let listener: Canary;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    // Dual-stack, so ::1 and ::ffff:127.0.0.1 reach it as well as 127.0.0.1.
    listener = await startCanary();
  });
  afterAll(async () => {
    for (const t of apps) await t.close();
    await listener.close();
  });

  const spellings = ['127.0.0.1', 'localhost', '2130706433', '0x7f.1', '127.1', '[::ffff:127.0.0.1]'];

  /** Adds one provider per spelling and starts each login (which runs discovery). */
  async function tryAll(t: TestApp, allowListed: boolean): Promise<void> {
    const admin = await adminToken(t);
    for (const [i, host] of spellings.entries()) {
      const key = `idp${i}`;
      const issuer = `https://${host}:${listener.port}`;
      const input = { provider_key: key, provider_type: 'oidc', display_name: `IdP ${i}`, issuer_url: issuer, client_id: 'rustchat', client_secret: 'kc-client-secret-Zm9vYmFyYmF6cXV4' };
      let created = await t.api.post('/api/v1/admin/sso', input, admin);
      if (!allowListed) {
        // Refused when saved (test/sso/admin.test.ts); a row saved before that check existed
        // (written here straight to the store) still meets the connect-time check.
        expect(created.status, host).toBe(400);
        created = await t.api.post('/api/v1/admin/sso', { ...input, issuer_url: 'https://sso.corp.example' }, admin);
        await t.app.store.sso.updateProvider(created.body.id, { issuer_url: issuer }, Date.now());
      }
      expect(created.status, host).toBe(201);
      const login = await t.api.get(`/api/v1/oauth2/${key}/login`);
      // Refused or not, this IdP cannot complete a sign-in: the browser lands on /login with an error.
      expect(login.status, host).toBe(302);
      expect(String(login.headers.location), host).toMatch(/^\/login\?error=/);
    }
  }

  it('refuses an internal issuer in every spelling without connecting to it', async () => {
    const t = await startApp('sqlite', { env: PRODUCTION });
    apps.push(t);
    await tryAll(t, false);
    expect(listener.connections()).toBe(0);
    // The log says why (the user sees only "could not be reached").
    expect(t.logs.text()).toMatch(/outbound request refused: loopback address/);
  });

  it('reaches it when the host is allow-listed', async () => {
    const t = await startApp('sqlite', { env: { ...PRODUCTION, RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1, localhost, [::ffff:127.0.0.1]' } });
    apps.push(t);
    const before = listener.connections();
    await tryAll(t, true);
    // Every spelling got through the address check and made its connection (the listener
    // speaks no TLS, so discovery itself then fails).
    expect(listener.connections() - before).toBeGreaterThanOrEqual(spellings.length);
    expect(t.logs.text()).not.toMatch(/outbound request refused/);
  });
});
