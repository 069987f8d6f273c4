/**
 * Single sign-on: rows and the pure rules around them (provider keys, scopes, e-mail
 * domains, the `redirect_to` check, usernames for provisioned users).
 */
import { invalid } from './errors.js';
import type { SystemRole } from './entities.js';
import { RESERVED_USERNAMES, USERNAME_RE } from './rules.js';

/**
 * Why an SSO sign-in failed, as sent to the browser (`/login?error=<code>`). Codes only: the
 * web client says each in its own words, so nobody can put a sentence of their choosing on
 * the sign-in page with a crafted link. The reason in detail goes to the server log.
 */
export const SSO_LOGIN_ERRORS = [
  'idp_access_denied', 'idp_login_required', 'idp_consent_required', 'idp_interaction_required', 'idp_unavailable', 'idp_refused',
  'idp_unreachable', 'idp_unverifiable', 'provider_disabled', 'misconfigured', 'email_unusable', 'subject_unusable', 'domain_not_allowed',
  'account_inactive', 'email_unverified_at_idp', 'account_email_unverified', 'account_linked_elsewhere', 'no_account', 'no_email',
  'no_free_username', 'try_again',
] as const;
export type SsoLoginError = (typeof SSO_LOGIN_ERRORS)[number];

export type SsoProviderType = 'oidc' | 'google' | 'github';
export const SSO_PROVIDER_TYPES: readonly SsoProviderType[] = ['oidc', 'google', 'github'];

export interface SsoProvider {
  readonly id: string;
  readonly provider_key: string;
  readonly provider_type: SsoProviderType;
  readonly display_name: string;
  /** OIDC issuer (oidc, google); null for github. */
  readonly issuer_url: string | null;
  /** GitHub (or GitHub Enterprise) web and API base URLs; null for OIDC types. */
  readonly github_url: string | null;
  readonly github_api_url: string | null;
  readonly client_id: string;
  /** SecretBox-sealed client secret (AAD `sso_providers.client_secret:<id>`). */
  readonly client_secret_sealed: string;
  /** Space-separated scopes. */
  readonly scopes: string;
  readonly auto_provision: number;
  /** Space-separated lower-case e-mail domains; '' = any domain. */
  readonly allow_domains: string;
  readonly default_role: SystemRole;
  readonly enabled: number;
  readonly created_at: number;
  readonly updated_at: number;
}

/** A link from an identity at a provider (provider, subject) to a local user. */
export interface UserIdentity {
  readonly provider_id: string;
  readonly subject: string;
  readonly user_id: string;
  readonly email: string;
  readonly created_at: number;
  readonly last_login_at: number;
}

/** A started login: what the callback needs to finish it. Stored by the hash of `state`. */
export interface OAuthState {
  readonly state_hash: string;
  readonly provider_id: string;
  /** Hash of the browser-binding cookie of the browser that started the flow. */
  readonly browser_hash: string;
  /** SecretBox-sealed PKCE code verifier (AAD `oauth_states.pkce_verifier:<state_hash>`). */
  readonly pkce_verifier_sealed: string;
  readonly nonce: string;
  readonly redirect_to: string;
  readonly created_at: number;
  readonly expires_at: number;
  readonly used: number;
}

/** A one-time exchange code, stored by its hash; `session_id` is set by the exchange that consumed it. */
export interface ExchangeCode {
  readonly code_hash: string;
  readonly user_id: string;
  readonly provider_id: string;
  readonly redirect_to: string;
  readonly session_id: string | null;
  readonly created_at: number;
  readonly expires_at: number;
  readonly consumed_at: number | null;
  /** Hash of the flow cookie of the browser that started the sign-in; null: bound to no browser (never redeemable). */
  readonly browser_hash: string | null;
}

export const PROVIDER_KEY_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** RFC 6749 scope-token characters. */
const SCOPE_RE = /^[\x21\x23-\x5B\x5D-\x7E]{1,64}$/;
const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const DEFAULT_SCOPES: Readonly<Record<SsoProviderType, readonly string[]>> = {
  oidc: ['openid', 'email', 'profile'],
  google: ['openid', 'email', 'profile'],
  github: ['read:user', 'user:email'],
};

export const GOOGLE_ISSUER = 'https://accounts.google.com';
export const GITHUB_URL = 'https://github.com';
export const GITHUB_API_URL = 'https://api.github.com';

