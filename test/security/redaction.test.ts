/**
 * Redaction (security contract §7): run a full scenario at the most verbose log level,
 * capture every log line and every response, then search them for each secret used —
 * passwords, tokens, cookies, Authorization headers, exchange codes, OAuth code/state,
 * server secrets — and for e-mail addresses (which the reference's HTTP trace leaked).
 *
 * The scenario is a list of steps sharing one context; each registers every secret it uses
 * with `ctx.secret(...)`. It covers REST, the WebSocket handshake (header, subprotocol, a
 * refused query token, logout closing the socket) and a whole OpenID Connect sign-in against
 * the real test provider of test/sso (authorization code, state, nonce, PKCE verifier,
 * client secret, ID token, exchange code, session token), with an exchange-code reuse.
 * Metric labels are searched too.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, strongSecret, type ApiResponse, type TestApp } from '../helpers/app.js';
import { registerUser, type TestUser } from '../helpers/factories.js';
import { refused, WsClient, type Refused } from '../helpers/ws-client.js';
import { Browser, type BrowserResponse } from '../sso/helpers/browser.js';
import { exchange, signIn, SITE, SITE_HOST } from '../sso/helpers/harness.js';
import { startOidcIdp } from '../sso/helpers/oidc-idp.js';

interface ScenarioContext {
  readonly t: TestApp;
  /** Registers a value that must never be logged (nor appear in an error body). */
  secret(value: string): string;
  /** Registers an identifier of a person that must never be logged (e-mail addresses). */
  personal(value: string): string;
  /** Every response seen, for the error-body check. */
  readonly responses: ApiResponse[];
  readonly users: Record<string, TestUser>;
  /** Session tokens by name (the admin's, for the admin API). */
  readonly tokens: Record<string, string>;
  /** Starts the real listener once (WebSocket, SSO browser); its loopback port. */
  listen(): Promise<number>;
  /** Run after the scenario's app is closed (e.g. stop the identity provider). */
  onClose(fn: () => Promise<void>): void;
}

/** A refused WebSocket handshake or a scripted-browser answer, as a response to search. */
const asResponse = (r: Refused | BrowserResponse): ApiResponse => {
  const text = 'url' in r ? r.body : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  return { status: r.status, headers: r.headers, body: undefined, text };
};

const SSO_KEY = 'redact';

interface Step {
  readonly name: string;
  run(ctx: ScenarioContext): Promise<void>;
}

const pw = (label: string) => `${label}-${randomBytes(9).toString('base64url')}`;

