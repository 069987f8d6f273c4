/** Pure SSO rules: redirect_to, usernames for provisioned users, domains, scopes, provider URLs. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  emailDomainAllowed, safeRedirectPath, usernameCandidate, usernameVariant, validateDomains, validateProviderKey, validateScopes,
} from '../../src/domain/sso.js';
import { USERNAME_RE } from '../../src/domain/rules.js';
import { endpointProblem } from '../../src/services/sso-protocol.js';

describe('redirect_to', () => {
  it.each([
    ['', '/'],
    ['/', '/'],
    ['/channels/town-square', '/channels/town-square'],
    ['/channels/x?tab=files#post-1', '/channels/x?tab=files#post-1'],
    ['/a/../b', '/b'],
    ['/caf%C3%A9', '/caf%C3%A9'],
  ])('accepts %j', (raw, expected) => {
    expect(safeRedirectPath(raw)).toBe(expected);
  });

  it.each([
    '//evil.example', '///evil.example', '/\\evil.example', '\\\\evil.example', '\\/evil.example', 'https:evil.example', 'https://evil.example',
    'http:/evil.example', 'javascript:alert(1)', 'evil.example', '%2F%2Fevil.example', '/%2F%2Fevil.example', '/%2f%2fevil.example', '/%5Cevil.example',
    '/%5cevil.example', '/%252F%252Fevil.example', '/%25252F%25252Fevil.example', '/\tevil', '/\n/evil.example', '/%09/evil.example', '/%0a', '/%E0%A4%A',
    `/${'a'.repeat(2048)}`, '/%2525252525252F', '/.//evil.example', '/..//evil.example', '/a/..//evil.example', '/.%2F/evil.example',
  ])('refuses %j', (raw) => {
    expect(safeRedirectPath(raw)).toBeUndefined();
  });

  // Strings made of the characters open redirects are built from.
  const tricky = fc.string({ unit: fc.constantFrom('/', '\\', '.', '%', '2', '5', 'F', 'f', 'C', 'c', 'e', ':', '@', '\t', '?', '#', 'h'), maxLength: 16 });

  it('never yields anything that leaves the site, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webPath(), fc.webUrl(), fc.string().map((s) => `/${s}`), fc.string().map((s) => `/${encodeURIComponent(s)}`), tricky), (raw) => {
        const out = safeRedirectPath(raw);
        if (out === undefined) return;
        expect(out.startsWith('/')).toBe(true);
        expect(out.startsWith('//')).toBe(false);
        expect(out.includes('\\')).toBe(false);
        expect(new URL(out, 'https://chat.example.com').origin).toBe('https://chat.example.com');
        // And a browser that decodes once more still stays here.
        let decoded = out;
        try {
          decoded = decodeURIComponent(out);
        } catch {
          return;
        }
        expect(new URL(decoded, 'https://chat.example.com').origin).toBe('https://chat.example.com');
      }),
      { numRuns: 3000 },
    );
  });
});

describe('usernames for provisioned users', () => {
  it('derives a valid username from the IdP hints', () => {
    expect(usernameCandidate(['Alice.Liddell', 'x@y.z'])).toBe('alice.liddell');
    expect(usernameCandidate([undefined, 'Zoë.Ünicode@corp.example'])).toBe('zoe.unicode');
    expect(usernameCandidate(['admin', 'root@corp.example'])).toBe('user');
    expect(usernameCandidate(['42', 'jo@corp.example'])).toBe('jo-user');
    expect(usernameCandidate(['!!!'])).toBe('user');
    fc.assert(fc.property(fc.array(fc.option(fc.string(), { nil: undefined })), (hints) => {
      const base = usernameCandidate(hints);
      for (const n of [1, 2, 19]) expect(usernameVariant(base, n)).toMatch(USERNAME_RE);
    }));
  });

  it('numbers variants within 22 characters', () => {
    expect(usernameVariant('alice', 1)).toBe('alice');
    expect(usernameVariant('alice', 2)).toBe('alice-2');
    expect(usernameVariant('a'.repeat(22), 12)).toBe(`${'a'.repeat(19)}-12`);
  });
});

describe('provider settings', () => {
  it('provider keys', () => {
    expect(validateProviderKey(' KeyCloak ')).toBe('keycloak');
    expect(() => validateProviderKey('has space')).toThrow();
    expect(() => validateProviderKey('../x')).toThrow();
    expect(() => validateProviderKey('a'.repeat(33))).toThrow();
  });

  it('scopes: OIDC always asks for openid; tokens are RFC 6749 characters', () => {
    expect(validateScopes('oidc', ['email'])).toEqual(['openid', 'email']);
    expect(validateScopes('github', undefined)).toEqual(['read:user', 'user:email']);
    expect(() => validateScopes('oidc', ['a b'])).toThrow();
    expect(() => validateScopes('oidc', ['a"b'])).toThrow();
  });

  it('domains', () => {
    expect(validateDomains(['@Corp.Example', 'corp.example', ' sub.corp.example '])).toEqual(['corp.example', 'sub.corp.example']);
    expect(() => validateDomains(['corp'])).toThrow();
    expect(() => validateDomains(['*.corp.example'])).toThrow();
    expect(emailDomainAllowed('a@corp.example', [])).toBe(true);
    expect(emailDomainAllowed('a@Corp.Example', ['corp.example'])).toBe(true);
    expect(emailDomainAllowed('a@evilcorp.example', ['corp.example'])).toBe(false);
    expect(emailDomainAllowed('a@corp.example.evil', ['corp.example'])).toBe(false);
    expect(emailDomainAllowed('corp.example@evil.example', ['corp.example'])).toBe(false);
  });

  it('provider URLs: https; http only to loopback outside production', () => {
    expect(endpointProblem('https://sso.corp.example/realms/x', true)).toBeUndefined();
    expect(endpointProblem('http://127.0.0.1:8080', false)).toBeUndefined();
    expect(endpointProblem('http://localhost:8080', false)).toBeUndefined();
    expect(endpointProblem('http://[::1]:8080', false)).toBeUndefined();
    expect(endpointProblem('http://127.0.0.1:8080', true)).toMatch(/production/);
    expect(endpointProblem('http://sso.corp.example', false)).toMatch(/loopback/);
    expect(endpointProblem('http://127.0.0.1.nip.io', false)).toMatch(/loopback/);
    expect(endpointProblem('http://10.0.0.1', false)).toMatch(/loopback/);
    expect(endpointProblem('file:///etc/passwd', false)).toBeDefined();
    expect(endpointProblem('https://u:p@sso.corp.example', false)).toMatch(/credentials/);
    expect(endpointProblem('https://sso.corp.example/?x=1', false)).toMatch(/query/);
  });
});
