/**
 * The one outbound HTTP client (security contract §9). Everything the server fetches from a
 * URL that an admin or a user typed (SSO discovery, JWKS, token and user-info endpoints;
 * later link previews, webhooks, slash commands, push) goes through `OutboundClient.fetch`,
 * so nobody can point the server at its own network (SSRF).
 *
 * One hop:
 *   URL: http/https only, no credentials
 *   → host: an IP literal is classified here (the WHATWG URL parser has already rewritten
 *     2130706433, 0x7f.1, 127.1 and [::ffff:127.0.0.1] into canonical addresses); a name is
 *     resolved by our own `lookup`, which classifies every address the resolver returns and
 *     hands exactly those to the socket, so the address connected to is the address that was
 *     checked (a DNS-rebinding name gets no second resolution). The connected peer is
 *     checked once more on `connect`, in case a future change bypasses the lookup.
 *   → request: no shared agent (no pool, no environment proxy), no cookie jar, no
 *     compression
 *   → response: read up to `maxBytes` within the deadline, else the request fails.
 * A 3xx is followed (at most `maxRedirects`) only as a new hop through the same checks; an
 * `Authorization` header does not follow a redirect to another origin.
 *
 * Internal addresses are refused unless the host is in `allowedHosts`
 * (RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: an IdP an admin runs inside the network). Outside
 * production loopback is allowed too, so a developer's (and the tests') local IdP works.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';

export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link_local'
  | 'metadata'
  | 'unique_local'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'reserved';

const V4_RANGES: readonly (readonly [string, number, AddressClass])[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  // Cloud instance metadata (AWS, GCP, Azure, OpenStack): named apart from the rest of
  // link-local because it is the address attackers aim for.
  ['169.254.169.254', 32, 'metadata'],
  ['169.254.0.0', 16, 'link_local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
];

function v4ToInt(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

const V4_TABLE = V4_RANGES.map(([base, bits, cls]) => {
  const size = 2 ** (32 - bits);
  const start = v4ToInt(base);
  return { start, end: start + size - 1, cls };
});

function classifyV4(address: string): AddressClass {
  const n = v4ToInt(address);
  return V4_TABLE.find((r) => n >= r.start && n <= r.end)?.cls ?? 'public';
}

/** Eight 16-bit groups of an IPv6 address (dotted IPv4 tail and `::` expanded), or undefined. */
function v6Groups(address: string): number[] | undefined {
  let a = address.toLowerCase();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const lastColon = a.lastIndexOf(':');
  const dotted = a.slice(lastColon + 1);
  if (dotted.includes('.')) {
    if (isIP(dotted) !== 4) return undefined;
    const n = v4ToInt(dotted);
    a = `${a.slice(0, lastColon + 1)}${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - rest.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0 || [...head, ...rest].some((g) => Number.isNaN(g))) return undefined;
  return [...head, ...Array<number>(fill).fill(0), ...rest];
}

const v4From = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

function classifyV6(address: string): AddressClass {
  const g = v6Groups(address);
  if (g === undefined) return 'reserved';
  const zeros = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (zeros(8)) return 'unspecified';
  if (zeros(7) && g[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and SIIT-translated (::ffff:0:a.b.c.d): the IPv4 address decides.
  if (zeros(5) && g[5] === 0xffff) return classifyV4(v4From(g[6]!, g[7]!));
  if (zeros(4) && g[4] === 0xffff && g[5] === 0) return classifyV4(v4From(g[6]!, g[7]!));
  // IPv4-compatible (deprecated): never a legitimate destination.
  if (zeros(6)) return 'reserved';
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they embed.
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return classifyV4(v4From(g[6]!, g[7]!));
  if (g[0] === 0x2002) return classifyV4(v4From(g[1]!, g[2]!));
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'documentation';
  if (g[0] === 0x2001 && g[1]! < 0x200) return 'reserved'; // IETF protocol assignments, Teredo
  if ((g[0]! & 0xfe00) === 0xfc00) return 'unique_local';
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link_local';
  if ((g[0]! & 0xffc0) === 0xfec0) return 'private'; // site-local (deprecated)
  if ((g[0]! & 0xff00) === 0xff00) return 'multicast';
  // Only 2000::/3 is allocated as global unicast.
  if ((g[0]! & 0xe000) !== 0x2000) return 'reserved';
  return 'public';
}

/** What kind of address an IP address is; 'public' is the only kind the server fetches from unasked. */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return classifyV4(bare);
  if (family === 6) return classifyV6(bare);
  return 'reserved';
}

/**
 * The IP address a URL host names, in canonical form, or undefined for a DNS name. Goes
 * through the WHATWG URL parser, so every numeric spelling of an IPv4 address (decimal
 * `2130706433`, hex `0x7f.1`, short `127.1`, octal `0177.0.0.1`) is recognised as the
 * address it is, the same way `fetch` and browsers read it.
 */
export function hostAddress(host: string): string | undefined {
  let hostname: string;
  try {
    hostname = new URL(`http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}/`).hostname;
  } catch {
    return undefined;
  }
  const bare = hostname.replace(/^\[|\]$/g, '');
  return isIP(bare) === 0 ? undefined : bare;
}

/** A host as RUSTCHAT_OUTBOUND_ALLOWED_HOSTS and the client compare it: URL-parsed hostname, lower case. */
export function normalizeHost(entry: string): string | undefined {
  if (entry === '' || /[/?#@\s]/.test(entry)) return undefined;
  try {
    const u = new URL(`http://${entry.includes(':') && !entry.startsWith('[') ? `[${entry}]` : entry}/`);
    if (u.port !== '') return undefined;
    return u.hostname;
  } catch {
    return undefined;
  }
}

