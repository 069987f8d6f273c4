/**
 * Secrets at rest (security contract §2).
 *
 * - Secrets that must be read back (SSO client secrets, anything sent to a third party) are
 *   sealed with AES-256-GCM under a key derived from RUSTCHAT_ENCRYPTION_KEY. Format:
 *   `v1.<keyId>.<iv>.<ciphertext+tag>` (base64url parts). `keyId` names the key without
 *   revealing it, so rotation knows which values still need re-encrypting. The associated
 *   data binds a value to where it is stored (e.g. `sso_providers.client_secret:<id>`), so a
 *   sealed value copied to another row does not decrypt.
 * - Secrets that are only compared (exchange codes, reset tokens, API keys) are stored as
 *   SHA-256 hashes: they are random and long, so a plain hash is enough and lookups stay exact.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';

interface DerivedKey {
  readonly id: string;
  readonly key: Buffer;
}

function derive(secret: string): DerivedKey {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'rustchat/at-rest/v1', 'aes-256-gcm', 32));
  const id = createHmac('sha256', key).update('key-id').digest('hex').slice(0, 16);
  return { id, key };
}

export class DecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptError';
  }
}

export class SecretBox {
  private readonly current: DerivedKey;
  private readonly byId = new Map<string, DerivedKey>();

  /** `previousKey`: RUSTCHAT_ENCRYPTION_KEY_PREVIOUS, still readable during a rotation. */
  constructor(key: string, previousKey?: string) {
    this.current = derive(key);
    this.byId.set(this.current.id, this.current);
    if (previousKey !== undefined) {
      const prev = derive(previousKey);
      this.byId.set(prev.id, prev);
    }
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.current.id, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string, aad: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) throw new DecryptError('not a sealed secret');
    const key = this.byId.get(parts[1]!);
    if (key === undefined) throw new DecryptError('sealed with an unknown key (set RUSTCHAT_ENCRYPTION_KEY_PREVIOUS during a rotation)');
    const iv = Buffer.from(parts[2]!, 'base64url');
    const body = Buffer.from(parts[3]!, 'base64url');
    if (iv.length !== 12 || body.length < 16) throw new DecryptError('malformed sealed secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, iv);
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptError('sealed secret failed authentication');
    }
  }

  /** Whether a sealed value was made with another key than the current one. */
  needsRotation(sealed: string): boolean {
    return sealed.split('.')[1] !== this.current.id;
  }
}

/** A random URL-safe token with `bytes` bytes of entropy (default 32 = 256 bits). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** The stored form of a compare-only secret. */
export function hashSecret(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A signature of `value` for one purpose only (an unsubscribe link): HMAC-SHA256 under a key
 * derived from `secret` and the purpose, so a signature made for one purpose never passes for
 * another, and nothing needs storing. URL-safe.
 */
export function signForPurpose(secret: string, purpose: string, value: string): string {
  const key = createHmac('sha256', secret).update(`rustchat purpose key: ${purpose}`, 'utf8').digest();
  return createHmac('sha256', key).update(value, 'utf8').digest('base64url');
}

/** Whether `signature` is `signForPurpose(secret, purpose, value)` (constant time). */
export function verifyForPurpose(secret: string, purpose: string, value: string, signature: string): boolean {
  return safeEqual(signForPurpose(secret, purpose, value), signature);
}
