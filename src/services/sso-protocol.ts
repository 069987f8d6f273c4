/**
 * The protocol side of single sign-on, on openid-client (no hand-written OAuth):
 *
 *   OIDC / Google: discovery (/.well-known/openid-configuration, cached) → authorization URL
 *   (state, nonce, PKCE S256) → code grant at the token endpoint (openid-client checks the
 *   authorization response `iss`, and the ID token's iss, aud/azp, exp, iat and nonce) →
 *   the ID token's signature against the provider's JWKS (jose; cached, refetched when a
 *   token names a key id we have not seen, at most once per cooldown) → UserInfo (same `sub`).
 *
 *   GitHub (and GitHub Enterprise): plain OAuth 2 (state, PKCE S256) with the endpoints
 *   derived from the provider's web URL, then `/user` and `/user/emails` (verified flags)
 *   from its API URL.
 *
 * openid-client itself does not verify ID token signatures from the token endpoint (TLS
 * vouches for them in OIDC Core); we do anyway, because the contract asks for it and
 * because it costs one cached key lookup.
 *
 * Transport: https only, except http to a loopback address outside production (local test
 * providers); every request (discovery, JWKS, token, user info, GitHub API) goes through
 * the one outbound client (`IdpOptions.fetch`, src/security/outbound.ts), which refuses
 * internal addresses at connect time and after redirects. Errors carry a log-safe `reason` (never a token, code or secret) and a
 * message for the person signing in.
 */
import { isLoopbackHost } from '../security/loopback.js';
import type * as OpenId from 'openid-client';
import { compactVerify, createLocalJWKSet, errors as joseErrors, type JSONWebKeySet } from 'jose';
import type { SsoLoginError, SsoProvider } from '../domain/sso.js';
import { GITHUB_API_URL, GITHUB_URL, GOOGLE_ISSUER } from '../domain/sso.js';

/** openid-client loads with the first sign-in through a provider, not at start (issue #11: cold start). */
let openIdClient: Promise<typeof OpenId> | undefined;
const loadOpenId = (): Promise<typeof OpenId> => (openIdClient ??= import('openid-client'));

export interface VerifiedIdentity {
  /** Stable subject at the provider (`sub`, or GitHub's numeric user id). */
  readonly subject: string;
  readonly email: string | undefined;
  /** True only when the provider says it verified `email`. */
  readonly emailVerified: boolean;
  readonly name: string | undefined;
  readonly givenName: string | undefined;
  readonly familyName: string | undefined;
  /** preferred_username (OIDC) or login (GitHub): a hint for the local username. */
  readonly username: string | undefined;
}

/** A failed sign-in at or with the provider. `reason` is for the log; `message` for the user. */
export class IdpError extends Error {
  /** `reason` is for the log; `code` is all the browser is told. */
  constructor(readonly reason: string, readonly code: SsoLoginError) {
    super(reason);
    this.name = 'IdpError';
  }
}

export interface IdpOptions {
  readonly isProduction: boolean;
  readonly clock: () => number;
  /** The SSRF-safe outbound client's fetch: every request to the provider goes through it. */
  readonly fetch: typeof fetch;
  /** Seconds for each request to the provider. */
  readonly timeoutSeconds?: number;
  /** How long discovered metadata is reused. */
  readonly discoveryTtlMs?: number;
  /** How long a fetched JWKS is reused before it is fetched again. */
  readonly jwksMaxAgeMs?: number;
  /** Least time between two JWKS fetches caused by unknown key ids. */
  readonly jwksCooldownMs?: number;
}

const ID_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const VERIFY_FAILED: SsoLoginError = 'idp_unverifiable';
const UNREACHABLE: SsoLoginError = 'idp_unreachable';

/**
 * Whether the server may talk to `url`: https always; http only to a loopback address and
 * only outside production. Returns an error message, or undefined when allowed.
 */
export function endpointProblem(raw: string, isProduction: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    if (isProduction) return 'must use https:// in production';
    if (!isLoopbackHost(url.hostname)) return 'must use https:// (http:// is accepted only for loopback addresses in development)';
    return undefined;
  }
  return 'must be an https:// URL';
}