/** A request the outbound client refused (not a network error): `reason` is log-safe. */
export class OutboundRefused extends Error {
  readonly code = 'OUTBOUND_REFUSED';
  constructor(readonly reason: string) {
    super(`outbound request refused: ${reason}`);
    this.name = 'OutboundRefused';
  }
}

export interface OutboundOptions {
  /** Host names (or addresses) that may be internal: RUSTCHAT_OUTBOUND_ALLOWED_HOSTS. */
  readonly allowedHosts: readonly string[];
  /** Loopback allowed (development and tests: a local IdP). Never in production. */
  readonly allowLoopback: boolean;
  readonly maxRedirects?: number;
  /** Largest response body read. */
  readonly maxBytes?: number;
  /** Deadline for one call, redirects included. */
  readonly timeoutMs?: number;
  /**
   * Resolves a host name to every address it has (default: the system resolver, `dns.lookup`
   * with `all`). The client classifies what this returns like any other answer; tests give a
   * resolver that names internal addresses, the way a hostile DNS server would.
   */
  readonly resolve?: (hostname: string, family: number | undefined) => Promise<LookupAddress[]>;
  /**
   * Ports a host outside `allowedHosts` may be reached on (default: any). Link previews,
   * which any user triggers, allow only the web's own ports, so a posted link cannot make the
   * server knock on a mail relay or a database somewhere.
   */
  readonly allowedPorts?: readonly number[];
}

/** How `read` takes a response body. */
export interface ReadOptions {
  /** Largest body read (default: the client's `maxBytes`). */
  readonly maxBytes?: number;
  /** Keep the first `maxBytes` of a longer body (the rest is never read) instead of failing. */
  readonly truncate?: boolean;
  /**
   * Looks at the final response's status and headers before a byte of its body is read: a
   * reason refuses it (the connection is closed at once, so a 2 GB answer of the wrong type
   * costs nothing), undefined reads it.
   */
  readonly accept?: (status: number, headers: Headers) => string | undefined;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/** A response read by `read`: where it ended up (after redirects) and its (bounded) body. */
export interface ReadResult {
  readonly url: URL;
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  /** The body was longer than `maxBytes` and was cut there (`truncate`). */
  readonly truncated: boolean;
}

/** One response as the client received it. */
interface Hop {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: Buffer | null;
  readonly truncated: boolean;
}

interface BodyLimits {
  readonly maxBytes: number;
  readonly truncate: boolean;
  readonly accept: ((status: number, headers: Headers) => string | undefined) | undefined;
}

const systemResolve = (hostname: string, family: number | undefined): Promise<LookupAddress[]> =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, ...(family === undefined || family === 0 ? {} : { family }) }, (err, addresses: LookupAddress[]) => (err ? reject(err) : resolve(addresses)));
  });

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NO_BODY = new Set([204, 205, 304]);

