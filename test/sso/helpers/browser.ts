/**
 * A scripted browser over real HTTP: a cookie jar (per host, with paths and expiry),
 * redirects followed by hand, and a host map standing in for DNS (the app's site URL is
 * http://rustchat.test, answered by an app listening on a random loopback port).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface Cookie {
  readonly name: string;
  readonly value: string;
  /** host:port of the URL that set it. */
  readonly host: string;
  readonly path: string;
  readonly expiresAt: number | undefined;
  readonly attributes: Readonly<Record<string, string | true>>;
}

export interface BrowserResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  json<T = any>(): T;
}

export interface RequestInit {
  readonly body?: string;
  readonly form?: Record<string, string>;
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
}

function parseSetCookie(header: string, url: URL): Cookie | undefined {
  const [pair, ...attrs] = header.split(';');
  const eq = pair!.indexOf('=');
  if (eq <= 0) return undefined;
  const attributes: Record<string, string | true> = {};
  for (const a of attrs) {
    const i = a.indexOf('=');
    const k = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
    if (k !== '') attributes[k] = i < 0 ? true : a.slice(i + 1).trim();
  }
  let expiresAt: number | undefined;
  if (typeof attributes['max-age'] === 'string') expiresAt = Date.now() + Number(attributes['max-age']) * 1000;
  else if (typeof attributes.expires === 'string') expiresAt = Date.parse(attributes.expires);
  const defaultPath = url.pathname.lastIndexOf('/') > 0 ? url.pathname.slice(0, url.pathname.lastIndexOf('/')) : '/';
  const path = typeof attributes.path === 'string' && attributes.path.startsWith('/') ? attributes.path : defaultPath;
  return { name: pair!.slice(0, eq).trim(), value: pair!.slice(eq + 1).trim(), host: url.host, path, expiresAt, attributes };
}

function pathMatches(cookiePath: string, requestPath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export class Browser {
  private jar: Cookie[] = [];
  /** Every URL requested, in order (redirects included). */
  readonly visited: string[] = [];
  /** Every Set-Cookie received, parsed. */
  readonly setCookies: Cookie[] = [];

  constructor(private readonly hosts: ReadonlyMap<string, string> = new Map()) {}

  cookies(url: string): Cookie[] {
    const u = new URL(url);
    const now = Date.now();
    return this.jar.filter((c) => c.host === u.host && pathMatches(c.path, u.pathname) && (c.expiresAt === undefined || c.expiresAt > now));
  }

  cookie(url: string, name: string): Cookie | undefined {
    return this.cookies(url).find((c) => c.name === name);
  }

  /** Drops cookies by name (all hosts when `host` is omitted). */
  forget(name: string, host?: string): void {
    this.jar = this.jar.filter((c) => !(c.name === name && (host === undefined || c.host === host)));
  }

  /** Copies a cookie into this jar (e.g. to stand in for a stolen cookie). */
  put(cookie: Cookie): void {
    this.jar = this.jar.filter((c) => !(c.name === cookie.name && c.host === cookie.host && c.path === cookie.path));
    this.jar.push(cookie);
  }

  private store(cookie: Cookie): void {
    this.setCookies.push(cookie);
    this.jar = this.jar.filter((c) => !(c.name === cookie.name && c.host === cookie.host && c.path === cookie.path));
    if (cookie.expiresAt === undefined || cookie.expiresAt > Date.now()) this.jar.push(cookie);
  }

  async request(method: string, url: string, init: RequestInit = {}): Promise<BrowserResponse> {
    const u = new URL(url);
    this.visited.push(u.href);
    const target = this.hosts.get(u.host) ?? u.host;
    const [hostname, port] = target.startsWith('[') ? [target.slice(1, target.indexOf(']')), target.slice(target.indexOf(']') + 2)] : target.split(':');
    const headers: Record<string, string> = { host: u.host, 'user-agent': 'rustchat-test-browser/1.0', accept: '*/*', ...(init.headers ?? {}) };
    const cookies = this.cookies(u.href);
    if (cookies.length > 0) headers.cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    let body: string | undefined = init.body;
    if (init.form !== undefined) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] = 'application/json';
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    // Like a browser: unsafe requests say where they come from.
    if (method !== 'GET' && method !== 'HEAD') headers.origin ??= u.origin;
    return new Promise<BrowserResponse>((resolve, reject) => {
      const req = httpRequest({ hostname, port: Number(port || 80), path: `${u.pathname}${u.search}`, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          for (const h of res.headers['set-cookie'] ?? []) {
            const c = parseSetCookie(h, u);
            if (c !== undefined) this.store(c);
          }
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ url: u.href, status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      });
      req.setTimeout(20_000, () => req.destroy(new Error(`timeout: ${method} ${u.href}`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  get(url: string, init: RequestInit = {}): Promise<BrowserResponse> {
    return this.request('GET', url, init);
  }

  post(url: string, init: RequestInit = {}): Promise<BrowserResponse> {
    return this.request('POST', url, init);
  }

  /**
   * Follows redirects from `response` (GET after 301/302/303) until one lands on a URL for
   * which `stop` is true (not requested: returned as `stoppedAt`) or a non-redirect answer.
   */
  async follow(response: BrowserResponse, stop: (url: URL) => boolean, maxHops = 25): Promise<{ response: BrowserResponse; stoppedAt: URL | undefined }> {
    let current = response;
    for (let hop = 0; hop < maxHops; hop++) {
      const location = current.headers.location;
      if (current.status < 300 || current.status >= 400 || location === undefined) return { response: current, stoppedAt: undefined };
      const next = new URL(location, current.url);
      if (stop(next)) return { response: current, stoppedAt: next };
      current = await this.get(next.href);
    }
    throw new Error(`too many redirects from ${response.url}`);
  }
}
