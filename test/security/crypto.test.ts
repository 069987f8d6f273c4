/** Secrets at rest (security contract §2): AES-256-GCM sealing in a versioned format, hashes for compare-only secrets. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptError, SecretBox, hashSecret, randomToken, safeEqual } from '../../src/security/crypto.js';

const key = () => randomBytes(48).toString('base64');

describe('SecretBox', () => {
  it('round-trips, with a fresh IV each time, in the versioned v1 format that names the key', () => {
    const box = new SecretBox(key());
    const a = box.seal('client-secret-value', 'sso_providers.client_secret:1');
    const b = box.seal('client-secret-value', 'sso_providers.client_secret:1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(a.split('.')[1]).toBe(box.currentKeyId);
    expect(a).not.toContain('client-secret-value');
    expect(box.open(a, 'sso_providers.client_secret:1')).toBe('client-secret-value');
    expect(box.open(box.seal('', 'x'), 'x')).toBe('');
    expect(box.open(box.seal('ünïcødé 🔐', 'x'), 'x')).toBe('ünïcødé 🔐');
  });

  it('refuses a tampered ciphertext, tag or IV', () => {
    const box = new SecretBox(key());
    const sealed = box.seal('hunter2-hunter2', 'aad');
    const [v, id, iv, body] = sealed.split('.') as [string, string, string, string];
    const flip = (s: string, i: number) => {
      const buf = Buffer.from(s, 'base64url');
      buf[i] = buf[i]! ^ 1;
      return buf.toString('base64url');
    };
    expect(() => box.open([v, id, iv, flip(body, 0)].join('.'), 'aad')).toThrow(DecryptError);
    expect(() => box.open([v, id, iv, flip(body, Buffer.from(body, 'base64url').length - 1)].join('.'), 'aad')).toThrow(DecryptError);
    expect(() => box.open([v, id, flip(iv, 0), body].join('.'), 'aad')).toThrow(DecryptError);
    expect(() => box.open([v, id, iv, body.slice(0, 10)].join('.'), 'aad')).toThrow(DecryptError);
    expect(() => box.open(['v2', id, iv, body].join('.'), 'aad')).toThrow(/not a sealed secret/);
    expect(() => box.open('plain text', 'aad')).toThrow(DecryptError);
  });

  it('refuses the wrong associated data (a value copied to another row)', () => {
    const box = new SecretBox(key());
    const sealed = box.seal('secret', 'sso_providers.client_secret:1');
    expect(() => box.open(sealed, 'sso_providers.client_secret:2')).toThrow(/failed authentication/);
  });

  it('refuses a value sealed under another key', () => {
    const sealed = new SecretBox(key()).seal('secret', 'aad');
    expect(() => new SecretBox(key()).open(sealed, 'aad')).toThrow(/unknown key/);
  });

  it('reads values sealed under RUSTCHAT_ENCRYPTION_KEY_PREVIOUS and tells which need re-encrypting', () => {
    const oldKey = key();
    const newKey = key();
    const old = new SecretBox(oldKey).seal('rotate-me', 'aad');
    const box = new SecretBox(newKey, oldKey);
    expect(box.open(old, 'aad')).toBe('rotate-me');
    expect(box.needsRotation(old)).toBe(true);
    const fresh = box.seal('rotate-me', 'aad');
    expect(box.needsRotation(fresh)).toBe(false);
    expect(new SecretBox(newKey).open(fresh, 'aad')).toBe('rotate-me');
    // Without the previous key the old value cannot be read.
    expect(() => new SecretBox(newKey).open(old, 'aad')).toThrow(DecryptError);
  });

  it('derives the key id from the key without revealing it', () => {
    const k = key();
    const box = new SecretBox(k);
    expect(new SecretBox(k).currentKeyId).toBe(box.currentKeyId);
    expect(k).not.toContain(box.currentKeyId);
  });
});

describe('compare-only secrets', () => {
  it('are stored as SHA-256 hashes and compared in constant time', () => {
    const token = randomToken();
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    const stored = hashSecret(token);
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).not.toContain(token);
    expect(hashSecret(token)).toBe(stored);
    expect(hashSecret(randomToken())).not.toBe(stored);
    expect(safeEqual(hashSecret(token), stored)).toBe(true);
    expect(safeEqual(hashSecret(`${token}x`), stored)).toBe(false);
    expect(safeEqual('short', stored)).toBe(false);
  });
});
