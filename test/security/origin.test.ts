/** The one origin rule shared by REST writes and WebSocket handshakes (src/security/origin.ts). */
import { describe, expect, it } from 'vitest';
import { OriginPolicy } from '../../src/security/origin.js';

const dev = new OriginPolicy({ siteUrl: 'http://localhost:3000', corsAllowedOrigins: ['https://app.example.com'], isProduction: false });
const prod = new OriginPolicy({ siteUrl: 'https://chat.example.com', corsAllowedOrigins: ['https://admin.example.com'], isProduction: true });

describe('OriginPolicy', () => {
  it('allows the site URL and the allow list, in any environment', () => {
    expect(dev.allows('http://localhost:3000', 'localhost:3000')).toBe(true);
    expect(dev.allows('https://app.example.com', 'localhost:3000')).toBe(true);
    expect(prod.allows('https://chat.example.com', 'chat.example.com')).toBe(true);
    expect(prod.allows('https://admin.example.com', 'chat.example.com')).toBe(true);
  });

  it('never allows null, non-http schemes, garbage or look-alikes', () => {
    for (const policy of [dev, prod]) {
      expect(policy.allows('null', 'localhost:3000')).toBe(false);
      expect(policy.allows('file://', 'localhost:3000')).toBe(false);
      expect(policy.allows('not a url', 'localhost:3000')).toBe(false);
      expect(policy.allows('https://chat.example.com.evil.example', 'chat.example.com')).toBe(false);
      expect(policy.allows('https://evil.example', 'chat.example.com')).toBe(false);
    }
  });

  it('in development, also a page of this very server under another host name (127.0.0.1 vs localhost)', () => {
    expect(dev.allows('http://127.0.0.1:3000', '127.0.0.1:3000')).toBe(true);
    expect(dev.allows('http://127.0.0.1:3000', 'localhost:3000')).toBe(false);
  });

  it('in production, not a same-host origin (a DNS-rebinding name gains nothing)', () => {
    expect(prod.allows('http://rebind.evil.example', 'rebind.evil.example')).toBe(false);
  });

  it('`*` lets any origin in during development only', () => {
    const star = new OriginPolicy({ siteUrl: 'http://localhost:3000', corsAllowedOrigins: ['*'], isProduction: false });
    expect(star.allows('https://anything.example', 'localhost:3000')).toBe(true);
    expect(star.allows('null', 'localhost:3000')).toBe(false);
    // Config loading refuses `*` in production; the policy ignores it there all the same.
    const prodStar = new OriginPolicy({ siteUrl: 'https://chat.example.com', corsAllowedOrigins: ['*'], isProduction: true });
    expect(prodStar.allows('https://anything.example', 'chat.example.com')).toBe(false);
    expect(prodStar.allows('https://chat.example.com', 'chat.example.com')).toBe(true);
  });
});
