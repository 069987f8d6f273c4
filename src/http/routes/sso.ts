/**
 * Single sign-on: provider administration (/api/v1/admin/sso, system admins) and the
 * browser flow (/api/v1/oauth2: providers, login, callback, exchange — public, on the
 * shared per-IP auth rate limit). Query strings here carry OAuth codes and states; the
 * access log records paths only.
 */
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ssoLoginOptionView, ssoProviderView } from '../../domain/presenters.js';
import type { SsoProvider } from '../../domain/sso.js';
import { STATE_TTL_MS } from '../../services/sso.js';
import type { HttpDeps } from '../server.js';
import { Body, Id, IdParams, Millis, Nullable, Ok, SsoLoginOptionSchema, SsoProviderType, SsoSessionResponse, SystemRole, errors } from '../schemas.js';
import { callCtx, oauthBrowserCookie, userAgent, type App } from '../types.js';
import { sessionBody, setSessionCookie } from './auth.js';


const UrlField = Nullable(Type.String({ maxLength: 2048 }));
const Scopes = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 20 });
const Domains = Type.Array(Type.String({ maxLength: 253 }), { maxItems: 100 });

const ProviderSchema = Type.Object({
  id: Id,
  provider_key: Type.String(),
  provider_type: SsoProviderType,
  display_name: Type.String(),
  issuer_url: Nullable(Type.String()),
  github_url: Nullable(Type.String()),
  github_api_url: Nullable(Type.String()),
  client_id: Type.String(),
  has_client_secret: Type.Boolean({ description: 'The secret itself is never returned' }),
  scopes: Type.Array(Type.String()),
  auto_provision: Type.Boolean(),
  allow_domains: Type.Array(Type.String()),
  default_role: SystemRole,
  enabled: Type.Boolean(),
  login_url: Type.String(),
  callback_url: Type.String({ description: 'The redirect URI to register at the identity provider' }),
  created_at: Millis,
  updated_at: Millis,
});

const providerFields = {
  provider_key: Type.String({ maxLength: 64 }),
  provider_type: SsoProviderType,
  display_name: Type.String({ maxLength: 256 }),
  issuer_url: Type.Optional(UrlField),
  github_url: Type.Optional(UrlField),
  github_api_url: Type.Optional(UrlField),
  client_id: Type.String({ maxLength: 1024 }),
  client_secret: Type.String({ maxLength: 4096 }),
  scopes: Type.Optional(Scopes),
  auto_provision: Type.Optional(Type.Boolean()),
  allow_domains: Type.Optional(Domains),
  default_role: Type.Optional(SystemRole),
  enabled: Type.Optional(Type.Boolean()),
};

const ProviderParams = Type.Object({ provider: Type.String({ maxLength: 64 }) });

function rawQuery(req: FastifyRequest): URLSearchParams {
  const q = req.url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
}

