/** The logger's redaction layer: defence in depth behind "never log a secret" (contract §7). */
import { describe, expect, it } from 'vitest';
import { createLogger, pathOf } from '../../src/observability/logger.js';
import { REDACTED, scrub } from '../../src/observability/redact.js';
import { captureLogs } from '../helpers/app.js';

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJzaWQiOiJzLTEifQ.c2lnbmF0dXJlLXZhbHVlLWhlcmU';

describe('scrub', () => {
  it('replaces values under secret-named keys, at any depth', () => {
    const out = scrub({
      password: 'p1', new_password: 'p2', current_password: 'p3', token: 't', access_token: 'a', headers: { authorization: 'Bearer x', cookie: 'c=1', 'set-cookie': 'c=2' },
      code: 'oauth-code', state: 'oauth-state', client_secret: 's', api_key: 'k', nonce: 'n', code_verifier: 'v', encryption_key: 'e', jwt_secret: 'j',
      nested: [{ password: 'deep' }], harmless: 'ok',
    }) as Record<string, any>;
    for (const k of ['password', 'new_password', 'current_password', 'token', 'access_token', 'code', 'state', 'client_secret', 'api_key', 'nonce', 'code_verifier', 'encryption_key', 'jwt_secret']) expect(out[k]).toBe(REDACTED);
    expect(out.headers).toEqual({ authorization: REDACTED, cookie: REDACTED, 'set-cookie': REDACTED });
    expect(out.nested[0].password).toBe(REDACTED);
    expect(out.harmless).toBe('ok');
  });

  it('keeps numeric codes (WebSocket close codes, statuses) while a string code or state stays redacted', () => {
    const out = scrub({ code: 1008, state: 4, nested: { code: 'oauth-code', state: { v: 1 } } }) as Record<string, any>;
    expect(out.code).toBe(1008);
    expect(out.state).toBe(4);
    expect(out.nested).toEqual({ code: REDACTED, state: REDACTED });
  });

  it('masks JWTs, bearer credentials and e-mail addresses inside innocent strings and errors', () => {
    expect(scrub(`failed for ${JWT} today`)).toBe(`failed for ${REDACTED} today`);
    expect(scrub('header was Bearer abcdefgh12345678')).toBe(`header was Bearer ${REDACTED}`);
    expect(scrub('user alice@example.com not found')).toBe('user [EMAIL] not found');
    const err = scrub(new Error(`bad token ${JWT} for bob@example.org`)) as { message: string; stack: string };
    expect(err.message).toBe(`bad token ${REDACTED} for [EMAIL]`);
    expect(err.stack).not.toContain(JWT);
    expect(err.stack).not.toContain('bob@example.org');
  });

  it('survives cycles and very deep objects', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(() => scrub(a)).not.toThrow();
    let deep: Record<string, unknown> = { password: 'x' };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    expect(JSON.stringify(scrub(deep))).not.toContain('"password":"x"');
  });
});

describe('the logger', () => {
  it('scrubs merged objects, the message string and errors', () => {
    const { stream, capture } = captureLogs();
    const log = createLogger('trace', stream);
    log.info({ password: 'hunter2-hunter2', req: { headers: { authorization: `Bearer ${JWT}` } } }, `signed in with ${JWT}`);
    log.error({ err: new Error('smtp login failed for carol@example.com with Bearer abcdefgh12345678') }, 'boom');
    log.child({ token: 'child-binding-token-value' }).warn('child');
    log.child({ request_id: 'r1' }).child({ cookie: 'grandchild-cookie-value' }).warn('grandchild');
    const text = capture.text();
    for (const s of ['hunter2-hunter2', JWT, 'carol@example.com', 'abcdefgh12345678', 'child-binding-token-value', 'grandchild-cookie-value']) expect(text).not.toContain(s);
    expect(text).toContain(REDACTED);
    // A grandchild keeps every ancestor's bindings (a worker's request log says which worker).
    const grandchild = capture.lines.map((l) => JSON.parse(l)).find((e) => e.msg === 'grandchild');
    expect(grandchild).toMatchObject({ request_id: 'r1', cookie: REDACTED });
    log.child({ worker: 1 }).child({ request_id: 'r2' }).info('request');
    expect(capture.lines.map((l) => JSON.parse(l)).find((e) => e.msg === 'request')).toMatchObject({ worker: 1, request_id: 'r2' });
  });

  it('logs paths without their query string', () => {
    expect(pathOf('/login?code=abc&state=def')).toBe('/login');
    expect(pathOf('/api/v1/auth/me')).toBe('/api/v1/auth/me');
  });
});
