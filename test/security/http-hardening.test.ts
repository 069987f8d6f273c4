/**
 * HTTP hardening (security contract §6): CORS, security headers on every response (API,
 * errors, 404s, static files, the parser's own refusals), HSTS in production, JSON-only
 * bodies with size limits, generic 5xx, request ids, CSRF for cookie sessions, and the
 * optional in-process TLS.
 */
import { randomUUID } from 'node:crypto';
import { UUID_RE } from '../../src/domain/ids.js';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { connect as tlsConnect, type SecureVersion } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type ApiResponse, type TestApp } from '../helpers/app.js';
import { registerUser, type TestUser } from '../helpers/factories.js';
import { jsonLines, selfSignedCert, waitFor } from './support.js';


function header(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : (v as string | undefined);
}

function expectHardened(res: ApiResponse | { headers: Record<string, unknown> }, opts: { hsts: boolean }): void {
  expect(header(res, 'x-content-type-options')).toBe('nosniff');
  expect(header(res, 'x-frame-options')).toBe('SAMEORIGIN');
  expect(header(res, 'referrer-policy')).toBe('no-referrer');
  const csp = header(res, 'content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain("frame-ancestors 'self'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  if (opts.hsts) expect(header(res, 'strict-transport-security')).toBe('max-age=63072000');
  else expect(header(res, 'strict-transport-security')).toBeUndefined();
  expect(header(res, 'x-request-id')).toMatch(UUID_RE);
}

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});
function webRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rustchat-web-'));
  tmp.push(dir);
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>RustChat</title><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log("hi")');
  return dir;
}

const PRODUCTION = { RUSTCHAT_ENVIRONMENT: 'production', RUSTCHAT_SITE_URL: 'https://chat.example.com', RUSTCHAT_JWT_ISSUER: 'https://chat.example.com', RUSTCHAT_JWT_AUDIENCE: 'rustchat' };

