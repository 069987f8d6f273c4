/**
 * The outbound client (security contract §9 "One outbound HTTP client"): the address
 * classification as a table (pure logic), then the client against local listeners that
 * record every connection, so "refused" means "no connection was made".
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { classifyAddress, hostAddress, normalizeHost, OutboundClient, OutboundRefused, type AddressClass } from '../../src/security/outbound.js';

describe('address classification', () => {
  const table: readonly (readonly [string, AddressClass])[] = [
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['169.254.169.254', 'metadata'],
    ['169.254.1.1', 'link_local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:8.8.8.8', 'public'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['::127.0.0.1', 'reserved'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::808:808', 'public'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456::1', 'unique_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:82b::200e', 'public'],
    ['4000::1', 'reserved'],
    ['not-an-address', 'reserved'],
  ];
  it.each(table)('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it('reads every numeric spelling of a host as the address it is', () => {
    for (const spelling of ['2130706433', '0x7f.1', '127.1', '0x7f000001', '0177.0.0.1', '127.0.0.1', '[::ffff:127.0.0.1]']) {
      const address = hostAddress(spelling);
      expect(address, spelling).toBeDefined();
      expect(classifyAddress(address!), spelling).toBe('loopback');
    }
    expect(hostAddress('sso.example.com')).toBeUndefined();
    expect(hostAddress('localhost')).toBeUndefined();
  });

  it('normalises allow-list entries like URL hosts, and refuses ports, paths and schemes', () => {
    expect(normalizeHost('SSO.Corp.Internal')).toBe('sso.corp.internal');
    expect(normalizeHost('2130706433')).toBe('127.0.0.1');
    expect(normalizeHost('::1')).toBe('[::1]');
    expect(normalizeHost('[::ffff:127.0.0.1]')).toBe('[::ffff:7f00:1]');
    for (const bad of ['https://sso.example', 'sso.example:443', 'sso.example/path', 'user@sso.example', '']) expect(normalizeHost(bad), bad).toBeUndefined();
  });

  it('RUSTCHAT_OUTBOUND_ALLOWED_HOSTS is read normalised, and a URL in it stops the server with its name', () => {
    const ok = loadConfig({ RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: 'SSO.corp.internal, 10.0.0.5' }, { persistGeneratedSecrets: false });
    expect(ok.config?.outbound.allowedHosts).toEqual(['sso.corp.internal', '10.0.0.5']);
    const bad = loadConfig({ RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: 'https://sso.corp.internal/' }, { persistGeneratedSecrets: false });
    expect(bad.errors.join('\n')).toMatch(/RUSTCHAT_OUTBOUND_ALLOWED_HOSTS/);
  });

  it('link previews have their own allow-list: the SSO one does not open internal hosts to posted links', () => {
    const sso = loadConfig({ RUSTCHAT_OUTBOUND_ALLOWED_HOSTS: 'sso.corp.internal' }, { persistGeneratedSecrets: false });
    expect(sso.config?.linkPreviews.allowedHosts).toEqual([]);
    const wiki = loadConfig({ RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS: 'Wiki.corp.internal' }, { persistGeneratedSecrets: false });
    expect(wiki.config?.linkPreviews.allowedHosts).toEqual(['wiki.corp.internal']);
    expect(wiki.config?.outbound.allowedHosts).toEqual([]);
    const bad = loadConfig({ RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS: 'wiki.corp.internal:8080' }, { persistGeneratedSecrets: false });
    expect(bad.errors.join('\n')).toMatch(/RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS/);
  });
});

/** A TCP listener on loopback that counts the connections it gets and answers nothing. */
async function recordingListener(): Promise<{ server: Server; port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, connections: () => count };
}

