/**
 * Which client IP a request comes from (security contract §5).
 *
 * The TCP peer address is the client, unless the peer is a trusted proxy
 * (RUSTCHAT_SECURITY_TRUSTED_PROXIES): then we walk `X-Forwarded-For` from the right and take
 * the first address that is not itself a trusted proxy (each proxy appends the address it
 * saw, so everything left of that is client-controlled), falling back to `X-Real-IP`.
 * A client that is not behind a trusted proxy cannot choose its own bucket with these headers.
 */
import { BlockList, isIP } from 'node:net';

export interface CidrParse {
  readonly list: BlockList;
  readonly error: string | undefined;
}

export function parseCidrList(entries: readonly string[]): CidrParse {
  const list = new BlockList();
  for (const entry of entries) {
    const [addr, prefixRaw] = entry.split('/');
    const ip = normalizeIp(addr ?? '');
    const family = isIP(ip);
    if (family === 0) return { list, error: `not an IP address or CIDR: ${JSON.stringify(entry)}` };
    const max = family === 4 ? 32 : 128;
    const prefix = prefixRaw === undefined ? max : Number(prefixRaw);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixRaw !== undefined && !/^\d+$/.test(prefixRaw))) {
      return { list, error: `bad prefix length in ${JSON.stringify(entry)}` };
    }
    list.addSubnet(ip, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return { list, error: undefined };
}

/**
 * Strips brackets, zone ids and ports, and turns IPv4-mapped IPv6 (`::ffff:1.2.3.4`, also
 * written `::ffff:102:304`) into the IPv4 address, so one client has one bucket however its
 * address is spelled.
 */
export function normalizeIp(raw: string): string {
  let ip = raw.trim();
  if (ip.startsWith('[') && ip.includes(']')) ip = ip.slice(1, ip.indexOf(']'));
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(ip)) ip = ip.slice(0, ip.indexOf(':'));
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  ip = ip.toLowerCase();
  if (isIP(ip) === 6) {
    const g = ipv6Groups(ip);
    if (g !== undefined && g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
      return `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
    }
  }
  return ip;
}

function isTrusted(list: BlockList, ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

export interface ClientIpResolver {
  /** The client's address for this peer and these headers. */
  resolve(peer: string | undefined, headers: Readonly<Record<string, string | string[] | undefined>>): string;
}

export function clientIpResolver(trustedProxies: readonly string[]): ClientIpResolver {
  const { list } = parseCidrList(trustedProxies);
  const anyTrusted = trustedProxies.length > 0;
  return {
    resolve(peerRaw, headers) {
      const peer = normalizeIp(peerRaw ?? '');
      if (!anyTrusted || !isTrusted(list, peer)) return peer;
      const xff = headers['x-forwarded-for'];
      const hops = (Array.isArray(xff) ? xff.join(',') : (xff ?? ''))
        .split(',')
        .map((s) => normalizeIp(s))
        .filter((s) => s !== '');
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hops[i]!;
        if (isIP(hop) === 0) return peer; // garbage in the chain: do not guess past it
        if (!isTrusted(list, hop)) return hop;
      }
      const realIp = headers['x-real-ip'];
      const real = normalizeIp(Array.isArray(realIp) ? (realIp[0] ?? '') : (realIp ?? ''));
      if (isIP(real) !== 0) return real;
      return hops[0] ?? peer;
    },
  };
}

/** Expands an IPv6 address to its eight 16-bit groups. */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const parts = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((parts[0]! << 8) | parts[1]!).toString(16)}:${((parts[2]! << 8) | parts[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = text.includes('::') ? 8 - h.length - t.length : 0;
  const groups = [...h, ...new Array<string>(fill).fill('0'), ...t].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** The rate-limit bucket for an address: IPv4 as is, IPv6 by its /64 network. */
export function rateLimitBucket(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const groups = ipv6Groups(ip);
  if (groups === undefined) return ip;
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}
