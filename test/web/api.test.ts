/** The REST client: headers it always sends, error envelopes, messages for people, SSO list parsing. */
import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, describeError, errorFromResponse, parseProviders, safeLoginPath, type FetchLike } from '../../web/src/lib/api.js';

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
  it('accepts an array or {providers}, and builds buttons', () => {
    const list = [{ id: 'gitlab', display_name: 'GitLab', login_url: '/api/v1/oauth2/gitlab/login' }, { name: 'okta' }];
    expect(parseProviders(list)).toEqual([
      { id: 'gitlab', display_name: 'GitLab', login_url: '/api/v1/oauth2/gitlab/login' },
      { id: 'okta', display_name: 'okta', login_url: '/api/v1/oauth2/okta/login' },
    ]);
    expect(parseProviders({ providers: list })).toHaveLength(2);
    expect(parseProviders(null)).toEqual([]);
    expect(parseProviders([{ id: 'bad id!' }, 5, null])).toEqual([]);
  });

  it('never lets a login link leave the site', () => {
    const fallback = '/api/v1/oauth2/x/login';
    for (const bad of ['javascript:alert(1)', '//evil.test/x', '/\\evil.test', 'https://evil.test/login', ' /x', '/a b', 42]) {
      expect(safeLoginPath(bad, fallback), String(bad)).toBe(fallback);
    }
    expect(safeLoginPath('/api/v1/oauth2/x/login?redirect_to=%2F', fallback)).toBe('/api/v1/oauth2/x/login?redirect_to=%2F');
    expect(parseProviders([{ id: 'x', login_url: 'javascript:alert(1)' }])[0]!.login_url).toBe(fallback);
  });
});
