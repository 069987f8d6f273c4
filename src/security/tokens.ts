/**
 * Session tokens: JWT HS256 signed with RUSTCHAT_JWT_SECRET. Verification pins HS256 (no
 * `none`, no key from the header), requires `exp`, `sub` and `sid`, and checks `iss`/`aud`.
 * A token is only a pointer to a server-side session (`sid`); the session row decides
 * whether it is still valid, so revocation never keys on the token string.
 *
 * Rotation: tokens signed with RUSTCHAT_JWT_SECRET_PREVIOUS are accepted while it is set.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';

export interface TokenClaims {
  readonly userId: string;
  readonly sessionId: string;
  readonly expiresAt: number;
}

export interface TokenConfig {
  readonly secret: string;
  readonly previousSecret: string | undefined;
  readonly issuer: string;
  readonly audience: string;
}

const ALGORITHMS = ['HS256'];
/** Verified tokens kept (token → claims) so a busy client is not re-verified on every request. */
const VERIFIED_CACHE_SIZE = 10_000;

export class TokenService {
  private readonly keys: KeyObject[];
  private readonly current: KeyObject;
  /**
   * Signature checks are pure (same token + same keys → same claims), so their results can
   * be reused until `exp`. Validity of the session itself is never cached here: revocation
   * is decided by the session row on every request.
   */
  private readonly verified = new Map<string, TokenClaims>();

  constructor(private readonly config: TokenConfig) {
    // KeyObjects avoid re-importing the key on every sign/verify.
    this.current = createSecretKey(Buffer.from(config.secret, 'utf8'));
    this.keys = [this.current];
    if (config.previousSecret !== undefined) this.keys.push(createSecretKey(Buffer.from(config.previousSecret, 'utf8')));
  }

  async sign(userId: string, sessionId: string, expiresAtMs: number): Promise<string> {
    return new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAtMs / 1000))
      .sign(this.current);
  }

  /** The claims of a valid token, or undefined for anything else (bad signature, expired, wrong audience...). */
  async verify(token: string): Promise<TokenClaims | undefined> {
    const cached = this.verified.get(token);
    if (cached !== undefined) {
      if (cached.expiresAt > Date.now()) return cached;
      this.verified.delete(token);
      return undefined;
    }
    const claims = await this.verifySignature(token);
    if (claims !== undefined) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, claims);
    }
    return claims;
  }

  private async verifySignature(token: string): Promise<TokenClaims | undefined> {
    if (token.length > 4096 || token.split('.').length !== 3) return undefined;
    for (const key of this.keys) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ALGORITHMS,
          issuer: this.config.issuer,
          audience: this.config.audience,
          requiredClaims: ['exp', 'sub', 'sid'],
        });
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.exp !== 'number') return undefined;
        return { userId: payload.sub, sessionId: payload.sid, expiresAt: payload.exp * 1000 };
      } catch (err) {
        // Only a signature mismatch may be retried with the previous key.
        if (err instanceof joseErrors.JWSSignatureVerificationFailed) continue;
        return undefined;
      }
    }
    return undefined;
  }
}
