/** Client IP resolution and rate-limit buckets (security contract §5), as pure functions. */
import { describe, expect, it } from 'vitest';
import { clientIpResolver, normalizeIp, parseCidrList, rateLimitBucket } from '../../src/security/client-ip.js';

describe('clientIpResolver', () => {
  it('without trusted proxies, the TCP peer is the client whatever the headers say', () => {
    const r = clientIpResolver([]);
    expect(r.resolve('203.0.113.5', { 'x-forwarded-for': '1.2.3.4', 'x-real-ip': '5.6.7.8' })).toBe('203.0.113.5');
  });

  it('a peer outside the trusted list cannot use the headers', () => {
    const r = clientIpResolver(['10.0.0.0/8']);
    expect(r.resolve('203.0.113.5', { 'x-forwarded-for': '1.2.3.4', 'x-real-ip': '5.6.7.8' })).toBe('203.0.113.5');
  });

  it('behind a trusted proxy: the right-most X-Forwarded-For hop that is not a proxy', () => {
    const r = clientIpResolver(['10.0.0.0/8', '127.0.0.1']);
    expect(r.resolve('127.0.0.1', { 'x-forwarded-for': '198.51.100.7' })).toBe('198.51.100.7');
    expect(r.resolve('127.0.0.1', { 'x-forwarded-for': 'forged, 6.6.6.6, 198.51.100.7' })).toBe('198.51.100.7');
    expect(r.resolve('127.0.0.1', { 'x-forwarded-for': '198.51.100.7, 10.2.3.4, 10.9.9.9' })).toBe('198.51.100.7');
    expect(r.resolve('127.0.0.1', { 'x-forwarded-for': ['6.6.6.6', '198.51.100.8'] })).toBe('198.51.100.8');
    expect(r.resolve('::ffff:127.0.0.1', { 'x-forwarded-for': '198.51.100.9' })).toBe('198.51.100.9');
  });

  it('behind a trusted proxy without X-Forwarded-For: X-Real-IP, else the peer', () => {
    const r = clientIpResolver(['127.0.0.1/32']);
    expect(r.resolve('127.0.0.1', { 'x-real-ip': '198.51.100.10' })).toBe('198.51.100.10');
    expect(r.resolve('127.0.0.1', {})).toBe('127.0.0.1');
  });

  it('garbage at the right end of the chain is not guessed past', () => {
    const r = clientIpResolver(['127.0.0.1/32']);
    expect(r.resolve('127.0.0.1', { 'x-forwarded-for': '198.51.100.7, not-an-ip' })).toBe('127.0.0.1');
  });
});

describe('addresses and buckets', () => {
  it('IPv4-mapped IPv6 in either spelling is the IPv4 address', () => {
    expect(normalizeIp('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeIp('::FFFF:c000:0201')).toBe('192.0.2.1');
    expect(rateLimitBucket(normalizeIp('::ffff:192.0.2.1'))).toBe('192.0.2.1');
  });
  it('strips brackets, ports and zone ids', () => {
    expect(normalizeIp('[2001:db8::1]')).toBe('2001:db8::1');
    expect(normalizeIp('192.0.2.1:4444')).toBe('192.0.2.1');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
  });
  it('IPv6 is bucketed by /64, IPv4 by address', () => {
    expect(rateLimitBucket('2001:db8:1:2:3:4:5:6')).toBe(rateLimitBucket('2001:db8:1:2::ffff'));
    expect(rateLimitBucket('2001:db8:1:2::1')).not.toBe(rateLimitBucket('2001:db8:1:3::1'));
    expect(rateLimitBucket('2001:0db8:0001:0002::1')).toBe(rateLimitBucket('2001:db8:1:2::1'));
    expect(rateLimitBucket('192.0.2.1')).toBe('192.0.2.1');
    expect(rateLimitBucket('192.0.2.1')).not.toBe(rateLimitBucket('192.0.2.2'));
  });
  it('CIDR lists are validated', () => {
    expect(parseCidrList(['10.0.0.0/8', '::1', '2001:db8::/32']).error).toBeUndefined();
    expect(parseCidrList(['10.0.0.0/40']).error).toMatch(/bad prefix/);
    expect(parseCidrList(['example.com']).error).toMatch(/not an IP/);
    expect(parseCidrList(['10.0.0.0/8x']).error).toMatch(/bad prefix/);
  });
});