describe.each([
  ['development', {}, false],
  ['production', PRODUCTION, true],
] as const)('security headers on every response (%s)', (_name, env, hsts) => {
  let t: TestApp;
  let user: TestUser;
  beforeAll(async () => {
    t = await startApp('sqlite', { env: { ...env, RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '3', RUSTCHAT_MAX_BODY_BYTES: '2048' }, webRoot: webRoot() });
    user = await registerUser(t.api, 'hdr');
  });
  afterAll(async () => t?.close());

  it('API success and API errors', async () => {
    expectHardened(await t.api.get('/api/v1/health/live'), { hsts });
    expectHardened(await t.api.get('/api/v1/auth/me', user.token), { hsts });
    expectHardened(await t.api.get('/api/v1/auth/me'), { hsts }); // 401
    expectHardened(await t.api.get('/api/v1/channels/not-a-channel', user.token), { hsts }); // 4xx
    expectHardened(await t.api.request('POST', '/api/v1/teams', { rawBody: '{oops', headers: { 'content-type': 'application/json' }, token: user.token }), { hsts });
  });

  it('404s, API and not', async () => {
    const api404 = await t.api.get('/api/v1/no-such-route');
    expect(api404.status).toBe(404);
    expect(api404.body.error.code).toBe('NOT_FOUND');
    expectHardened(api404, { hsts });
    const post404 = await t.api.post('/no-such-page', {});
    expect(post404.status).toBe(404);
    expectHardened(post404, { hsts });
  });

  it('static files and the web client fallback', async () => {
    const index = await t.api.get('/');
    expect(index.status).toBe(200);
    expect(index.text).toContain('<title>RustChat</title>');
    expectHardened(index, { hsts });
    const asset = await t.api.get('/assets/app.js');
    expect(asset.status).toBe(200);
    expect(header(asset, 'content-type')).toMatch(/javascript/);
    expectHardened(asset, { hsts });
    const spa = await t.api.get('/login?code=abc');
    expect(spa.status).toBe(200);
    expectHardened(spa, { hsts });
  });

  it('415, 413 and 429', async () => {
    const unsupported = await t.api.request('POST', '/api/v1/teams', { rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' }, token: user.token });
    expect(unsupported.status).toBe(415);
    expectHardened(unsupported, { hsts });
    const big = await t.api.post('/api/v1/teams', { name: 'x'.repeat(5000) }, user.token);
    expect(big.status).toBe(413);
    expectHardened(big, { hsts });
    let limited: ApiResponse | undefined;
    for (let i = 0; i < 4; i++) limited = await t.api.post('/api/v1/auth/login', { email: 'nobody@example.com', password: 'wrong-password' }, undefined, { ip: '203.0.113.77' });
    expect(limited!.status).toBe(429);
    expectHardened(limited!, { hsts });
  });

  it('CORS preflights', async () => {
    const pre = await t.api.request('OPTIONS', '/api/v1/auth/login', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expectHardened(pre, { hsts });
  });

  it('session cookies are HttpOnly, SameSite=Lax, and Secure in production only', async () => {
    const res = await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password }, undefined, { ip: '203.0.113.78' });
    expect(res.status).toBe(200);
    const cookie = header(res, 'set-cookie') ?? '';
    expect(cookie).toMatch(hsts ? /^__Host-rustchat_session=/ : /^rustchat_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    if (hsts) expect(cookie).toMatch(/;\s*Secure/i);
    else expect(cookie).not.toMatch(/;\s*Secure/i);
  });
});

describe('CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { env: { RUSTCHAT_CORS_ALLOWED_ORIGINS: 'https://chat.example.com,https://admin.example.com' } });
  });
  afterAll(async () => t?.close());

  const preflight = (origin: string) => t.api.request('OPTIONS', '/api/v1/auth/login', { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });

  it('a preflight from a listed origin is answered for that origin, with credentials', async () => {
    const res = await preflight('https://admin.example.com');
    expect(res.status).toBe(204);
    expect(header(res, 'access-control-allow-origin')).toBe('https://admin.example.com');
    expect(header(res, 'access-control-allow-credentials')).toBe('true');
    expect(header(res, 'access-control-allow-methods')).toContain('POST');
    expect(header(res, 'access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(header(res, 'vary')).toMatch(/Origin/);
  });

  it.each(['https://evil.example', 'null', 'https://chat.example.com.evil.example', 'http://chat.example.com'])('a preflight from %s gets no CORS grant', async (origin) => {
    const res = await preflight(origin);
    expect(header(res, 'access-control-allow-origin')).toBeUndefined();
    expect(header(res, 'access-control-allow-credentials')).toBeUndefined();
  });

  it('actual requests: listed origins get the grant, others (and `null`) do not, and `*` never appears', async () => {
    const ok = await t.api.get('/api/v1/health/live', undefined, { headers: { origin: 'https://chat.example.com' } });
    expect(header(ok, 'access-control-allow-origin')).toBe('https://chat.example.com');
    expect(header(ok, 'access-control-allow-credentials')).toBe('true');
    for (const origin of ['https://evil.example', 'null']) {
      const res = await t.api.get('/api/v1/health/live', undefined, { headers: { origin } });
      expect(res.status).toBe(200);
      expect(header(res, 'access-control-allow-origin')).toBeUndefined();
    }
  });

  it('unsafe requests from an unlisted origin (or `null`) are refused with 403 and an access_denied event', async () => {
    for (const origin of ['https://evil.example', 'null']) {
      const res = await t.api.post('/api/v1/auth/login', { email: 'a@example.com', password: 'whatever-123' }, undefined, { headers: { origin } });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    const events = jsonLines(t.logs.text()).filter((l) => l.security_event === 'access_denied' && l.reason === 'origin_not_allowed');
    expect(events.length).toBeGreaterThanOrEqual(2);
    const listed = await t.api.post('/api/v1/auth/login', { email: 'a@example.com', password: 'whatever-123' }, undefined, { headers: { origin: 'https://admin.example.com' } });
    expect(listed.status).toBe(401);
  });

  it('development with `*`: any real origin is echoed, never with credentials, never `null`', async () => {
    const dev = await startApp('sqlite', { env: { RUSTCHAT_CORS_ALLOWED_ORIGINS: '*' } });
    try {
      const res = await dev.api.get('/api/v1/health/live', undefined, { headers: { origin: 'https://anything.example' } });
      expect(header(res, 'access-control-allow-origin')).toBe('https://anything.example');
      expect(header(res, 'access-control-allow-credentials')).toBeUndefined();
      const nul = await dev.api.get('/api/v1/health/live', undefined, { headers: { origin: 'null' } });
      expect(header(nul, 'access-control-allow-origin')).toBeUndefined();
    } finally {
      await dev.close();
    }
  });
});

describe('bodies', () => {
  let t: TestApp;
  let user: TestUser;
  beforeAll(async () => {
    t = await startApp('sqlite', { env: { RUSTCHAT_MAX_BODY_BYTES: '4096' } });
    user = await registerUser(t.api, 'body');
  });
  afterAll(async () => t?.close());

  it.each([
    ['text/plain', '{"name":"x"}'],
    ['application/x-www-form-urlencoded', 'name=x'],
    ['multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--xyz--'],
    ['application/xml', '<name>x</name>'],
  ])('%s is refused with 415', async (type, body) => {
    const res = await t.api.request('POST', '/api/v1/teams', { rawBody: body, headers: { 'content-type': type }, token: user.token });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('a body larger than RUSTCHAT_MAX_BODY_BYTES is refused with 413', async () => {
    const res = await t.api.post('/api/v1/teams', { name: 'big', display_name: 'x'.repeat(5000) }, user.token);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const small = await t.api.post('/api/v1/teams', { name: 'smallteam', display_name: 'x'.repeat(50) }, user.token);
    expect(small.status).toBe(201);
  });

  it.each([
    ['malformed JSON', '{"name": '],
    ['a __proto__ key', '{"name":"protox","display_name":"P","__proto__":{"isAdmin":true}}'],
    ['a constructor.prototype key', '{"name":"protoy","display_name":"P","constructor":{"prototype":{"isAdmin":true}}}'],
    ['a NUL character', '{"name":"nul\\u0000team","display_name":"N"}'],
    ['a lone surrogate', '{"name":"surrogate","display_name":"\\ud800"}'],
  ])('%s is a 400 envelope, never a 500', async (_label, body) => {
    const res = await t.api.request('POST', '/api/v1/teams', { rawBody: body, headers: { 'content-type': 'application/json' }, token: user.token });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST');
    expect(res.body.error.request_id).toBe(header(res, 'x-request-id'));
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('unknown fields are refused, so nothing can be mass-assigned (a role at registration)', async () => {
    const res = await t.api.post('/api/v1/auth/register', { username: 'massassign', email: 'mass@example.com', password: 'mass-assign-pw-1', role: 'system_admin' });
    expect(res.status).toBe(400);
    const login = await t.api.post('/api/v1/auth/login', { email: 'mass@example.com', password: 'mass-assign-pw-1' });
    expect(login.status).toBe(401);
  });

  it('bytes that are not UTF-8 are a 400, not silently replaced', async () => {
    const raw = Buffer.concat([Buffer.from('{"name":"bad'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","display_name":"B"}')]);
    const res = await t.api.request('POST', '/api/v1/teams', { rawBody: raw, headers: { 'content-type': 'application/json' }, token: user.token });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST');
  });
});

describe('errors', () => {
  it('a real internal error is a generic 500 with a request id, no detail, no stack; the log has the detail under the same id', async () => {
    const t = await startApp('sqlite');
    try {
      const user = await registerUser(t.api, 'fivexx');
      await t.app.store.close(); // the database goes away under a running server
      const res = await t.api.get('/api/v1/auth/me', user.token);
      expect(res.status).toBe(500);
      const id = header(res, 'x-request-id');
      expect(id).toMatch(UUID_RE);
      expect(res.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal server error', request_id: id } });
      expect(res.text).not.toMatch(/sqlite|database|\bat\s|\.ts:|stack/i);
      expectHardened(res, { hsts: false });
      const logged = jsonLines(t.logs.text()).find((l) => l.msg === 'unhandled error');
      expect(logged?.request_id).toBe(id);
      expect(JSON.stringify(logged?.err)).toMatch(/database|closed|connection/i);
    } finally {
      await t.close().catch(() => undefined);
    }
  });

  it('every response carries a fresh request id, and a client cannot choose it', async () => {
    const t = await startApp('sqlite');
    try {
      const ids = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const res = await t.api.get('/api/v1/health/live', undefined, { headers: { 'x-request-id': 'chosen-by-client' } });
        const id = header(res, 'x-request-id')!;
        expect(id).toMatch(UUID_RE);
        ids.add(id);
      }
      expect(ids.size).toBe(5);
    } finally {
      await t.close();
    }
  });

  it('requests that Node\'s HTTP parser refuses get the envelope, a request id and the security headers', async () => {
    const t = await startApp('sqlite');
    try {
      const { port } = await t.app.listen();
      const raw = await new Promise<string>((resolve, reject) => {
        const sock = netConnect(port, '127.0.0.1', () => sock.write('GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n'));
        let data = '';
        sock.on('data', (d) => (data += d.toString()));
        sock.on('close', () => resolve(data));
        sock.on('error', reject);
      });
      expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request/);
      expect(raw).toMatch(/X-Content-Type-Options: nosniff/i);
      expect(raw).toMatch(/X-Frame-Options: SAMEORIGIN/i);
      expect(raw).toMatch(/Content-Security-Policy: default-src 'self'/i);
      const id = /X-Request-Id: ([0-9a-f-]{36})/i.exec(raw)?.[1];
      expect(id).toMatch(UUID_RE);
      expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'BAD_REQUEST', message: 'Bad Request', request_id: id } });
    } finally {
      await t.close();
    }
  });

  it('the error envelope is built in one place (http/errors.ts errorEnvelope), so its shape cannot drift', () => {
    const src = join(import.meta.dirname, '../../src');
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const builders = sources(src).filter((f) => /error:\s*\{\s*code\b[^}]*\brequest_id\b/.test(readFileSync(f, 'utf8'))).map((f) => relative(src, f));
    expect(builders).toEqual(['http/errors.ts']);
  });
});

describe('shutting down', () => {
  it('requests arriving while the server closes get a 503 in the envelope, with the headers', async () => {
    const t = await startApp('sqlite');
    try {
      const { port } = await t.app.listen();
      const sock = netConnect(port, '127.0.0.1');
      let data = '';
      sock.on('data', (d: Buffer) => (data += d.toString()));
      const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
      await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
      // A request in flight (half its body sent) keeps the server from finishing its close.
      const body = JSON.stringify({ email: 'a@example.com', password: 'whatever-123' });
      sock.write(`POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
      const closing = t.app.http.close();
      await waitFor('the server to stop listening', () => !t.app.http.server.listening);
      // The rest of the body, and a second request on the same connection.
      sock.write(`${body.slice(5)}GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n\r\n`);
      await closed;
      await closing;
      const last = data.slice(data.lastIndexOf('HTTP/1.1 '));
      expect(last).toMatch(/^HTTP\/1\.1 503 Service Unavailable/);
      expect(last).toMatch(/x-content-type-options: nosniff/i);
      expect(last).toMatch(/content-security-policy: default-src 'self'/i);
      const id = /x-request-id: ([0-9a-f-]{36})/i.exec(last)?.[1];
      expect(JSON.parse(last.slice(last.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: 'The server is shutting down', request_id: id } });
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});

describe('token transport and CSRF', () => {
  let t: TestApp;
  let user: TestUser;
  beforeAll(async () => {
    t = await startApp('sqlite');
    user = await registerUser(t.api, 'csrf');
  });
  afterAll(async () => t?.close());

  it('the Bearer scheme is case-insensitive', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect((await t.api.get('/api/v1/auth/me', undefined, { headers: { authorization: `${scheme} ${user.token}` } })).status).toBe(200);
    }
    expect((await t.api.get('/api/v1/auth/me', undefined, { headers: { authorization: `Basic ${user.token}` } })).status).toBe(401);
  });

  it('a token in the query string is never read', async () => {
    for (const q of ['token', 'access_token']) {
      const res = await t.api.get(`/api/v1/auth/me?${q}=${encodeURIComponent(user.token)}`);
      expect(res.status).toBe(401);
    }
  });

  it('a cookie-authenticated unsafe request needs the X-Requested-With header; reads do not', async () => {
    const cookie = `rustchat_session=${user.token}`;
    expect((await t.api.get('/api/v1/auth/me', undefined, { headers: { cookie } })).status).toBe(200);
    const body = { name: `csrf${randomUUID().slice(0, 8)}`, display_name: 'CSRF' };
    const forged = await t.api.post('/api/v1/teams', body, undefined, { headers: { cookie } });
    expect(forged.status).toBe(403);
    expect(forged.body.error.message).toMatch(/X-Requested-With/);
    const genuine = await t.api.post('/api/v1/teams', body, undefined, { headers: { cookie, 'x-requested-with': 'XMLHttpRequest' } });
    expect(genuine.status).toBe(201);
    // A bearer token is not ambient authority, so it needs no CSRF header.
    expect((await t.api.post('/api/v1/teams', { name: `b${body.name}`, display_name: 'B' }, user.token)).status).toBe(201);
  });
});

describe('in-process TLS (RUSTCHAT_TLS_CERT_FILE / RUSTCHAT_TLS_KEY_FILE)', () => {
  let t: TestApp;
  let port: number;
  let cert: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rustchat-tls-'));
    tmp.push(dir);
    const pair = selfSignedCert(dir);
    cert = pair.cert;
    t = await startApp('sqlite', { env: { RUSTCHAT_TLS_CERT_FILE: pair.cert, RUSTCHAT_TLS_KEY_FILE: pair.key } });
    const addr = await t.app.listen();
    expect(addr.url).toMatch(/^https:\/\//);
    port = addr.port;
  });
  afterAll(async () => t?.close());

  const handshake = (min: SecureVersion, max: SecureVersion, to = port) =>
    new Promise<string>((resolve, reject) => {
      // SECLEVEL=0 lets the client offer old protocols, so a refusal can only come from the server.
      const sock = tlsConnect({ host: '127.0.0.1', port: to, minVersion: min, maxVersion: max, ciphers: 'DEFAULT@SECLEVEL=0', rejectUnauthorized: false }, () => {
        const v = sock.getProtocol() ?? '';
        sock.end();
        resolve(v);
      });
      sock.on('error', reject);
    });

  it('speaks TLS 1.2 and 1.3 and refuses TLS 1.0/1.1', async () => {
    expect(await handshake('TLSv1.2', 'TLSv1.2')).toBe('TLSv1.2');
    expect(await handshake('TLSv1.3', 'TLSv1.3')).toBe('TLSv1.3');
    await expect(handshake('TLSv1', 'TLSv1.1')).rejects.toThrow();
    // Control: the same client does complete TLS 1.1 with a server that allows it.
    const { createServer } = await import('node:tls');
    const { readFileSync } = await import('node:fs');
    const old = createServer({ cert: readFileSync(cert), key: readFileSync(cert.replace('cert.pem', 'key.pem')), minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end());
    await new Promise<void>((r) => old.listen(0, '127.0.0.1', r));
    try {
      const oldPort = (old.address() as { port: number }).port;
      expect(await handshake('TLSv1', 'TLSv1.1', oldPort)).toBe('TLSv1.1');
    } finally {
      old.close();
    }
  });

  it('serves the API over https with the same headers', async () => {
    const { request } = await import('node:https');
    const { readFileSync } = await import('node:fs');
    const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/v1/health/live', ca: readFileSync(cert), servername: 'localhost' }, (r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).status).toBe('ok');
    expectHardened(res, { hsts: false });
  });
});
