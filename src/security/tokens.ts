/**
 * Session tokens: JWT HS256 signed with RUSTCHAT_JWT_SECRET. Verification pins HS256 (no
 * `none`, no key from the header), requires `exp`, `sub` and `sid`, and checks `iss`/`aud`.
 * A token is only a pointer to a server-side session (`sid`); the session row decides
 * whether it is still valid, so revocation never keys on the token string.
 *
 * Rotation: tokens signed with RUSTCHAT_JWT_SECRET_PREVIOUS are accepted while it is set.
 */
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
const enc = new TextEncoder();

export class TokenService {
  private readonly keys: Uint8Array[];
  private readonly current: Uint8Array;

  constructor(private readonly config: TokenConfig) {
    this.current = enc.encode(config.secret);
    this.keys = [this.current];
    if (config.previousSecret !== undefined) this.keys.push(enc.encode(config.previousSecret));
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
