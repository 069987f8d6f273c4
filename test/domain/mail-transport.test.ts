/** Mail transport options (pure): TLS is required in production for a relay off this machine. */
import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../src/security/loopback.js';
import { transportOptions } from '../../src/services/mail.js';

describe('transportOptions', () => {
  it('requires TLS in production for a plain smtp:// relay on another machine', () => {
    expect(transportOptions('smtp://user:pw@mail.example.com:587', true)).toEqual({ url: 'smtp://user:pw@mail.example.com:587', requireTLS: true });
  });
  it('leaves implicit TLS, loopback relays and development alone', () => {
    expect(transportOptions('smtps://mail.example.com:465', true).requireTLS).toBe(false);
    expect(transportOptions('smtp://127.0.0.1:25', true).requireTLS).toBe(false);
    expect(transportOptions('smtp://localhost:25', true).requireTLS).toBe(false);
    expect(transportOptions('smtp://[::1]:25', true).requireTLS).toBe(false);
    expect(transportOptions('smtp://mail.example.com:587', false).requireTLS).toBe(false);
  });
});

describe('isLoopbackHost', () => {
  it('goes by address, not by how a name starts', () => {
    for (const h of ['localhost', 'idp.localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '[::ffff:7f00:1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['127.evil.example', 'mail.example.com', '10.0.0.1', '::2', '128.0.0.1', '::ffff:10.0.0.1', 'localhost.evil.example']) expect(isLoopbackHost(h), h).toBe(false);
  });
  it('a name that merely starts with 127. does not escape the TLS requirement', () => {
    expect(transportOptions('smtp://127.evil.example:25', true).requireTLS).toBe(true);
  });
});