function insecureAllowed(url: string, isProduction: boolean): boolean {
  const u = new URL(url);
  return !isProduction && u.protocol === 'http:' && isLoopbackHost(u.hostname);
}

/** A log-safe description of an error from openid-client, jose or fetch. */
function describe(err: unknown): string {
  if (err instanceof IdpError) return err.reason;
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; error?: unknown; status?: unknown };
    const parts = [e.name, e.message];
    // openid-client wraps oauth4webapi's precise (fixed-text) message in a generic one.
    if (err.cause instanceof Error && err.cause.message !== err.message) parts.push(err.cause.message);
    if (typeof e.code === 'string') parts.push(`code=${e.code}`);
    if (typeof e.error === 'string' && /^[\w.-]{1,64}$/.test(e.error)) parts.push(`error=${e.error}`);
    if (typeof e.status === 'number') parts.push(`status=${e.status}`);
    return parts.join(': ').slice(0, 500);
  }
  return 'unknown error';
}

/** The provider's JWKS, cached; refetched when it is old, or when a token names an unknown key (after a cooldown). */
class JwksCache {
  private keys: ReturnType<typeof createLocalJWKSet> | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly uri: string,
    private readonly clock: () => number,
    private readonly maxAgeMs: number,
    private readonly cooldownMs: number,
    private readonly timeoutMs: number,
    private readonly fetch: typeof globalThis.fetch,
  ) {}

  private refresh(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const res = await this.fetch(this.uri, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(this.timeoutMs) });
        if (!res.ok) throw new IdpError(`JWKS request answered ${res.status}`, UNREACHABLE);
        const body: unknown = await res.json();
        if (typeof body !== 'object' || body === null || !Array.isArray((body as { keys?: unknown }).keys)) throw new IdpError('JWKS is not a key set', VERIFY_FAILED);
        this.keys = createLocalJWKSet(body as JSONWebKeySet);
        this.fetchedAt = this.clock();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** Verifies a compact JWS signature (claims are checked by openid-client). */
  async verify(jwt: string): Promise<void> {
    if (this.keys === undefined || this.clock() - this.fetchedAt >= this.maxAgeMs) await this.refresh();
    try {
      await compactVerify(jwt, this.keys!, { algorithms: ID_TOKEN_ALGORITHMS });
    } catch (err) {
      if (err instanceof joseErrors.JWKSNoMatchingKey && this.clock() - this.fetchedAt >= this.cooldownMs) {
        // A key id we have not seen: the provider may have rotated its keys.
        await this.refresh();
        await compactVerify(jwt, this.keys!, { algorithms: ID_TOKEN_ALGORITHMS });
        return;
      }
      throw err;
    }
  }
}

interface Cached {
  readonly version: string;
  readonly config: OpenId.Configuration;
  readonly loadedAt: number;
}

export interface AuthorizationParams {
  readonly redirectUri: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeChallenge: string;
}

export interface CompletionParams {
  /** The callback URL as the browser requested it (redirect URI plus the provider's parameters). */
  readonly callbackUrl: URL;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** openid-client configurations and JWKS caches, per provider. */
export class IdpClients {
  private readonly configs = new Map<string, Cached>();
  private readonly jwks = new Map<string, JwksCache>();
  private readonly timeout: number;
  private readonly discoveryTtlMs: number;
  private readonly jwksMaxAgeMs: number;
  private readonly jwksCooldownMs: number;

  constructor(private readonly options: IdpOptions) {
    this.timeout = options.timeoutSeconds ?? 10;
    this.discoveryTtlMs = options.discoveryTtlMs ?? 3600_000;
    this.jwksMaxAgeMs = options.jwksMaxAgeMs ?? 600_000;
    this.jwksCooldownMs = options.jwksCooldownMs ?? 30_000;
  }

  /** Drops what is cached for a provider (after it was edited or deleted). */
  forget(providerId: string): void {
    this.configs.delete(providerId);
    for (const key of [...this.jwks.keys()]) if (key.startsWith(`${providerId} `)) this.jwks.delete(key);
  }