/** The scenario. Steps run in order; each records what it must not leak. */
const SCENARIO: Step[] = [
  {
    name: 'bootstrap admin from RUSTCHAT_ADMIN_USER / RUSTCHAT_ADMIN_PASSWORD, then sign in',
    async run(ctx) {
      const password = ctx.secret(ctx.t.config.admin!.password);
      ctx.personal(ctx.t.config.admin!.email);
      await ctx.t.app.services.accounts.bootstrapAdmin(ctx.t.config.admin!.email, password);
      const res = await ctx.t.api.post('/api/v1/auth/login', { email: ctx.t.config.admin!.email, password });
      ctx.responses.push(res);
      expect(res.status).toBe(200);
      ctx.tokens.admin = ctx.secret(res.body.token);
    },
  },
  {
    name: 'register two users',
    async run(ctx) {
      for (const name of ['alice', 'bob']) {
        const user = await registerUser(ctx.t.api, name);
        ctx.secret(user.password);
        ctx.secret(user.token);
        ctx.personal(user.email);
        ctx.users[name] = user;
      }
    },
  },
  {
    name: 'failed logins: wrong password, unknown user, the password typed into the login field',
    async run(ctx) {
      const { alice } = ctx.users;
      const attempts = [
        { email: alice!.email, password: ctx.secret(pw('wrong')) },
        { email: ctx.personal(`nobody-${randomBytes(3).toString('hex')}@example.org`), password: ctx.secret(pw('guess')) },
        { email: ctx.secret(pw('oops-password-in-login-field')), password: ctx.secret(pw('second')) },
        { email: alice!.username, password: ctx.secret(`${pw('long')}${'x'.repeat(900)}`) },
      ];
      for (const body of attempts) {
        const res = await ctx.t.api.post('/api/v1/auth/login', body);
        ctx.responses.push(res);
        expect(res.status).toBe(401);
      }
    },
  },
  {
    name: 'bad tokens: garbage bearer, tampered signature, other schemes, a forged cookie',
    async run(ctx) {
      const { alice } = ctx.users;
      const [h, p, s] = alice!.token.split('.') as [string, string, string];
      const tampered = ctx.secret(`${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`);
      const headers: Record<string, string>[] = [
        { authorization: `Bearer ${ctx.secret(pw('garbage-token'))}` },
        { authorization: `Bearer ${tampered}` },
        { authorization: `Basic ${ctx.secret(Buffer.from(`${alice!.email}:${alice!.password}`).toString('base64'))}` },
        { authorization: `Token ${alice!.token}` },
        { cookie: `rustchat_session=${ctx.secret(pw('forged-cookie'))}; other=${ctx.secret(pw('other-cookie'))}` },
      ];
      for (const hdrs of headers) {
        const res = await ctx.t.api.get('/api/v1/auth/me', undefined, { headers: hdrs });
        ctx.responses.push(res);
        expect(res.status).toBe(401);
      }
    },
  },
  {
    name: 'tokens, codes and state in query strings (never read, never logged)',
    async run(ctx) {
      const { alice } = ctx.users;
      const code = ctx.secret(randomBytes(32).toString('base64url'));
      const state = ctx.secret(randomBytes(24).toString('base64url'));
      for (const url of [
        `/api/v1/auth/me?access_token=${alice!.token}`,
        `/api/v1/auth/me?token=${encodeURIComponent(alice!.token)}`,
        `/login?code=${code}&state=${state}`,
        `/api/v1/oauth2/test/callback?code=${code}&state=${state}`,
        `/api/v1/no-such-route?code=${code}`,
      ]) {
        ctx.responses.push(await ctx.t.api.get(url));
      }
    },
  },
  {
    name: 'authenticated work with a bearer token and with the cookie',
    async run(ctx) {
      const { alice } = ctx.users;
      ctx.responses.push(await ctx.t.api.get('/api/v1/auth/me', alice!.token));
      ctx.responses.push(await ctx.t.api.get('/api/v1/auth/me', undefined, { headers: { cookie: `rustchat_session=${alice!.token}` } }));
      const team = await ctx.t.api.post('/api/v1/teams', { name: `red${randomBytes(3).toString('hex')}`, display_name: 'Redaction' }, alice!.token);
      ctx.responses.push(team);
      expect(team.status).toBe(201);
    },
  },
  {
    name: 'an incoming webhook: its token is in the URL path, and the access log masks it',
    async run(ctx) {
      const { alice } = ctx.users;
      const team = await ctx.t.api.post('/api/v1/teams', { name: `hk${randomBytes(3).toString('hex')}`, display_name: 'Hooks' }, alice!.token);
      const channel = await ctx.t.api.post('/api/v1/channels', { team_id: team.body.id, name: 'ci', display_name: 'CI', channel_type: 'public' }, alice!.token);
      const hook = await ctx.t.api.post('/api/v1/hooks/incoming', { channel_id: channel.body.id }, alice!.token);
      expect(hook.status).toBe(201);
      const token = ctx.secret(hook.body.token as string);
      const ran = await ctx.t.api.post(`/hooks/${token}`, { text: 'from CI' });
      expect(ran.status).toBe(200);
      // A wrong token (a probe) is masked too.
      ctx.responses.push(await ctx.t.api.post(`/hooks/${ctx.secret(randomBytes(32).toString('base64url'))}`, { text: 'x' }));
      expect(ctx.t.logs.text()).toContain('/hooks/[REDACTED]');
    },
  },
  {
    name: 'bodies that fail: malformed JSON, too long, too large, wrong type — each carrying a password',
    async run(ctx) {
      const secret = ctx.secret(pw('in-a-bad-body'));
      const cases: Array<{ raw?: string; body?: unknown }> = [
        { raw: `{"email":"x@example.com","password":"${secret}"` },
        { body: { email: 'x@example.com', password: `${secret}${'y'.repeat(1100)}` } },
        { body: { email: 'x@example.com', password: secret.repeat(3000) } },
        { body: { email: 'x@example.com', password: { value: secret } } },
        { body: { email: 'x@example.com', password: secret, extra_field: secret } },
      ];
      for (const c of cases) {
        const res = c.raw !== undefined
          ? await ctx.t.api.request('POST', '/api/v1/auth/login', { rawBody: c.raw, headers: { 'content-type': 'application/json' } })
          : await ctx.t.api.post('/api/v1/auth/login', c.body);
        ctx.responses.push(res);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }
    },
  },
  {
    name: 'password change: wrong current password, then a real change',
    async run(ctx) {
      const { bob } = ctx.users;
      const wrong = await ctx.t.api.post('/api/v1/users/me/password', { current_password: ctx.secret(pw('not-current')), new_password: ctx.secret(pw('never-set')) }, bob!.token);
      ctx.responses.push(wrong);
      expect(wrong.status).toBe(422);
      const newPassword = ctx.secret(pw('bobs-new'));
      const ok = await ctx.t.api.post('/api/v1/users/me/password', { current_password: bob!.password, new_password: newPassword }, bob!.token);
      ctx.responses.push(ok);
      expect(ok.status).toBe(200);
      ctx.secret(ok.body.token);
      // The old token was ended with the other sessions.
      ctx.responses.push(await ctx.t.api.get('/api/v1/auth/me', bob!.token));
    },
  },
  {
    name: 'logout, then the dead token again',
    async run(ctx) {
      const { alice } = ctx.users;
      const out = await ctx.t.api.post('/api/v1/auth/logout', {}, alice!.token);
      ctx.responses.push(out);
      expect(out.status).toBe(200);
      const again = await ctx.t.api.get('/api/v1/auth/me', alice!.token);
      ctx.responses.push(again);
      expect(again.status).toBe(401);
    },
  },
  {
    name: 'rate limited attempts with the right password',
    async run(ctx) {
      const { bob } = ctx.users;
      for (let n = 0; n < 31; n++) ctx.responses.push(await ctx.t.api.post('/api/v1/auth/login', { email: bob!.email, password: ctx.secret(pw('limited')) }, undefined, { ip: '198.51.100.200' }));
      expect(ctx.responses.at(-1)!.status).toBe(429);
    },
  },
  {
    name: 'WebSocket: token in the Authorization header and in the subprotocol, refused tokens in the query and elsewhere, logout closes the sockets',
    async run(ctx) {
      const port = await ctx.listen();
      const url = `http://127.0.0.1:${port}`;
      const user = await registerUser(ctx.t.api, 'wsred');
      ctx.secret(user.password);
      ctx.secret(user.token);
      ctx.personal(user.email);
      const viaHeader = await WsClient.connect(url, { token: user.token });
      const viaProtocol = await WsClient.connect(url, { token: user.token, via: 'protocol' });
      expect(viaProtocol.ws.protocol).toBe('rustchat.v1');
      for (const query of [{ token: user.token }, { access_token: user.token }] as Record<string, string>[]) {
        const r = await refused(url, { query });
        expect(r.status).toBe(401);
        ctx.responses.push(asResponse(r));
      }
      const bad = [
        await refused(url, { token: ctx.secret(pw('ws-garbage-token')) }),
        await refused(url, { token: ctx.secret(`${user.token.slice(0, -4)}AAAA`), via: 'protocol' }),
        await refused(url, { token: user.token, origin: 'https://evil.example' }),
      ];
      expect(bad.map((r) => r.status)).toEqual([401, 401, 403]);
      ctx.responses.push(...bad.map(asResponse));
      const out = await ctx.t.api.post('/api/v1/auth/logout', {}, user.token);
      ctx.responses.push(out);
      expect(out.status).toBe(200);
      for (const c of [viaHeader, viaProtocol]) expect((await c.waitClose()).code).toBe(1008);
      const dead = await refused(url, { token: user.token, via: 'protocol' });
      expect(dead.status).toBe(401);
      ctx.responses.push(asResponse(dead));
    },
  },
  {
    name: 'OpenID Connect sign-in against the real test provider, then an exchange-code reuse and a replayed callback',
    async run(ctx) {
      const port = await ctx.listen();
      const idp = await startOidcIdp({
        redirectUris: [`${SITE}/api/v1/oauth2/${SSO_KEY}/callback`],
        users: [{ sub: 'sso-redact-subject', email: ctx.personal(`sso-${randomBytes(3).toString('hex')}@corp.example`), email_verified: true, name: 'Red Actor' }],
      });
      ctx.onClose(() => idp.close());
      ctx.secret(idp.clientSecret);
      // What only the IdP and RustChat's server side see: the PKCE verifier, the ID and access tokens.
      const serverSide: Record<string, string> = {};
      idp.provider.on('grant.success', (koa: { oidc: { params?: Record<string, unknown> }; body?: unknown }) => {
        const body = (koa.body ?? {}) as Record<string, unknown>;
        for (const [name, value] of [['code_verifier', koa.oidc.params?.code_verifier], ['id_token', body.id_token], ['access_token', body.access_token]] as const) {
          if (typeof value === 'string') serverSide[name] = ctx.secret(value);
        }
      });
      const added = await ctx.t.api.post('/api/v1/admin/sso', {
        provider_key: SSO_KEY, provider_type: 'oidc', display_name: 'Redaction IdP', issuer_url: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret, auto_provision: true,
      }, ctx.tokens.admin);
      ctx.responses.push(added);
      expect(added.status).toBe(201);

      const hosts = new Map([[SITE_HOST, `127.0.0.1:${port}`]]);
      const browser = new Browser(hosts);
      const flow = await signIn(browser, SSO_KEY, { login: 'sso-redact-subject', redirectTo: '/somewhere' });
      ctx.responses.push(asResponse(flow.start), asResponse(flow.last));
      expect(flow.error).toBeUndefined();
      const authorization = idp.authorizationRequests.at(-1)!;
      ctx.secret(authorization.get('state')!);
      ctx.secret(authorization.get('nonce')!);
      ctx.secret(flow.callback!.searchParams.get('code')!);
      expect(flow.callback!.searchParams.get('state')).toBe(authorization.get('state'));
      const code = ctx.secret(flow.code!);

      const first = await exchange(browser, code);
      ctx.responses.push(asResponse(first));
      expect(first.status).toBe(200);
      const token = ctx.secret(first.json<{ token: string }>().token);
      expect((await ctx.t.api.get('/api/v1/auth/me', token)).status).toBe(200);

      // The code again, from elsewhere: refused, the session it started is ended.
      const reuse = await exchange(new Browser(hosts), code);
      ctx.responses.push(asResponse(reuse));
      expect(reuse.status).toBe(400);
      const ended = await ctx.t.api.get('/api/v1/auth/me', token);
      ctx.responses.push(ended);
      expect(ended.status).toBe(401);
      // The callback replayed (state already used): 400, invalid_oauth_state.
      const replay = await browser.get(flow.callback!.href);
      ctx.responses.push(asResponse(replay));
      expect(replay.status).toBe(400);
      const unknown = await exchange(browser, ctx.secret(randomBytes(32).toString('base64url')));
      ctx.responses.push(asResponse(unknown));
      expect(unknown.status).toBe(400);
      // The server-side secrets really were seen (the grant happened at the IdP).
      expect(Object.keys(serverSide).sort()).toEqual(['access_token', 'code_verifier', 'id_token']);
      expect(ctx.t.logs.text()).toContain('"security_event":"exchange_code_reuse"');
      expect(ctx.t.logs.text()).toContain('"security_event":"invalid_oauth_state"');
    },
  },
  {
    name: 'last: an internal error while a token and a cookie are sent',
    async run(ctx) {
      const user = await registerUser(ctx.t.api, 'last');
      ctx.secret(user.password);
      ctx.secret(user.token);
      ctx.personal(user.email);
      await ctx.t.app.store.close();
      const res = await ctx.t.api.get('/api/v1/auth/me', user.token, { headers: { cookie: `rustchat_session=${user.token}` } });
      ctx.responses.push(res);
      expect(res.status).toBe(500);
    },
  },
];

