/** Whether a host name is this machine: by address, never by how a name merely starts. */
import { isIP } from 'node:net';

/** `localhost` and `*.localhost`, 127.0.0.0/8, ::1 and IPv4-mapped 127.x, in any written form. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.split('.')[0] === '127';
  if (isIP(h) === 6) {
    // URL parsing writes an IPv6 address in its shortest form (0:0:0:0:0:0:0:1 → ::1,
    // ::ffff:127.0.0.1 → ::ffff:7f00:1).
    const n = new URL(`http://[${h}]/`).hostname.slice(1, -1);
    return n === '::1' || /^::ffff:7f[0-9a-f]{2}:/.test(n);
  }
  return false;
}