  private async configuration(provider: SsoProvider, clientSecret: string): Promise<OpenId.Configuration> {
    const version = `${provider.updated_at}`;
    const cached = this.configs.get(provider.id);
    if (cached !== undefined && cached.version === version && this.options.clock() - cached.loadedAt < this.discoveryTtlMs) return cached.config;
    const oidc = await loadOpenId();
    const config = provider.provider_type === 'github' ? this.githubConfiguration(oidc, provider, clientSecret) : await this.discover(oidc, provider, clientSecret);
    this.configs.set(provider.id, { version, config, loadedAt: this.options.clock() });
    return config;
  }

  private async discover(oidc: typeof OpenId, provider: SsoProvider, clientSecret: string): Promise<OpenId.Configuration> {
    const issuer = provider.issuer_url ?? GOOGLE_ISSUER;
    const problem = endpointProblem(issuer, this.options.isProduction);
    if (problem !== undefined) throw new IdpError(`issuer URL ${problem}`, UNREACHABLE);
    const insecure = insecureAllowed(issuer, this.options.isProduction);
    let config: OpenId.Configuration;
    try {
      // Client authentication: whatever the provider registered us with; HTTP Basic unless it only offers POST.
      const probe = await oidc.discovery(new URL(issuer), provider.client_id, undefined, oidc.None(), { timeout: this.timeout, execute: insecure ? [oidc.allowInsecureRequests] : [], [oidc.customFetch]: this.options.fetch });
      const discovered: OpenId.ServerMetadata = { ...probe.serverMetadata() };
      const methods = discovered.token_endpoint_auth_methods_supported;
      const auth = methods !== undefined && !methods.includes('client_secret_basic') && methods.includes('client_secret_post') ? oidc.ClientSecretPost(clientSecret) : oidc.ClientSecretBasic(clientSecret);
      config = new oidc.Configuration(discovered, provider.client_id, { client_secret: clientSecret }, auth);
      config.timeout = this.timeout;
      config[oidc.customFetch] = this.options.fetch;
      if (insecure) oidc.allowInsecureRequests(config);
    } catch (err) {
      throw new IdpError(`discovery failed: ${describe(err)}`, UNREACHABLE);
    }
    const meta = config.serverMetadata();
    if (meta.jwks_uri === undefined) throw new IdpError('discovery document has no jwks_uri', VERIFY_FAILED);
    const jwksProblem = endpointProblem(meta.jwks_uri, this.options.isProduction);
    if (jwksProblem !== undefined) throw new IdpError(`jwks_uri ${jwksProblem}`, VERIFY_FAILED);
    return config;
  }

  private githubConfiguration(oidc: typeof OpenId, provider: SsoProvider, clientSecret: string): OpenId.Configuration {
    const web = (provider.github_url ?? GITHUB_URL).replace(/\/+$/, '');
    const problem = endpointProblem(web, this.options.isProduction);
    if (problem !== undefined) throw new IdpError(`github_url ${problem}`, UNREACHABLE);
    const config = new oidc.Configuration(
      { issuer: web, authorization_endpoint: `${web}/login/oauth/authorize`, token_endpoint: `${web}/login/oauth/access_token` },
      provider.client_id,
      { client_secret: clientSecret },
      oidc.ClientSecretPost(clientSecret),
    );
    config.timeout = this.timeout;
    config[oidc.customFetch] = this.options.fetch;
    if (insecureAllowed(web, this.options.isProduction)) oidc.allowInsecureRequests(config);
    return config;
  }

  private jwksFor(provider: SsoProvider, uri: string): JwksCache {
    const key = `${provider.id} ${uri}`;
    let cache = this.jwks.get(key);
    if (cache === undefined) {
      cache = new JwksCache(uri, this.options.clock, this.jwksMaxAgeMs, this.jwksCooldownMs, this.timeout * 1000, this.options.fetch);
      this.jwks.set(key, cache);
    }
    return cache;
  }

