/**
 * A real OpenID Connect provider (oidc-provider 9) on a loopback port, for the SSO tests.
 * One confidential client (client_secret_basic, PKCE required), a few users (one whose
 * e-mail is not verified), and the login/consent interaction endpoints a scripted browser
 * submits (GET /interaction/:uid answers JSON saying which prompt is due). A real browser
 * (Accept: text/html) gets the same prompts as HTML forms posting to the same endpoints.
 */
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';
import { readForm } from './form.js';

export interface IdpUser {
  readonly sub: string;
  readonly email?: string;
  readonly email_verified?: boolean;
  readonly name?: string;
  readonly given_name?: string;
  readonly family_name?: string;
  readonly preferred_username?: string;
}

export interface TestIdp {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly users: Map<string, IdpUser>;
  readonly provider: Provider;
  /** Parameters of every authorization request received. */
  readonly authorizationRequests: URLSearchParams[];
  close(): Promise<void>;
}

const escapeHtml = (v: string): string => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The prompt as a page with a form, for a real browser. */
function promptPage(uid: string, prompt: string): string {
  const action = (what: string) => `/interaction/${encodeURIComponent(uid)}/${what}`;
  const body = prompt === 'login'
    ? `<h1>Test identity provider: sign in</h1>
<form method="post" action="${escapeHtml(action('login'))}"><label for="login">Account</label> <input id="login" name="login" autocomplete="off"> <button type="submit">Sign in</button></form>
<form method="post" action="${escapeHtml(action('abort'))}"><button type="submit">Cancel</button></form>`
    : `<h1>Test identity provider: share your profile?</h1>
<form method="post" action="${escapeHtml(action('confirm'))}"><button type="submit">Allow</button></form>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test IdP</title></head><body>${body}</body></html>`;
}

export async function startOidcIdp(opts: { redirectUris: string[]; users: IdpUser[] }): Promise<TestIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const issuer = `http://127.0.0.1:${address.port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: `k-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' };
  const clientId = `rustchat-${randomBytes(4).toString('hex')}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const users = new Map(opts.users.map((u) => [u.sub, u]));

  const configuration: Configuration = {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: opts.redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    pkce: { required: () => true },
    findAccount: (_ctx, sub) => {
      const user = users.get(sub);
      if (user === undefined) return undefined;
      return { accountId: sub, claims: () => ({ ...user }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name', 'preferred_username'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
  };
  const provider = new Provider(issuer, configuration);
  const authorizationRequests: URLSearchParams[] = [];
  const callback = provider.callback();

  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/auth' && req.method === 'GET') authorizationRequests.push(url.searchParams);
    const m = /^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/.exec(url.pathname);
    if (m === null) {
      void callback(req, res);
      return;
    }
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      const action = m[2];
      if (action === undefined && req.method === 'GET') {
        if ((req.headers.accept ?? '').includes('text/html')) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(promptPage(details.uid, details.prompt.name));
        else send(200, { uid: details.uid, prompt: details.prompt.name, details: details.prompt.details });
        return;
      }
      if (req.method !== 'POST') {
        send(405, { error: 'method' });
        return;
      }
      const form = await readForm(req);
      if (action === 'login') {
        const accountId = form.get('login') ?? '';
        if (!users.has(accountId)) {
          send(400, { error: 'unknown user' });
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
        return;
      }
      if (action === 'abort') {
        await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
        return;
      }
      const accountId = details.session?.accountId;
      if (accountId === undefined) {
        send(400, { error: 'no session' });
        return;
      }
      const grant = details.grantId !== undefined ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      if (grant === undefined) {
        send(400, { error: 'no grant' });
        return;
      }
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    })().catch((err: unknown) => {
      if (!res.headersSent) send(500, { error: String(err) });
    });
  });

  return {
    issuer, clientId, clientSecret, users, provider, authorizationRequests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
