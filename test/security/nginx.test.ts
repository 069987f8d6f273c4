/**
 * The guide's nginx setup works: the real nginx (Debian's package) runs deploy/nginx.conf
 * as shipped — only addresses, ports and file paths are rewritten — with a self-signed
 * certificate, in front of a real RustChat listener. Clients bind to distinct loopback
 * addresses (127.0.0.2, 127.0.0.3...) so the test can tell whose address the server sees.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type SecureVersion } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { createChannel, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { multipart } from '../helpers/uploads.js';
import { refused, WsClient } from '../helpers/ws-client.js';
import { WS_CLOSE, WS_SUBPROTOCOL } from '../../src/domain/events.js';
import { ROOT, freePort, jsonLines, requireBinary, selfSignedCert, waitFor } from './support.js';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: any;
}

/** Replaces exactly one occurrence of `pattern` (the test fails if the shipped file drifts). */
function replaceOnce(text: string, pattern: RegExp, replacement: string): string {
  const matches = text.match(new RegExp(pattern.source, 'g'));
  if (matches?.length !== 1) throw new Error(`deploy/nginx.conf: expected one match of ${pattern}, found ${matches?.length ?? 0}`);
  return text.replace(pattern, replacement);
}

interface Nginx {
  readonly tlsPort: number;
  readonly httpPort: number;
  readonly accessLog: string;
  stop(): Promise<void>;
}

/** Renders a site config into a private prefix and runs nginx in the foreground. */
/**
 * A site configuration made runnable here: upstream on the test app's port, TLS on a free
 * loopback port with a self-signed certificate, the security access log in `dir`.
 */
function localSite(site: string, o: { appPort: number; tlsPort: number; cert: { cert: string; key: string }; dir: string }): string {
  site = replaceOnce(site, /server 127\.0\.0\.1:3000;/, `server 127.0.0.1:${o.appPort};`);
  site = replaceOnce(site, /listen 443 ssl http2;/, `listen 127.0.0.1:${o.tlsPort} ssl http2;`);
  site = replaceOnce(site, /ssl_certificate \S+;/, `ssl_certificate ${o.cert.cert};`);
  site = replaceOnce(site, /ssl_certificate_key \S+;/, `ssl_certificate_key ${o.cert.key};`);
  return site.replace(/access_log \S+ security;/g, `access_log ${o.dir}/access.log security;`);
}

