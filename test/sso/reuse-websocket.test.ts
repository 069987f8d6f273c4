/**
 * A reused exchange code ends the session the first use started everywhere it is used:
 * REST at once, and its open WebSocket is closed with 1008 (SessionService.end publishes
 * the revocation to every node's hub).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WsClient } from '../helpers/ws-client.js';
import { exchange, signIn, startSsoApp, SITE_HOST, type SsoApp } from './helpers/harness.js';
import { startOidcIdp, type TestIdp } from './helpers/oidc-idp.js';

describe('exchange-code reuse and WebSockets', () => {
  let s: SsoApp;
  let idp: TestIdp;
  beforeAll(async () => {
    s = await startSsoApp('sqlite');
    idp = await startOidcIdp({ redirectUris: [s.callbackUrl('kc')], users: [{ sub: 'alice', email: 'alice@corp.example', email_verified: true }] });
    await s.addProvider({ provider_key: 'kc', provider_type: 'oidc', display_name: 'KC', issuer_url: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret, auto_provision: true });
  });
  afterAll(async () => {
    await idp?.close();
    await s?.close();
  });

  it('closes the socket of the session started with the code, and not another session\'s', async () => {
    const firstBrowser = s.browser();
    const first = await signIn(firstBrowser, 'kc', { login: 'alice' });
    const stolen = (await exchange(firstBrowser, first.code!)).json().token as string;
    const otherBrowser = s.browser();
    const other = await signIn(otherBrowser, 'kc', { login: 'alice' });
    const own = (await exchange(otherBrowser, other.code!)).json().token as string;
    const url = `http://${s.hosts.get(SITE_HOST)!}`;
    const victim = await WsClient.connect(url, { token: stolen, via: 'protocol' });
    const bystander = await WsClient.connect(url, { token: own, via: 'protocol' });

    expect((await exchange(s.browser(), first.code!)).status).toBe(400);
    expect((await victim.waitClose(2000)).code).toBe(1008);
    expect((await s.t.api.get('/api/v1/auth/me', stolen)).status).toBe(401);
    // The same user's other session is untouched.
    expect((await s.t.api.get('/api/v1/auth/me', own)).status).toBe(200);
    expect(bystander.ws.readyState).toBe(bystander.ws.OPEN);
    bystander.close();
  });
});