describe.each(STORES)('no secret reaches a log line or an error body (%s)', (kind) => {
  let t: TestApp;
  const secrets = new Set<string>();
  const personal = new Set<string>();
  const responses: ApiResponse[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const serverSecrets = { RUSTCHAT_JWT_SECRET: strongSecret(), RUSTCHAT_ENCRYPTION_KEY: strongSecret(), RUSTCHAT_JWT_SECRET_PREVIOUS: strongSecret(), RUSTCHAT_METRICS_TOKEN: `metrics-${randomBytes(12).toString('hex')}` };

  beforeAll(async () => {
    t = await startApp(kind, {
      env: {
        ...serverSecrets,
        RUSTCHAT_LOG_LEVEL: 'trace',
        RUSTCHAT_ADMIN_USER: `root-${randomBytes(3).toString('hex')}@example.net`,
        RUSTCHAT_ADMIN_PASSWORD: pw('admin-password'),
        RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '30',
        // The SSO step's scripted browser reaches the listener under this name.
        RUSTCHAT_SITE_URL: SITE,
      },
    });
    for (const v of Object.values(serverSecrets)) secrets.add(v);
    let listening: Promise<number> | undefined;
    const ctx: ScenarioContext = {
      t,
      secret: (v) => (secrets.add(v), v),
      personal: (v) => (personal.add(v), v),
      responses,
      users: {},
      tokens: {},
      listen: async () => (listening ??= t.app.listen().then((a) => a.port)),
      onClose: (fn) => cleanups.push(fn),
    };
    for (const step of SCENARIO) {
      try {
        await step.run(ctx);
      } catch (err) {
        throw new Error(`scenario step "${step.name}" failed: ${(err as Error).message}`);
      }
    }
  }, 120_000);
  afterAll(async () => {
    await t?.close().catch(() => undefined);
    for (const fn of cleanups) await fn();
  });

  /** The forms a value may take in a log: as is, URL-encoded, JSON-escaped, and a JWT's signature alone. */
  function forms(value: string): string[] {
    const out = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
    const parts = value.split('.');
    if (parts.length === 3 && value.startsWith('eyJ')) out.add(parts[2]!);
    return [...out].filter((f) => f.length >= 8);
  }

  it('the scenario produced plenty of logs to search', () => {
    expect(t.logs.lines.length).toBeGreaterThan(50);
    expect(secrets.size).toBeGreaterThan(20);
  });

  it('no log line holds a password, token, cookie, Authorization header, code, state or server secret', () => {
    const text = t.logs.text();
    const found = [...secrets].flatMap((s) => forms(s).filter((f) => text.includes(f)).map((f) => f.slice(0, 12)));
    expect(found).toEqual([]);
  });

  it('no log line holds an e-mail address, a full URL with its query, or a raw header', () => {
    const text = t.logs.text();
    expect([...personal].filter((e) => text.includes(e))).toEqual([]);
    expect(text).not.toMatch(/[?&](code|state|token|access_token)=/);
    for (const line of t.logs.lines) {
      const o = JSON.parse(line) as Record<string, unknown>;
      for (const key of ['authorization', 'cookie', 'headers']) {
        const v = JSON.stringify(o).match(new RegExp(`"${key}":"([^"]*)"`, 'i'));
        if (v) expect(v[1]).toBe('[REDACTED]');
      }
    }
  });

  it('no metric label holds a secret or an e-mail address', async () => {
    const text = await t.app.metrics.registry.metrics();
    expect(text).toMatch(/rustchat_security_events_total\{event="exchange_code_reuse"\} 1/);
    expect([...secrets].flatMap((s) => forms(s).filter((f) => text.includes(f)).map((f) => f.slice(0, 12)))).toEqual([]);
    expect([...personal].filter((e) => text.includes(e))).toEqual([]);
  });

  it('no error body holds a secret, and no body at all holds a password or a server secret', () => {
    for (const res of responses) {
      const body = res.text;
      const never = [...secrets].filter((s) => !s.startsWith('eyJ'));
      for (const s of res.status >= 400 ? [...secrets] : never) {
        for (const f of forms(s)) expect(body.includes(f), `${res.status} body contains a secret`).toBe(false);
      }
      if (res.status >= 500) expect(body).not.toMatch(/\bat\s.+:\d+|stack/i);
    }
  });
});
