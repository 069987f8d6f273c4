/** The REST client: headers it always sends, error envelopes, messages for people, SSO list parsing. */
import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, describeError, errorFromResponse, parseProviders, safeLoginPath, ssoLoginHref, type FetchLike } from '../../web/src/lib/api.js';
import { startApp } from '../helpers/app.js';

interface Call {
  url: string;
  init: Parameters<FetchLike>[1];
}

function fakeFetch(status: number, body: string, headers: Record<string, string> = {}) {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    return { status, ok: status >= 200 && status < 300, text: async () => body, headers: { get: (n: string) => headers[n.toLowerCase()] ?? null } };
  };
  return { fetch, calls };
}

describe('ApiClient', () => {
  it('sends the bearer token, X-Requested-With and JSON, and parses the answer', async () => {
    const f = fakeFetch(201, '{"id":"p1","message":"hi"}');
    const api = new ApiClient({ fetch: f.fetch, getToken: () => 'tok' });
    const post = await api.createPost('c/1', { message: 'hi', client_msg_id: 'm1' });
    expect(post).toEqual({ id: 'p1', message: 'hi' });
    expect(f.calls[0]!.url).toBe('/api/v1/channels/c%2F1/posts');
    expect(f.calls[0]!.init).toMatchObject({
      method: 'POST',
      credentials: 'same-origin',
      headers: { Authorization: 'Bearer tok', 'X-Requested-With': 'XMLHttpRequest', 'Content-Type': 'application/json', Accept: 'application/json' },
      body: '{"message":"hi","client_msg_id":"m1"}',
    });
  });

  it('sends no Authorization header when signed out, but still X-Requested-With', async () => {
    const f = fakeFetch(200, '{}');
    await new ApiClient({ fetch: f.fetch, getToken: () => undefined }).policy();
    expect(f.calls[0]!.init.headers.Authorization).toBeUndefined();
    expect(f.calls[0]!.init.headers['X-Requested-With']).toBe('XMLHttpRequest');
    expect(f.calls[0]!.init.body).toBeUndefined();
  });

  it('turns the error envelope into an ApiError with code, message, field and request id', async () => {
    const f = fakeFetch(422, '{"error":{"code":"VALIDATION_ERROR","message":"Password must be at least 8 characters","field":"password","request_id":"r-1"}}');
    const api = new ApiClient({ fetch: f.fetch, getToken: () => undefined });
    const err = await api.register({ username: 'x', email: 'x@y.z', password: 'short' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 422, code: 'VALIDATION_ERROR', field: 'password', requestId: 'r-1', message: 'Password must be at least 8 characters' });
    expect(describeError(err)).toBe('Password must be at least 8 characters');
  });

  it('reports an ended session only for a 401 on a request that carried a token', async () => {
    let ended = 0;
    const f = fakeFetch(401, '{"error":{"code":"UNAUTHORIZED","message":"Invalid or expired session"}}');
    await new ApiClient({ fetch: f.fetch, getToken: () => 'tok', onSessionEnded: () => ended++ }).teams().catch(() => undefined);
    expect(ended).toBe(1);
    const login = fakeFetch(401, '{"error":{"code":"UNAUTHORIZED","message":"Invalid email or password"}}');
    const err = await new ApiClient({ fetch: login.fetch, getToken: () => undefined, onSessionEnded: () => ended++ }).login('bob', 'nope').catch((e: unknown) => e);
    expect(ended).toBe(1);
    expect(describeError(err)).toBe('Invalid email or password');
  });

  it('maps network failures, rate limits and server errors to sentences a person can act on', async () => {
    const down: FetchLike = async () => {
      throw new TypeError('Failed to fetch');
    };
    const err = await new ApiClient({ fetch: down, getToken: () => undefined }).policy().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
    expect(describeError(err)).toBe('Cannot reach the server. Check your connection and try again.');

    const limited = errorFromResponse(429, { error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests. Please try again later.', retry_after: 42 } });
    expect(describeError(limited)).toBe('Too many attempts. Please wait 42 seconds and try again.');
    expect(describeError(errorFromResponse(429, undefined, '1'))).toBe('Too many attempts. Please wait 1 second and try again.');

    const boom = errorFromResponse(500, { error: { code: 'INTERNAL_ERROR', message: 'Internal server error', request_id: 'req-9' } });
    expect(describeError(boom)).toBe('Something went wrong on the server. Please try again. (Reference: req-9)');
    // A proxy's HTML error page is not an envelope.
    const proxy = await new ApiClient({ fetch: fakeFetch(502, '<html>Bad gateway</html>').fetch, getToken: () => undefined }).policy().catch((e: unknown) => e);
    expect(proxy).toMatchObject({ status: 502, code: 'INTERNAL_ERROR' });
    expect(describeError(new Error('plain'))).toBe('plain');
    expect(describeError('???')).toBe('Something went wrong. Please try again.');
  });

  it('treats a missing SSO endpoint as "no providers" but reports other failures', async () => {
    const none = await new ApiClient({ fetch: fakeFetch(404, '{"error":{"code":"NOT_FOUND","message":"Route not found"}}').fetch, getToken: () => undefined }).providers();
    expect(none).toEqual([]);
    await expect(new ApiClient({ fetch: fakeFetch(500, '').fetch, getToken: () => undefined }).providers()).rejects.toBeInstanceOf(ApiError);
  });
});

describe('SSO provider list', () => {
  it('reads the list exactly as the server sends it (a real server, a provider added through the admin API)', async () => {
    const t = await startApp('sqlite');
    try {
      await t.app.services.accounts.createAdmin('web-admin@example.com', 'webadmin', 'web-admin-password-1');
      const admin = (await t.api.post('/api/v1/auth/login', { email: 'web-admin@example.com', password: 'web-admin-password-1' })).body.token as string;
      const created = await t.api.post('/api/v1/admin/sso', {
        provider_key: 'corp', provider_type: 'oidc', display_name: 'Corp login', issuer_url: 'http://127.0.0.1:9/realm', client_id: 'rustchat', client_secret: 'not-used-here-0123456789',
      }, admin);
      expect(created.status).toBe(201);
      const list = await t.api.get('/api/v1/oauth2/providers');
      expect(list.status).toBe(200);
      expect(parseProviders(list.body)).toEqual([{ provider_key: 'corp', provider_type: 'oidc', display_name: 'Corp login', login_url: '/api/v1/oauth2/corp/login' }]);
    } finally {
      await t.close();
    }
  });

  it('leaves out entries that do not fit, and labels a provider by its key when it has no name', () => {
    expect(parseProviders([{ provider_key: 'gitlab', provider_type: 'oidc', display_name: ' ', login_url: '/api/v1/oauth2/gitlab/login' }])).toEqual([
      { provider_key: 'gitlab', provider_type: 'oidc', display_name: 'gitlab', login_url: '/api/v1/oauth2/gitlab/login' },
    ]);
    expect(parseProviders([{ provider_key: 'gh', provider_type: 'github', display_name: 'GitHub' }])).toEqual([
      { provider_key: 'gh', provider_type: 'github', display_name: 'GitHub', login_url: '/api/v1/oauth2/gh/login' },
    ]);
    expect(parseProviders(null)).toEqual([]);
    expect(parseProviders({ providers: [{ provider_key: 'x' }] })).toEqual([]);
    expect(parseProviders([{ provider_key: 'bad key!' }, { id: 'x' }, 5, null])).toEqual([]);
  });

  it('never lets a login link leave the site', () => {
    const fallback = '/api/v1/oauth2/x/login';
    for (const bad of ['javascript:alert(1)', '//evil.test/x', '/\\evil.test', 'https://evil.test/login', ' /x', '/a b', 42]) {
      expect(safeLoginPath(bad, fallback), String(bad)).toBe(fallback);
    }
    expect(safeLoginPath('/api/v1/oauth2/x/login?redirect_to=%2F', fallback)).toBe('/api/v1/oauth2/x/login?redirect_to=%2F');
    expect(parseProviders([{ provider_key: 'x', login_url: 'javascript:alert(1)' }])[0]!.login_url).toBe(fallback);
  });

  it('a button opened from a deep link carries that page as redirect_to', () => {
    const login = '/api/v1/oauth2/corp/login';
    expect(ssoLoginHref(login, '/')).toBe(login);
    expect(ssoLoginHref(login, '/login')).toBe(login);
    expect(ssoLoginHref(login, '/login?error=x')).toBe(login);
    expect(ssoLoginHref(login, '//evil.example/x')).toBe(login);
    expect(ssoLoginHref(login, '/web-team/channels/town-square?tab=files')).toBe(`${login}?redirect_to=${encodeURIComponent('/web-team/channels/town-square?tab=files')}`);
  });
});
