/** Mail transport options (pure): TLS is required in production for a relay off this machine. */
import { describe, expect, it } from 'vitest';
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