export function validateProviderKey(key: string): string {
  const k = key.trim().toLowerCase();
  if (!PROVIDER_KEY_RE.test(k)) throw invalid('provider_key', 'provider_key must be 1–32 characters: lower-case letters, digits, "_" or "-"');
  return k;
}

export function validateScopes(type: SsoProviderType, scopes: readonly string[] | undefined): string[] {
  const list = [...new Set((scopes ?? DEFAULT_SCOPES[type]).map((s) => s.trim()).filter((s) => s !== ''))];
  for (const s of list) if (!SCOPE_RE.test(s)) throw invalid('scopes', `Scope ${JSON.stringify(s)} is not a valid OAuth scope`);
  // An OpenID Connect login without `openid` would get no ID token.
  if (type !== 'github' && !list.includes('openid')) list.unshift('openid');
  if (list.length > 20) throw invalid('scopes', 'At most 20 scopes');
  return list;
}

export function validateDomains(domains: readonly string[] | undefined): string[] {
  const list = [...new Set((domains ?? []).map((d) => d.trim().toLowerCase().replace(/^@/, '')).filter((d) => d !== ''))];
  for (const d of list) if (!DOMAIN_RE.test(d)) throw invalid('allow_domains', `${JSON.stringify(d)} is not a domain name`);
  if (list.length > 100) throw invalid('allow_domains', 'At most 100 domains');
  return list;
}

/** Whether `email`'s domain is exactly one of `domains` (an empty list allows every domain). */
export function emailDomainAllowed(email: string, domains: readonly string[]): boolean {
  if (domains.length === 0) return true;
  const at = email.lastIndexOf('@');
  if (at < 0) return false;
  return domains.includes(email.slice(at + 1).toLowerCase());
}

const MAX_REDIRECT = 2048;

/** Whether a string holds C0 control characters or DEL (tabs and newlines included). */
export function hasControlChars(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

const REDIRECT_BASE = 'http://rustchat.invalid';

/** The normalised path of `value` when it is a plain same-origin absolute path; undefined otherwise. */
function samePath(value: string): string | undefined {
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\') || hasControlChars(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value, REDIRECT_BASE);
  } catch {
    return undefined;
  }
  if (url.origin !== REDIRECT_BASE) return undefined;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Normalising dot segments can create what the checks above refused: `/.//evil` → `//evil`.
  if (path.startsWith('//') || path.includes('\\')) return undefined;
  return path;
}

/**
 * The `redirect_to` of a login, when it is a same-origin relative path; undefined otherwise.
 *
 * Browsers treat `//host`, `/\host` and `\\host` as other origins, strip tabs and newlines
 * from URLs, and some layers decode percent-escapes again; so the raw value and each
 * decoding of it must be a plain absolute path that stays one after normalisation.
 * Returns the normalised raw path (pathname + search + hash).
 */
export function safeRedirectPath(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return '/';
  if (raw.length > MAX_REDIRECT) return undefined;
  const result = samePath(raw);
  if (result === undefined) return undefined;
  let value = raw;
  for (let i = 0; ; i++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      return undefined;
    }
    if (decoded === value) return result;
    // Still encoded after several rounds: nobody needs that, refuse rather than guess.
    if (i === 4 || samePath(decoded) === undefined) return undefined;
    value = decoded;
  }
}

/** A free-to-try username for a provisioned user, from the IdP's hints (preferred username, e-mail). */
export function usernameCandidate(hints: readonly (string | undefined)[]): string {
  for (const hint of hints) {
    if (hint === undefined) continue;
    const local = hint.includes('@') ? hint.slice(0, hint.indexOf('@')) : hint;
    let u = local.toLowerCase().normalize('NFKD').replace(/[^a-z0-9._-]/g, '').replace(/^[^a-z]+/, '').slice(0, 22);
    if (u.length > 0 && u.length < 3) u = `${u}-user`.slice(0, 22);
    if (USERNAME_RE.test(u) && !RESERVED_USERNAMES.has(u)) return u;
  }
  return 'user';
}

/** The `n`th variant of a username (`alice`, `alice-2`, ...), still within 22 characters. */
export function usernameVariant(base: string, n: number): string {
  if (n <= 1) return base.length >= 3 ? base : `${base}-user`;
  const suffix = `-${n}`;
  return `${base.slice(0, 22 - suffix.length)}${suffix}`;
}