  /** Where to send the browser. */
  async authorizationUrl(provider: SsoProvider, clientSecret: string, p: AuthorizationParams): Promise<URL> {
    const config = await this.configuration(provider, clientSecret);
    const params: Record<string, string> = {
      redirect_uri: p.redirectUri,
      scope: provider.scopes,
      state: p.state,
      code_challenge: p.codeChallenge,
      code_challenge_method: 'S256',
    };
    if (provider.provider_type !== 'github') params.nonce = p.nonce;
    return (await loadOpenId()).buildAuthorizationUrl(config, params);
  }

  /** Finishes the code flow and returns who signed in; throws IdpError. */
  async complete(provider: SsoProvider, clientSecret: string, p: CompletionParams): Promise<VerifiedIdentity> {
    const config = await this.configuration(provider, clientSecret);
    try {
      return provider.provider_type === 'github' ? await this.completeGithub(provider, config, p) : await this.completeOidc(provider, config, p);
    } catch (err) {
      if (err instanceof IdpError) throw err;
      throw new IdpError(describe(err), VERIFY_FAILED);
    }
  }

  private async completeOidc(provider: SsoProvider, config: OpenId.Configuration, p: CompletionParams): Promise<VerifiedIdentity> {
    const oidc = await loadOpenId();
    const tokens = await oidc.authorizationCodeGrant(config, p.callbackUrl, {
      pkceCodeVerifier: p.codeVerifier,
      expectedState: p.state,
      expectedNonce: p.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (claims === undefined || tokens.id_token === undefined) throw new IdpError('token response has no ID token', VERIFY_FAILED);
    await this.jwksFor(provider, config.serverMetadata().jwks_uri!).verify(tokens.id_token);
    let info: Record<string, unknown> = { ...claims };
    if (config.serverMetadata().userinfo_endpoint !== undefined) {
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      info = { ...claims, ...userinfo, sub: claims.sub };
    }
    const str = (k: string): string | undefined => (typeof info[k] === 'string' && info[k] !== '' ? info[k] : undefined);
    return {
      subject: claims.sub,
      email: str('email'),
      emailVerified: info.email_verified === true || info.email_verified === 'true',
      name: str('name'),
      givenName: str('given_name'),
      familyName: str('family_name'),
      username: str('preferred_username'),
    };
  }

  private async completeGithub(provider: SsoProvider, config: OpenId.Configuration, p: CompletionParams): Promise<VerifiedIdentity> {
    const oidc = await loadOpenId();
    const tokens = await oidc.authorizationCodeGrant(config, p.callbackUrl, { pkceCodeVerifier: p.codeVerifier, expectedState: p.state, idTokenExpected: false });
    const api = (provider.github_api_url ?? GITHUB_API_URL).replace(/\/+$/, '');
    const problem = endpointProblem(api, this.options.isProduction);
    if (problem !== undefined) throw new IdpError(`github_api_url ${problem}`, UNREACHABLE);
    const get = async (path: string): Promise<unknown> => {
      const headers = new Headers({ accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' });
      const res = await oidc.fetchProtectedResource(config, tokens.access_token, new URL(`${api}${path}`), 'GET', undefined, headers);
      if (!res.ok) throw new IdpError(`GitHub API ${path} answered ${res.status}`, VERIFY_FAILED);
      return res.json();
    };
    const user = (await get('/user')) as { id?: unknown; login?: unknown; name?: unknown; email?: unknown };
    if (typeof user.id !== 'number' && typeof user.id !== 'string') throw new IdpError('GitHub /user has no id', VERIFY_FAILED);
    const emails = await get('/user/emails');
    const list = (Array.isArray(emails) ? (emails as { email?: unknown; verified?: unknown; primary?: unknown }[]) : [])
      .flatMap((e) => (typeof e.email === 'string' ? [{ email: e.email, verified: e.verified === true, primary: e.primary === true }] : []));
    const verified = list.filter((e) => e.verified);
    const chosen = verified.find((e) => e.primary) ?? verified[0];
    const primary = list.find((e) => e.primary);
    const name = typeof user.name === 'string' && user.name !== '' ? user.name : undefined;
    return {
      subject: String(user.id),
      email: chosen?.email ?? primary?.email,
      emailVerified: chosen !== undefined,
      name,
      givenName: undefined,
      familyName: undefined,
      username: typeof user.login === 'string' ? user.login : undefined,
    };
  }
}