async function startNginx(site: string, dir: string): Promise<Nginx> {
  const nginx = requireBinary('nginx', 'nginx');
  const main = join(dir, 'nginx.conf');
  writeFileSync(join(dir, 'site.conf'), site);
  writeFileSync(main, [
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    'worker_processes 1;',
    'events { worker_connections 128; }',
    'http {',
    `  client_body_temp_path ${dir}/client_body;`,
    `  proxy_temp_path ${dir}/proxy;`,
    `  fastcgi_temp_path ${dir}/fastcgi;`,
    `  uwsgi_temp_path ${dir}/uwsgi;`,
    `  scgi_temp_path ${dir}/scgi;`,
    `  include ${dir}/site.conf;`,
    '}',
  ].join('\n'));
  // Workers drop to `nobody` when the test runs as root: they must be able to reach the temp paths.
  chmodSync(dir, 0o755);
  const child: ChildProcess = spawn(nginx, ['-c', main, '-p', dir, '-e', `${dir}/error.log`, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = Number(/listen 127\.0\.0\.1:(\d+) ssl/.exec(site)![1]);
  await waitFor(`nginx to listen on ${port}`, async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${out}${safeRead(join(dir, 'error.log'))}`);
    return new Promise<boolean>((resolve) => {
      const s = netConnect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
  });
  return {
    tlsPort: port,
    httpPort: Number(/listen 127\.0\.0\.1:(\d+);/.exec(site)?.[1] ?? 0),
    accessLog: join(dir, 'access.log'),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

describe('deploy/nginx.conf with the real nginx', () => {
  const LIMIT = 3;
  const WS_LIMIT = 4;
  let dir: string;
  let cert: { cert: string; key: string };
  let t: TestApp;
  let nginx: Nginx;
  let user: TestUser;

  /** An HTTPS request through nginx from a chosen loopback address. */
  function call(from: string, method: string, path: string, opts: { body?: unknown; raw?: Buffer; headers?: Record<string, string> } = {}): Promise<Res> {
    return new Promise((resolve, reject) => {
      const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
      const req = httpsRequest({
        host: '127.0.0.1', port: nginx.tlsPort, method, path, localAddress: from, servername: 'localhost', ca: readFileSync(cert.cert),
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}), ...(opts.headers ?? {}) },
      }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rustchat-nginx-'));
    cert = selfSignedCert(dir);
    const tlsPort = await freePort();
    const httpPort = await freePort();
    t = await startApp('sqlite', {
      env: {
        RUSTCHAT_SECURITY_TRUSTED_PROXIES: '127.0.0.1/32',
        RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: String(LIMIT),
        RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE: String(WS_LIMIT),
        RUSTCHAT_SITE_URL: `https://localhost:${tlsPort}`,
      },
    });
    user = await registerUser(t.api, 'proxied'); // in process, outside the proxied buckets
    const app = await t.app.listen();
    let site = readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8');
    site = localSite(site, { appPort: app.port, tlsPort, cert, dir });
    site = replaceOnce(site, /listen 80;/, `listen 127.0.0.1:${httpPort};`);
    nginx = await startNginx(site, dir);
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const handshake = (min: SecureVersion, max: SecureVersion) =>
    new Promise<string>((resolve, reject) => {
      const sock = tlsConnect({ host: '127.0.0.1', port: nginx.tlsPort, servername: 'localhost', minVersion: min, maxVersion: max, ciphers: 'DEFAULT@SECLEVEL=0', rejectUnauthorized: false }, () => {
        const v = sock.getProtocol() ?? '';
        sock.end();
        resolve(v);
      });
      sock.on('error', reject);
    });

  it('speaks TLS 1.2 and 1.3 only', async () => {
    expect(await handshake('TLSv1.2', 'TLSv1.2')).toBe('TLSv1.2');
    expect(await handshake('TLSv1.3', 'TLSv1.3')).toBe('TLSv1.3');
    await expect(handshake('TLSv1', 'TLSv1.1')).rejects.toThrow();
  });

  it('redirects plain HTTP to HTTPS', async () => {
    const res = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: nginx.httpPort, path: '/login?x=1', headers: { host: 'chat.example.com' } }, (r) => {
        r.resume();
        resolve({ status: r.statusCode ?? 0, location: r.headers.location });
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(301);
    expect(res.location).toBe('https://chat.example.com/login?x=1');
  });

  it('login over https works, with each security header exactly once and the request id', async () => {
    const login = await call('127.0.0.5', 'POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
    expect(login.status).toBe(200);
    expect(login.json.token).toEqual(expect.any(String));
    expect(login.headers['strict-transport-security']).toBe('max-age=63072000');
    expect(login.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(login.headers['x-content-type-options']).toBe('nosniff');
    expect(login.headers['content-security-policy']).toContain("default-src 'self'");
    expect(login.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(login.headers['x-ratelimit-limit']).toBe(String(LIMIT));
    const me = await call('127.0.0.5', 'GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${login.json.token}` } });
    expect(me.status).toBe(200);
    expect(me.json.id).toBe(user.id);
    // Errors from nginx's upstream keep the headers too.
    const missing = await call('127.0.0.5', 'GET', '/api/v1/no-such-route');
    expect(missing.status).toBe(404);
    expect(missing.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('passes uploads larger than the JSON body limit to RustChat, which keeps its own limits and headers', async () => {
    const login = await call('127.0.0.9', 'POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
    const token = login.json.token as string;
    const team = await createTeam(t.api, user, 'invite');
    const channel = await createChannel(t.api, user, team.id, 'private');
    const data = Buffer.alloc(3 * 1024 * 1024, 0x41);
    const form = multipart([{ name: 'three-megabytes.txt', data }]);
    const up = await call('127.0.0.9', 'POST', `/api/v1/files?channel_id=${channel.id}`, { raw: form.body, headers: { authorization: `Bearer ${token}`, 'content-type': form.contentType } });
    expect(up.status, up.body).toBe(201);
    expect(up.json.size).toBe(data.length);
    const dl = await call('127.0.0.9', 'GET', `/api/v1/files/${up.json.id as string}/download`, { headers: { authorization: `Bearer ${token}` } });
    expect(dl.status).toBe(200);
    expect(dl.body.length).toBe(data.length);
    expect(dl.headers['content-security-policy']).toMatch(/^sandbox/);
    expect(dl.headers['x-content-type-options']).toBe('nosniff');
    expect(dl.headers['content-disposition']).toMatch(/^attachment; /);
    // JSON bodies keep nginx's 1 MB limit.
    const big = await call('127.0.0.9', 'POST', `/api/v1/channels/${channel.id}/posts`, { body: { message: 'x'.repeat(2 * 1024 * 1024) }, headers: { authorization: `Bearer ${token}` } });
    expect(big.status).toBe(413);
  });

  it('the server sees the real client address: its own bucket and its `client_ip`, not nginx\'s', async () => {
    const attempt = (from: string, headers: Record<string, string> = {}) => call(from, 'POST', '/api/v1/auth/login', { body: { email: user.email, password: 'not-the-password' }, headers });
    for (let n = 0; n < LIMIT; n++) expect((await attempt('127.0.0.2')).status).toBe(401);
    const refused = await attempt('127.0.0.2');
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({ error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests. Please try again later.', retry_after: Number(refused.headers['retry-after']) } });
    const lines = jsonLines(t.logs.text());
    expect(lines.find((l) => l.security_event === 'rate_limit_exceeded')?.client_ip).toBe('127.0.0.2');
    expect(lines.filter((l) => l.security_event === 'login_failure').map((l) => l.client_ip)).toContain('127.0.0.2');
    expect(lines.filter((l) => l.msg === 'request' && l.client_ip === '127.0.0.2' && l.path === '/api/v1/auth/login')).toHaveLength(LIMIT + 1);

    // Another client has its own bucket.
    expect((await attempt('127.0.0.3')).status).toBe(401);

    // A client cannot pick a bucket with X-Forwarded-For (nor X-Real-IP): not the exhausted one...
    expect((await attempt('127.0.0.4', { 'x-forwarded-for': '127.0.0.2', 'x-real-ip': '127.0.0.2' })).status).toBe(401);
    // ...nor a fresh one each time to escape its own.
    for (let n = 0; n < LIMIT - 1; n++) expect((await attempt('127.0.0.4', { 'x-forwarded-for': `10.9.9.${n}` })).status).toBe(401);
    expect((await attempt('127.0.0.4', { 'x-forwarded-for': '10.9.9.200' })).status).toBe(429);
    expect(jsonLines(t.logs.text()).filter((l) => l.security_event === 'rate_limit_exceeded').at(-1)?.client_ip).toBe('127.0.0.4');
  });

  it('the access log uses the redacting format: client address, path without query, no tokens, cookies or codes', async () => {
    const token = (await call('127.0.0.6', 'POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } })).json.token as string;
    const code = 'one-time-exchange-code-0123456789abcdef';
    const state = 'oauth-state-value-abcdef0123456789';
    await call('127.0.0.6', 'GET', `/login?code=${code}&state=${state}`, { headers: { authorization: `Bearer ${token}`, cookie: `rustchat_session=${token}`, referer: `https://localhost/login?code=${code}` } });
    await call('127.0.0.6', 'GET', `/api/v1/auth/me?access_token=${token}`, { headers: { authorization: `Bearer ${token}` } });
    const log = await waitFor('the access log lines', () => {
      const text = safeRead(nginx.accessLog);
      return text.includes('/api/v1/auth/me HTTP') ? text : '';
    });
    expect(log).toMatch(/^127\.0\.0\.6 - - \[[^\]]+\] "GET \/login HTTP\/1\.1" \d{3} \d+ "https:\/\/localhost\/login" "[^"]*"$/m);
    expect(log).toMatch(/^127\.0\.0\.2 - - .*"POST \/api\/v1\/auth\/login HTTP\/1\.1" 429 /m);
    for (const s of [token, token.split('.')[2]!, code, state, user.password]) expect(log).not.toContain(s);
    expect(log).not.toMatch(/[?&](code|state|access_token)=/);
  });

  it('a WebSocket over wss through nginx: token in the header or the subprotocol, hello, live posts, logout; the client\'s own address and bucket', async () => {
    const team = await createTeam(t.api, user, 'open'); // in process, outside the proxied buckets
    const channel = await createChannel(t.api, user, team.id);
    const base = `https://127.0.0.1:${nginx.tlsPort}`;
    const tls = (from: string) => ({ ca: readFileSync(cert.cert), servername: 'localhost', localAddress: from });
    const session = (await call('127.0.0.11', 'POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } })).json.token as string;

    const viaHeader = await WsClient.connect(base, { token: session, tls: tls('127.0.0.11') });
    const viaProtocol = await WsClient.connect(base, { token: session, via: 'protocol', tls: tls('127.0.0.11') });
    for (const c of [viaHeader, viaProtocol]) expect(c.events[0]).toMatchObject({ event: 'hello', seq: 0, broadcast: { user_id: user.id } });
    expect(viaHeader.ws.protocol).toBe('');
    // nginx passes the subprotocol answer through: rustchat.v1, never the token.
    expect(viaProtocol.ws.protocol).toBe(WS_SUBPROTOCOL);
    expect(viaProtocol.responseHeaders['sec-websocket-protocol']).toBe(WS_SUBPROTOCOL);
    expect(JSON.stringify(viaProtocol.responseHeaders)).not.toContain(session);
    expect(viaProtocol.responseHeaders['strict-transport-security']).toBe('max-age=63072000');

    // A post made over https, through nginx, arrives on both sockets.
    const posted = await call('127.0.0.11', 'POST', `/api/v1/channels/${channel.id}/posts`, { body: { message: 'through nginx, both ways' }, headers: { authorization: `Bearer ${session}` } });
    expect(posted.status).toBe(201);
    for (const c of [viaHeader, viaProtocol]) {
      const e = await c.waitForEvent('posted', (d) => d.post.id === posted.json.id);
      expect(e.data).toMatchObject({ post: { message: 'through nginx, both ways', user_id: user.id } });
      expect(c.seqErrors).toEqual([]);
    }
    // The gateway logged the client's address, not nginx's.
    const connected = jsonLines(t.logs.text()).filter((l) => l.msg === 'websocket connected' && l.user_id === user.id);
    expect(connected.map((l) => l.client_ip)).toEqual(['127.0.0.11', '127.0.0.11']);

    // A token in the query string is refused (401) even through the proxy, and the event names the client.
    const query = await refused(base, { query: { token: session }, tls: tls('127.0.0.12') });
    expect(query.status).toBe(401);
    expect(jsonLines(t.logs.text()).filter((l) => l.security_event === 'websocket_auth_failure').at(-1)).toMatchObject({ reason: 'query_token', client_ip: '127.0.0.12' });

    // WS_LIMIT handshakes per client address: 127.0.0.11 has used two, two more pass, the next is refused...
    for (let n = 0; n < WS_LIMIT - 2; n++) (await WsClient.connect(base, { token: session, tls: tls('127.0.0.11') })).close();
    const limited = await refused(base, { token: session, tls: tls('127.0.0.11') });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(jsonLines(t.logs.text()).filter((l) => l.security_event === 'rate_limit_exceeded').at(-1)).toMatchObject({ limiter: 'ws', client_ip: '127.0.0.11' });
    // ...for that client only: another address still connects, even one claiming to be the limited client.
    const other = await WsClient.connect(base, { token: session, tls: tls('127.0.0.13'), headers: { 'x-forwarded-for': '127.0.0.11', 'x-real-ip': '127.0.0.11' } });
    expect(jsonLines(t.logs.text()).filter((l) => l.msg === 'websocket connected').at(-1)?.client_ip).toBe('127.0.0.13');
    other.close();

    // A browser's Origin crosses the proxy: the site's own passes, a foreign one is refused (403).
    const fromSite = await WsClient.connect(base, { token: session, via: 'protocol', origin: t.config.siteUrl, tls: tls('127.0.0.14') });
    fromSite.close();
    const foreign = await refused(base, { token: session, via: 'protocol', origin: 'https://evil.example', tls: tls('127.0.0.14') });
    expect(foreign.status).toBe(403);
    expect(jsonLines(t.logs.text()).filter((l) => l.security_event === 'websocket_auth_failure').at(-1)).toMatchObject({ reason: 'bad_origin', client_ip: '127.0.0.14' });

    // Logging out over https closes this session's sockets through the proxy (1008).
    expect((await call('127.0.0.11', 'POST', '/api/v1/auth/logout', { headers: { authorization: `Bearer ${session}` } })).status).toBe(200);
    for (const c of [viaHeader, viaProtocol]) expect((await c.waitClose()).code).toBe(WS_CLOSE.SESSION_ENDED);

    // nginx's own log has the WebSocket path without its query, so without the token.
    const log = await waitFor('the WebSocket lines in the access log', () => {
      const text = safeRead(nginx.accessLog);
      return text.includes('/api/v1/ws HTTP') ? text : '';
    });
    expect(log).toMatch(/^127\.0\.0\.12 - - .*"GET \/api\/v1\/ws HTTP\/1\.1" 401 /m);
    expect(log).not.toContain(session);
    expect(log).not.toContain(session.split('.')[2]!);
  });
});

/** The guide's nginx example, verbatim apart from the upstream definition it leaves out. */
const GUIDE_EXAMPLE = `
upstream rustchat_backend { server 127.0.0.1:3000; }
log_format security '$remote_addr - $remote_user [$time_local] '
'"$request" $status $body_bytes_sent '
'"$http_referer" "$http_user_agent"';
access_log /var/log/nginx/access.log security;
server {
listen 443 ssl http2;
server_name chat.example.com;
ssl_certificate /path/to/cert.pem;
ssl_certificate_key /path/to/key.pem;
ssl_protocols TLSv1.2 TLSv1.3;
ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256;
ssl_prefer_server_ciphers off;
# Security headers
add_header Strict-Transport-Security "max-age=63072000" always;
add_header X-Frame-Options "SAMEORIGIN" always;
add_header X-Content-Type-Options "nosniff" always;
location / {
proxy_pass http://rustchat_backend;
proxy_http_version 1.1;
proxy_set_header Upgrade $http_upgrade;
proxy_set_header Connection "upgrade";
# Forward client IP for rate limiting
proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
proxy_set_header X-Real-IP $remote_addr;
}
}
`;

describe('the guide\'s own nginx example, as written', () => {
  let dir: string;
  let cert: { cert: string; key: string };
  let t: TestApp;
  let nginx: Nginx;
  let tlsPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rustchat-nginx-guide-'));
    cert = selfSignedCert(dir);
    tlsPort = await freePort();
    t = await startApp('sqlite', {
      env: { RUSTCHAT_SECURITY_TRUSTED_PROXIES: '127.0.0.1/32', RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '2', RUSTCHAT_SITE_URL: `https://localhost:${tlsPort}` },
    });
    const app = await t.app.listen();
    let site = GUIDE_EXAMPLE;
    site = localSite(site, { appPort: app.port, tlsPort, cert, dir });
    nginx = await startNginx(site, dir);
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function post(from: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        host: '127.0.0.1', port: tlsPort, method: 'POST', path, localAddress: from, servername: 'localhost', ca: readFileSync(cert.cert),
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), ...headers },
      }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  it('register and log in from a browser origin (Connection: upgrade on every request, no Host header forwarded)', async () => {
    const origin = { origin: `https://localhost:${tlsPort}` };
    const reg = await post('127.0.0.7', '/api/v1/auth/register', { username: 'guideuser', email: 'guide@example.com', password: 'a-guide-password-1' }, origin);
    expect(reg.status).toBe(202);
    const login = await post('127.0.0.8', '/api/v1/auth/login', { email: 'guide@example.com', password: 'a-guide-password-1' }, origin);
    expect(login.status).toBe(200);
    expect(login.json.token).toEqual(expect.any(String));
  });

  it('forwards the WebSocket upgrade: wss with the subprotocol token from the site\'s origin, hello, and the client\'s address', async () => {
    const user = await registerUser(t.api, 'guidews');
    const c = await WsClient.connect(`https://127.0.0.1:${tlsPort}`, {
      token: user.token, via: 'protocol', origin: `https://localhost:${tlsPort}`, tls: { ca: readFileSync(cert.cert), servername: 'localhost', localAddress: '127.0.0.15' },
    });
    expect(c.events[0]).toMatchObject({ event: 'hello', seq: 0 });
    expect(c.ws.protocol).toBe(WS_SUBPROTOCOL);
    expect(jsonLines(t.logs.text()).filter((l) => l.msg === 'websocket connected').at(-1)?.client_ip).toBe('127.0.0.15');
    c.close();
  });

  it('forwards the client address for rate limiting', async () => {
    expect((await post('127.0.0.9', '/api/v1/auth/login', { email: 'guide@example.com', password: 'wrong-password-1' })).status).toBe(401);
    expect((await post('127.0.0.9', '/api/v1/auth/login', { email: 'guide@example.com', password: 'wrong-password-1' })).status).toBe(401);
    expect((await post('127.0.0.9', '/api/v1/auth/login', { email: 'guide@example.com', password: 'wrong-password-1' })).status).toBe(429);
    expect((await post('127.0.0.10', '/api/v1/auth/login', { email: 'guide@example.com', password: 'wrong-password-1' }, { 'x-forwarded-for': '127.0.0.99' })).status).toBe(401);
    expect(jsonLines(t.logs.text()).find((l) => l.security_event === 'rate_limit_exceeded')?.client_ip).toBe('127.0.0.9');
  });
});
