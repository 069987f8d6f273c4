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

/** Why a token was refused (a security event's `reason`; the client only ever sees 401). */
export type TokenRejection = 'malformed' | 'token_expired' | 'bad_signature' | 'bad_algorithm' | 'bad_claims';

export type TokenCheck = { readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly reason: TokenRejection };

/**
 * The token of an `Authorization` header value: scheme `Bearer` (any case), one token. The
 * one parser for REST and the WebSocket handshake; undefined when the value is not that shape.
 */
export function bearerToken(header: string): string | undefined {
  return /^bearer\s+(\S+)\s*$/i.exec(header)?.[1];
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
    const checked = await this.check(token);
    return checked.ok ? checked.claims : undefined;
  }

  /** The claims of a valid token, or why it was refused. */
  async check(token: string): Promise<TokenCheck> {
    const cached = this.verified.get(token);
    if (cached !== undefined) {
      if (cached.expiresAt > Date.now()) return { ok: true, claims: cached };
      this.verified.delete(token);
      return { ok: false, reason: 'token_expired' };
    }
    const checked = await this.verifySignature(token);
    if (checked.ok) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, checked.claims);
    }
    return checked;
  }

  private async verifySignature(token: string): Promise<TokenCheck> {
    if (token.length > 4096 || token.split('.').length !== 3) return { ok: false, reason: 'malformed' };
    for (const key of this.keys) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ALGORITHMS,
          issuer: this.config.issuer,
          audience: this.config.audience,
          requiredClaims: ['exp', 'sub', 'sid'],
        });
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.exp !== 'number') return { ok: false, reason: 'bad_claims' };
        return { ok: true, claims: { userId: payload.sub, sessionId: payload.sid, expiresAt: payload.exp * 1000 } };
      } catch (err) {
        // Only a signature mismatch may be retried with the previous key.
        if (err instanceof joseErrors.JWSSignatureVerificationFailed) continue;
        return { ok: false, reason: rejection(err) };
      }
    }
    return { ok: false, reason: 'bad_signature' };
  }
}

function rejection(err: unknown): TokenRejection {
  if (err instanceof joseErrors.JWTExpired) return 'token_expired';
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) return 'bad_algorithm';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return 'bad_claims';
  return 'malformed';
}