export class OutboundClient {
  private readonly allowedHosts: ReadonlySet<string>;
  private readonly maxRedirects: number;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: OutboundOptions) {
    this.allowedHosts = new Set(options.allowedHosts.map((h) => normalizeHost(h) ?? h.toLowerCase()));
    this.maxRedirects = options.maxRedirects ?? 3;
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** Why an address may not be fetched from (undefined: it may). */
  addressProblem(address: string): string | undefined {
    const cls = classifyAddress(address);
    if (cls === 'public' || (cls === 'loopback' && this.options.allowLoopback)) return undefined;
    return `${cls} address`;
  }

  /**
   * Why a URL an admin is about to save names a host the client would refuse (undefined: it
   * may be saved). Only what the URL itself says, IP literals in any spelling and
   * `localhost`: a DNS name is resolved at connect time, where the same rules apply, because
   * what it resolves to can change after it is saved.
   */
  destinationProblem(url: URL): string | undefined {
    if (this.allowedHosts.has(url.hostname)) return undefined;
    const host = url.hostname.toLowerCase();
    const ip = hostAddress(url.hostname);
    if (ip !== undefined) return this.addressProblem(ip);
    // The resolver answers loopback for localhost and its subdomains (RFC 6761).
    if (host === 'localhost' || host.endsWith('.localhost')) return this.addressProblem('127.0.0.1');
    return undefined;
  }

  /**
   * A `fetch` with the checks above: same arguments, same Response. `redirect: 'manual'`
   * (what openid-client sends) returns a 3xx as is; `'error'` throws on one; `'follow'`
   * follows it through the same checks.
   */
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const first = new Request(input, init);
    const body = first.body === null ? undefined : Buffer.from(await first.arrayBuffer());
    const { hop } = await this.follow(new URL(first.url), first.method, new Headers(first.headers), body, first.redirect, init?.signal ?? undefined, { maxBytes: this.maxBytes, truncate: false, accept: undefined });
    return new Response(hop.body, { status: hop.status, statusText: hop.statusText, headers: hop.headers });
  };

  /**
   * A GET with the same checks as `fetch` (redirects followed), for callers that want the body
   * bounded their own way: `maxBytes` of their own, cut rather than failed (`truncate`), and
   * the response refused by its headers before the body is read (`accept`).
   */
  async read(input: string | URL, options: ReadOptions = {}): Promise<ReadResult> {
    const limits: BodyLimits = { maxBytes: Math.min(options.maxBytes ?? this.maxBytes, this.maxBytes), truncate: options.truncate === true, accept: options.accept };
    const { hop, url } = await this.follow(new URL(input), 'GET', new Headers(options.headers), undefined, 'follow', options.signal, limits);
    return { url, status: hop.status, headers: hop.headers, body: hop.body ?? Buffer.alloc(0), truncated: hop.truncated };
  }

  private async follow(start: URL, startMethod: string, headers: Headers, startBody: Buffer | undefined, redirect: Request['redirect'], callerSignal: AbortSignal | undefined, limits: BodyLimits): Promise<{ hop: Hop; url: URL }> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), ...(callerSignal ? [callerSignal] : [])]);
    let url = start;
    let method = startMethod;
    let body = startBody;
    headers.delete('cookie');
    headers.set('accept-encoding', 'identity');
    for (let hop = 0; ; hop++) {
      const res = await this.once(url, method, headers, body, signal, redirect === 'manual' ? { ...limits, accept: undefined } : limits);
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || location === null || redirect === 'manual') return { hop: res, url };
      if (redirect === 'error') throw new OutboundRefused('redirect not allowed');
      if (hop >= this.maxRedirects) throw new OutboundRefused('too many redirects');
      const next = new URL(location, url);
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        body = undefined;
        headers.delete('content-type');
        headers.delete('content-length');
      }
      if (next.origin !== url.origin) headers.delete('authorization');
      url = next;
    }
  }

  private target(url: URL): { host: string; ip: string | undefined } {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundRefused(`scheme ${url.protocol} not allowed`);
    if (url.username !== '' || url.password !== '') throw new OutboundRefused('credentials in URL');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return { host, ip: isIP(host) === 0 ? undefined : host };
  }

  private once(url: URL, method: string, headers: Headers, body: Buffer | undefined, signal: AbortSignal, limits: BodyLimits): Promise<Hop> {
    const { host, ip } = this.target(url);
    const trusted = this.allowedHosts.has(url.hostname);
    if (!trusted && this.options.allowedPorts !== undefined) {
      const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
      if (!this.options.allowedPorts.includes(port)) return Promise.reject(new OutboundRefused(`port ${port} not allowed`));
    }
    if (!trusted && ip !== undefined) {
      const problem = this.addressProblem(ip);
      if (problem !== undefined) return Promise.reject(new OutboundRefused(problem));
    }
    const lookup: LookupFunction = (hostname, opts, callback) => {
      const answer = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]): void => {
        if (err) return callback(err, '', 0);
        const refused = trusted ? undefined : addresses.map((a) => this.addressProblem(a.address)).find((p) => p !== undefined);
        if (refused !== undefined) return callback(new OutboundRefused(refused), '', 0);
        if (addresses.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
        if (opts.all === true) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      };
      (this.options.resolve ?? systemResolve)(hostname, opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : opts.family).then((a) => answer(null, a), (err: unknown) => answer(err as NodeJS.ErrnoException, []));
    };
    const outgoing: Record<string, string> = Object.fromEntries(headers);
    outgoing.host = url.host;
    if (body !== undefined) outgoing['content-length'] = String(body.length);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Hop>((resolve, reject) => {
      const req = send({
        protocol: url.protocol,
        hostname: host,
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method,
        headers: outgoing,
        agent: false,
        lookup,
        signal,
        ...(url.protocol === 'https:' && ip === undefined ? { servername: host } : {}),
      });
      req.on('socket', (socket: Socket) => {
        socket.once('connect', () => {
          const peer = socket.remoteAddress;
          const problem = trusted || peer === undefined ? undefined : this.addressProblem(peer);
          if (problem !== undefined) req.destroy(new OutboundRefused(problem));
        });
      });
      req.on('error', reject);
      req.on('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 502;
        // Node reads any three digits as a status; `Response` throws on one outside 200–599,
        // and a throw here (an event handler) would be uncaught: any server could stop ours.
        if (status < 200 || status > 599) {
          res.destroy();
          reject(new OutboundRefused(`status ${status} is not an HTTP response status`));
          return;
        }
        const responseHeaders = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i]!;
          // No cookie jar, and nothing to tempt a caller into keeping one.
          if (name.toLowerCase() === 'set-cookie') continue;
          try {
            responseHeaders.append(name, res.rawHeaders[i + 1]!);
          } catch {
            // A header value fetch would refuse: leave it out rather than fail the call.
          }
        }
        const isRedirect = REDIRECTS.has(status) && responseHeaders.has('location');
        const refusal = isRedirect ? undefined : limits.accept?.(status, responseHeaders);
        if (refusal !== undefined) {
          res.destroy();
          reject(new OutboundRefused(refusal));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        let done = false;
        const finish = (truncated: boolean): void => {
          if (done) return;
          done = true;
          const payload = NO_BODY.has(status) || method === 'HEAD' ? null : Buffer.concat(chunks);
          resolve({ status, statusText: res.statusMessage ?? '', headers: responseHeaders, body: payload, truncated });
        };
        res.on('data', (chunk: Buffer) => {
          if (done) return;
          if (size + chunk.length > limits.maxBytes) {
            res.destroy();
            if (limits.truncate) {
              chunks.push(chunk.subarray(0, limits.maxBytes - size));
              size = limits.maxBytes;
              finish(true);
            } else {
              done = true;
              reject(new OutboundRefused(`response larger than ${limits.maxBytes} bytes`));
            }
            return;
          }
          size += chunk.length;
          chunks.push(chunk);
        });
        res.on('error', (err) => {
          if (done) return;
          done = true;
          reject(err);
        });
        res.on('end', () => finish(false));
        // Cut off mid-body (the deadline, a reset): never a silently short answer.
        res.on('close', () => {
          if (!done) {
            done = true;
            reject(new OutboundRefused('response cut off before its end'));
          }
        });
      });
      req.end(body);
    });
  }
}