export function ssoRoutes(app: App, deps: HttpDeps): void {
  const { sso } = deps.services;
  const browserCookie = oauthBrowserCookie(deps.config.isProduction);
  const anon = (req: FastifyRequest) => ({ ip: req.clientIp, requestId: req.id, userAgent: userAgent(req) });
  const view = (p: SsoProvider) => ssoProviderView(p, { login_url: sso.loginPath(p.provider_key), callback_url: sso.callbackUrl(p.provider_key) });

  // ---- administration ----

  app.get('/api/v1/admin/sso', {
    schema: { tags: ['admin', 'sso'], summary: 'Single sign-on providers', response: { 200: Type.Array(ProviderSchema), ...errors(401, 403) } },
  }, async (req) => (await sso.list(callCtx(req))).map(view));

  app.post('/api/v1/admin/sso', {
    schema: { tags: ['admin', 'sso'], summary: 'Add a single sign-on provider', body: Body(providerFields), response: { 201: ProviderSchema, ...errors(400, 401, 403, 409, 422) } },
  }, async (req, reply) => reply.code(201).send(view(await sso.create(callCtx(req), req.body))));

  app.get('/api/v1/admin/sso/:id', {
    schema: { tags: ['admin', 'sso'], summary: 'A single sign-on provider', params: IdParams, response: { 200: ProviderSchema, ...errors(401, 403, 404) } },
  }, async (req) => view(await sso.get(callCtx(req), req.params.id)));

  app.put('/api/v1/admin/sso/:id', {
    schema: {
      tags: ['admin', 'sso'], summary: 'Change a single sign-on provider (fields left out keep their value; client_secret only when given)',
      params: IdParams, body: Type.Partial(Body(providerFields), { additionalProperties: false }),
      response: { 200: ProviderSchema, ...errors(400, 401, 403, 404, 409, 422) },
    },
  }, async (req) => view(await sso.update(callCtx(req), req.params.id, req.body)));

  app.delete('/api/v1/admin/sso/:id', {
    schema: { tags: ['admin', 'sso'], summary: 'Remove a single sign-on provider and its account links', params: IdParams, response: { 200: Ok, ...errors(401, 403, 404) } },
  }, async (req) => {
    await sso.remove(callCtx(req), req.params.id);
    return { status: 'ok' as const };
  });

  // ---- the browser flow ----

  app.get('/api/v1/oauth2/providers', {
    config: { public: true, rateLimit: 'auth' },
    schema: {
      tags: ['sso'], summary: 'Enabled single sign-on providers and their login URLs', security: [],
      response: { 200: Type.Array(SsoLoginOptionSchema), ...errors(429) },
    },
  }, async () => (await sso.enabledProviders()).map((p) => ssoLoginOptionView(p, sso.loginPath(p.provider_key))));

  app.get('/api/v1/oauth2/:provider/login', {
    config: { public: true, rateLimit: 'auth' },
    schema: {
      tags: ['sso'], summary: 'Start signing in with a provider (302 to the identity provider)', security: [],
      params: ProviderParams,
      querystring: Type.Object({ redirect_to: Type.Optional(Type.String({ maxLength: 4096, description: 'A path on this site to return to after signing in' })) }),
      response: { 302: Type.Null(), ...errors(400, 404, 422, 429) },
    },
  }, async (req, reply) => {
    const start = await sso.startLogin(req.params.provider, req.query.redirect_to, req.cookies[browserCookie.name], anon(req));
    // Binds the started login to the browser that started it (contract §4).
    void reply.setCookie(browserCookie.name, start.browserBinding, {
      httpOnly: true, sameSite: 'lax', secure: deps.config.isProduction, path: browserCookie.path, maxAge: Math.ceil((2 * STATE_TTL_MS) / 1000),
    });
    return reply.redirect(start.location, 302);
  });

  app.get('/api/v1/oauth2/:provider/callback', {
    config: { public: true, rateLimit: 'auth' },
    schema: {
      tags: ['sso'], summary: 'Where the identity provider returns the browser (302 to /login?code=… or /login?error=…)', security: [],
      params: ProviderParams,
      response: { 302: Type.Null(), ...errors(400, 404, 429) },
    },
  }, async (req, reply) => {
    const location = await sso.finishLogin(req.params.provider, rawQuery(req), req.cookies[browserCookie.name], anon(req));
    return reply.redirect(location, 302);
  });

  app.post('/api/v1/oauth2/exchange', {
    config: { public: true, rateLimit: 'auth' },
    schema: {
      tags: ['sso'], summary: 'Trade the one-time code from /login?code=… for a session (token and HttpOnly cookie)', security: [],
      body: Body({ code: Type.String({ minLength: 1, maxLength: 256 }) }),
      response: { 200: SsoSessionResponse, ...errors(400, 403, 429) },
    },
  }, async (req, reply) => {
    const { signedIn, redirectTo } = await sso.exchange(req.body.code, { browserBinding: req.cookies[browserCookie.name] }, anon(req));
    setSessionCookie(reply, deps, signedIn.started.token, signedIn.started.expiresIn);
    return { ...sessionBody(deps, signedIn), redirect_to: redirectTo };
  });
}
