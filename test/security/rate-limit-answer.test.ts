/**
 * One way to answer 429: `refuseRateLimited` emits the `rate_limit_exceeded` event and builds
 * the answer together, and nothing else in src/ emits that event, so a new limited path
 * cannot send the 429 without the event (the routes and the handshake are covered end to
 * end in rate-limit.test.ts and test/realtime/auth.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SecurityEventContext, SecurityEventName, SecurityEvents } from '../../src/security/events.js';
import * as rateLimit from '../../src/security/rate-limit.js';

const src = join(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('the one 429', () => {
  it('comes with its event', () => {
    const emitted: Array<[SecurityEventName, SecurityEventContext | undefined]> = [];
    const security = { emit: (event: SecurityEventName, ctx?: SecurityEventContext) => emitted.push([event, ctx]) } as unknown as SecurityEvents;
    const answer = rateLimit.refuseRateLimited(security, { limit: 10, resetAt: 1_900_000_000, retryAfter: 7 }, { ip: '203.0.113.5', requestId: 'r1', limiter: 'auth', route: '/api/v1/auth/login' });
    expect(answer).toEqual({
      status: 429,
      headers: { 'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1900000000', 'Retry-After': '7' },
      body: { error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests. Please try again later.', retry_after: 7 } },
    });
    expect(emitted).toEqual([['rate_limit_exceeded', { ip: '203.0.113.5', userId: undefined, requestId: 'r1', limiter: 'auth', route: '/api/v1/auth/login' }]]);
  });

  it('is the only place that emits rate_limit_exceeded, and no event-less builder is exported', () => {
    const files = sources(src);
    expect(files.length).toBeGreaterThan(20);
    const emitters = files.filter((f) => /emit\(\s*['"]rate_limit_exceeded['"]/.test(readFileSync(f, 'utf8'))).map((f) => relative(src, f));
    expect(emitters).toEqual(['security/rate-limit.ts']);
    expect(Object.keys(rateLimit)).not.toContain('rateLimitedAnswer');
  });
});