describe('the outbound client', () => {
  let target: Awaited<ReturnType<typeof recordingListener>>;
  let web: HttpServer;
  let webPort: number;

  beforeAll(async () => {
    target = await recordingListener();
    // A trusted server (allow-listed as `localhost`) that redirects wherever ?to= says.
    web = createHttpServer((req, res) => {
      const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
      if (to !== null) res.writeHead(302, { location: to, 'set-cookie': 'tracking=1' }).end();
      else if (req.url === '/big') res.end('x'.repeat(64 * 1024));
      else if (req.url === '/image') res.writeHead(200, { 'content-type': 'image/png' }).end('x'.repeat(64 * 1024));
      else res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'tracking=1' }).end(JSON.stringify({ ok: true, cookie: req.headers.cookie ?? null }));
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webPort = (web.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => target.server.close(() => resolve()));
    await new Promise<void>((resolve) => web.close(() => resolve()));
  });

  const production = (allowedHosts: string[] = []): OutboundClient => new OutboundClient({ allowedHosts, allowLoopback: false, maxBytes: 16 * 1024, timeoutMs: 5_000 });

  it('refuses every spelling of loopback without connecting, by literal and by name', async () => {
    const client = production();
    for (const host of ['127.0.0.1', 'localhost', '2130706433', '0x7f.1', '127.1', '[::ffff:127.0.0.1]', '[::1]', '[::ffff:7f00:1]']) {
      await expect(client.fetch(`http://${host}:${target.port}/`), host).rejects.toBeInstanceOf(OutboundRefused);
    }
    expect(target.connections()).toBe(0);
  });

  it('refuses other schemes and credentials in the URL', async () => {
    const client = production(['127.0.0.1']);
    // Refused by our own checks (OutboundRefused naming why), not by whatever Node would make of them.
    await expect(client.fetch(`ftp://127.0.0.1:${target.port}/`)).rejects.toMatchObject({ name: 'OutboundRefused', reason: 'scheme ftp: not allowed' });
    await expect(client.fetch(`file:///etc/passwd`)).rejects.toMatchObject({ name: 'OutboundRefused', reason: 'scheme file: not allowed' });
    // (A URL with credentials is already refused by the Request that fetch builds.)
    await expect(client.fetch(`http://user:pw@127.0.0.1:${target.port}/`)).rejects.toThrow();
    expect(target.connections()).toBe(0);
  });

  it('connects to an allow-listed internal host, and (outside production) to loopback', async () => {
    const res = await production(['localhost']).fetch(`http://localhost:${webPort}/`, { headers: { cookie: 'secret=1' } });
    expect(res.status).toBe(200);
    // No cookies either way: none sent, none handed back.
    expect(await res.json()).toEqual({ ok: true, cookie: null });
    expect(res.headers.get('set-cookie')).toBeNull();
    const dev = new OutboundClient({ allowedHosts: [], allowLoopback: true });
    expect((await dev.fetch(`http://127.0.0.1:${webPort}/`)).status).toBe(200);
    // Development allows loopback only, not the rest of the internal ranges.
    expect(dev.addressProblem('10.0.0.1')).toBe('private address');
    expect(dev.addressProblem('169.254.169.254')).toBe('metadata address');
  });

  it('a redirect from a trusted host to an internal address is refused before connecting', async () => {
    const client = production(['localhost']);
    for (const to of [`http://127.0.0.1:${target.port}/`, `http://2130706433:${target.port}/`, `http://0x7f.1:${target.port}/`, `http://[::ffff:127.0.0.1]:${target.port}/`]) {
      await expect(client.fetch(`http://localhost:${webPort}/?to=${encodeURIComponent(to)}`), to).rejects.toBeInstanceOf(OutboundRefused);
    }
    expect(target.connections()).toBe(0);
    // The same redirect within the trusted host is followed; `manual` hands the 3xx back; `error` refuses it.
    const ok = await client.fetch(`http://localhost:${webPort}/?to=${encodeURIComponent(`http://localhost:${webPort}/`)}`);
    expect(ok.status).toBe(200);
    const manual = await client.fetch(`http://localhost:${webPort}/?to=${encodeURIComponent(`http://127.0.0.1:${target.port}/`)}`, { redirect: 'manual' });
    expect(manual.status).toBe(302);
    await expect(client.fetch(`http://localhost:${webPort}/?to=%2F`, { redirect: 'error' })).rejects.toBeInstanceOf(OutboundRefused);
    expect(target.connections()).toBe(0);
  });

  it('bounds redirects and the response size', async () => {
    const client = new OutboundClient({ allowedHosts: ['localhost'], allowLoopback: false, maxRedirects: 2, maxBytes: 16 * 1024 });
    let url = `http://localhost:${webPort}/`;
    for (let i = 0; i < 3; i++) url = `http://localhost:${webPort}/?to=${encodeURIComponent(url)}`;
    await expect(client.fetch(url)).rejects.toThrow(/too many redirects/);
    await expect(client.fetch(`http://localhost:${webPort}/big`)).rejects.toThrow(/larger than/);
  });

  it('a status outside 200–599 is a refused call, not an uncaught exception that stops the server', async () => {
    // Node's parser takes any three digits; the WHATWG Response does not.
    const odd = createServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 999 Odd\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')));
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    const port = (odd.address() as { port: number }).port;
    try {
      const client = new OutboundClient({ allowedHosts: ['127.0.0.1'], allowLoopback: false, timeoutMs: 5_000 });
      await expect(client.fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow(/status 999/);
    } finally {
      odd.close();
    }
  });

  it('gives up at its deadline', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const client = new OutboundClient({ allowedHosts: ['127.0.0.1'], allowLoopback: false, timeoutMs: 200 });
      const started = Date.now();
      await expect(client.fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      silent.close();
    }
  });

  it('read: its own size bound, cut rather than failed when asked, and a refusal by headers before the body', async () => {
    const client = production(['localhost']);
    const cut = await client.read(`http://localhost:${webPort}/big`, { maxBytes: 1000, truncate: true });
    expect(cut.body.length).toBe(1000);
    expect(cut.truncated).toBe(true);
    await expect(client.read(`http://localhost:${webPort}/big`, { maxBytes: 1000 })).rejects.toThrow(/larger than 1000/);
    // Never more than the client's own bound, whatever a caller asks.
    await expect(client.read(`http://localhost:${webPort}/big`, { maxBytes: 10 ** 9 })).rejects.toThrow(/larger than 16384/);
    const html = (_s: number, h: Headers): string | undefined => ((h.get('content-type') ?? '').startsWith('text/html') ? undefined : 'not html');
    await expect(client.read(`http://localhost:${webPort}/image`, { accept: html })).rejects.toMatchObject({ reason: 'not html' });
    // `accept` judges the final answer, not a redirect on the way to it.
    const followed = await client.read(`http://localhost:${webPort}/?to=${encodeURIComponent(`http://localhost:${webPort}/`)}`, { accept: (s) => (s === 200 ? undefined : 'not 200') });
    expect(followed.url.pathname).toBe('/');
    expect(JSON.parse(followed.body.toString())).toEqual({ ok: true, cookie: null });
  });

  it('allowedPorts: a host outside the allow-list is refused on any other port before it is even resolved', async () => {
    const asked: string[] = [];
    const client = new OutboundClient({
      allowedHosts: ['localhost'], allowLoopback: false, allowedPorts: [80, 443], timeoutMs: 5_000,
      // Were the port not checked first, the client would resolve the name (and be refused the private address it gets).
      resolve: async (host) => {
        if (host === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
        asked.push(host);
        return [{ address: '10.9.8.7', family: 4 }];
      },
    });
    for (const url of ['http://public.test:25/', 'http://public.test:6379/', 'https://public.test:8443/', 'http://93.184.216.34:22/']) {
      await expect(client.fetch(url), url).rejects.toThrow(/port \d+ not allowed/);
    }
    expect(asked).toEqual([]);
    // The web's own ports go on to the usual checks (here: the address it resolves to), and an allow-listed host keeps any port.
    await expect(client.fetch('http://public.test/')).rejects.toThrow(/private address/);
    await expect(client.fetch('https://public.test:443/')).rejects.toThrow(/private address/);
    expect(asked).toEqual(['public.test', 'public.test']);
    expect((await client.fetch(`http://localhost:${webPort}/`)).status).toBe(200);
  });

  it('classifies what an injected resolver answers, as it does the system resolver', async () => {
    const answers: Record<string, string> = { 'rebind.test': '127.0.0.1', 'corp.test': '10.0.0.7', 'meta.test': '169.254.169.254', 'mapped.test': '::ffff:127.0.0.1' };
    const client = new OutboundClient({
      allowedHosts: [], allowLoopback: false, timeoutMs: 5_000,
      resolve: async (host) => [{ address: answers[host]!, family: answers[host]!.includes(':') ? 6 : 4 }],
    });
    for (const [host, address] of Object.entries(answers)) {
      await expect(client.fetch(`http://${host}:${target.port}/`), `${host} → ${address}`).rejects.toBeInstanceOf(OutboundRefused);
    }
    expect(target.connections()).toBe(0);
  });
});
