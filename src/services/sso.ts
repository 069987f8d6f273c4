/**
 * Single sign-on (security contract §4).
 *
 *   GET  /oauth2/{key}/login     → state (hashed, single use, 5 min, bound to this browser by
 *                                  a cookie), PKCE verifier (sealed), nonce → 302 to the IdP
 *   GET  /oauth2/{key}/callback  → consume state → code grant + ID token checks (sso-protocol)
 *                                  → find, link or provision the user → one-time exchange code
 *                                  (hashed, 60 s) → 302 /login?code=…  (failures: /login?error=<code>,
 *                                  a code from SSO_LOGIN_ERRORS, never a sentence)
 *   POST /oauth2/exchange        → consume the code and start the session in one transaction
 *                                  → token (JSON) + HttpOnly cookie (set by the route)
 *
 * A code presented after it was consumed means it leaked: `exchange_code_reuse`, and the
 * session the first use started is ended (on every node, through SessionService.end).
 *
 * Linking: identities key on (provider, subject). An existing account is linked only when
 * the IdP verified the e-mail address AND the account's own address was verified here
 * (admin-created accounts): otherwise whoever registered an address they do not own could
 * wait for its real owner to sign in with SSO and share the account (pre-account hijacking).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SystemRole, User } from '../domain/entities.js';
import { AppError, badRequest, conflict, invalid, notFound } from '../domain/errors.js';
import {
  GITHUB_API_URL, GITHUB_URL, GOOGLE_ISSUER, PROVIDER_KEY_RE, emailDomainAllowed, hasControlChars, safeRedirectPath, usernameCandidate, usernameVariant,
  validateDomains, validateProviderKey, validateScopes, type ExchangeCode, type SsoLoginError, type SsoProvider, type SsoProviderType,
} from '../domain/sso.js';
import { EMAIL_RE, normalizeEmail, validateDisplayName } from '../domain/rules.js';
import { DecryptError, hashSecret, randomToken, safeEqual, type SecretBox } from '../security/crypto.js';
import { UniqueViolation } from '../store/errors.js';
import { OAUTH_PKCE_VERIFIER, SSO_CLIENT_SECRET } from '../store/sealed.js';
import type { SsoProviderPatch } from '../store/sso.js';
import type { Access } from './access.js';
import type { SignedIn } from './accounts.js';
import type { AnonymousContext, CallContext, ServiceDeps } from './context.js';
import type { SessionService } from './sessions.js';
import { IdpClients, IdpError, endpointProblem, type IdpOptions, type VerifiedIdentity } from './sso-protocol.js';

export const STATE_TTL_MS = 5 * 60_000;
export const EXCHANGE_CODE_TTL_MS = 60_000;
/** Consumed codes are kept this long after they expire, so that a late reuse is still recognised. */
const CODE_RETENTION_MS = 24 * 3600_000;
const STATE_RETENTION_MS = 3600_000;
/** How often expired states and codes are deleted (a timer started with the app; see startPurging). */
export const PURGE_INTERVAL_MS = 10 * 60_000;
const BINDING_RE = /^[A-Za-z0-9_-]{43}$/;

export interface SsoProviderInput {
  readonly provider_key: string;
  readonly provider_type: SsoProviderType;
  readonly display_name: string;
  readonly issuer_url?: string | null | undefined;
  readonly github_url?: string | null | undefined;
  readonly github_api_url?: string | null | undefined;
  readonly client_id: string;
  readonly client_secret: string;
  readonly scopes?: readonly string[] | undefined;
  readonly auto_provision?: boolean | undefined;
  readonly allow_domains?: readonly string[] | undefined;
  readonly default_role?: SystemRole | undefined;
  readonly enabled?: boolean | undefined;
}

export type SsoProviderUpdate = Partial<SsoProviderInput>;

export interface SsoOptions {
  /** Public origin: redirect URIs are built from it, never from request headers. */
  readonly siteUrl: string;
  readonly isProduction: boolean;
  /** The outbound client's fetch (src/security/outbound.ts): every request to a provider uses it. */
  readonly fetch: typeof fetch;
  /**
   * The same client's verdict on a URL about to be saved (`OutboundClient.destinationProblem`),
   * so a provider it would refuse at sign-in is refused when an admin saves it.
   */
  readonly destinationProblem: (url: URL) => string | undefined;
  readonly idp?: Partial<Omit<IdpOptions, 'isProduction' | 'clock' | 'fetch'>>;
}

export interface LoginStart {
  /** Where to send the browser: the IdP, or /login?error=… when the login cannot start. */
  readonly location: string;
  /** The browser-binding cookie value to (re)set. */
  readonly browserBinding: string;
}

/**
 * What the presenter of an exchange code shows to prove it is the client that started the
 * sign-in. The web flow shows its flow cookie. The mobile flow will show its PKCE verifier
 * here (`{ pkceVerifier }`, checked against a challenge stored with the code); until then a
 * code carries only a browser binding.
 */
export interface ExchangeProof {
  readonly browserBinding: string | undefined;
}

export interface Exchanged {
  readonly signedIn: SignedIn;
  readonly redirectTo: string;
}

/** A sign-in the callback refuses after a valid state: logged with `reason`, sent to the browser as `code`. */
class LoginRefused extends Error {
  constructor(readonly reason: string, readonly code: SsoLoginError) {
    super(reason);
  }
}

/** The provider's own error codes (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6) that we pass on; any other is `idp_refused`. */
const OAUTH_ERRORS: ReadonlyMap<string, SsoLoginError> = new Map(Object.entries({
  access_denied: 'idp_access_denied',
  login_required: 'idp_login_required',
  consent_required: 'idp_consent_required',
  interaction_required: 'idp_interaction_required',
  temporarily_unavailable: 'idp_unavailable',
  server_error: 'idp_unavailable',
} as const));

function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * A name from the provider, made safe to store: well-formed Unicode (no lone surrogates,
 * which PostgreSQL refuses), no control characters (NUL included), trimmed, at most `max`.
 */
export const clip = (v: string | undefined, max = 64): string =>
  v === undefined ? '' : Array.from(v.toWellFormed().replace(/\p{Cc}/gu, '').trim()).slice(0, max).join('');
/** A provider's subject we can key on: 1–255 characters, well formed, no control characters. */
export const usableSubject = (subject: string): boolean => subject.length > 0 && subject.length <= 255 && subject.isWellFormed() && !/\p{Cc}/u.test(subject);

export class SsoService {
  private readonly idp: IdpClients;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly sessions: SessionService,
    private readonly access: Access,
    private readonly box: SecretBox,
    private readonly options: SsoOptions,
  ) {
    this.idp = new IdpClients({ ...options.idp, isProduction: options.isProduction, clock: deps.clock, fetch: options.fetch });
  }

  /** The redirect URI to register at the identity provider. */
  callbackUrl(providerKey: string): string {
    return `${this.options.siteUrl}/api/v1/oauth2/${providerKey}/callback`;
  }

  loginPath(providerKey: string): string {
    return `/api/v1/oauth2/${providerKey}/login`;
  }

  // ---- administration (system admins) ----

  async list(ctx: CallContext): Promise<SsoProvider[]> {
    this.access.requireSystemAdmin(ctx, 'sso_provider.list');
    return this.deps.store.sso.listProviders();
  }

  async get(ctx: CallContext, id: string): Promise<SsoProvider> {
    this.access.requireSystemAdmin(ctx, 'sso_provider.read');
    return this.load(id);
  }

  private async load(id: string): Promise<SsoProvider> {
    const provider = await this.deps.store.sso.getProvider(id);
    if (provider === undefined) throw notFound('Sign-in provider');
    return provider;
  }

  async create(ctx: CallContext, input: SsoProviderInput): Promise<SsoProvider> {
    this.access.requireSystemAdmin(ctx, 'sso_provider.create');
    const id = randomUUID();
    const now = this.deps.clock();
    const fields = this.normalize(input);
    const secret = this.validSecret(input.client_secret);
    const provider: SsoProvider = { id, ...fields, client_secret_sealed: this.box.seal(secret, SSO_CLIENT_SECRET.aad(id)), created_at: now, updated_at: now };
    await this.deps.store.sso.createProvider(provider).catch(keyTaken);
    await this.audit(ctx, 'sso.create', id, { provider_key: provider.provider_key, provider_type: provider.provider_type });
    return provider;
  }

  async update(ctx: CallContext, id: string, patch: SsoProviderUpdate): Promise<SsoProvider> {
    this.access.requireSystemAdmin(ctx, 'sso_provider.update');
    const current = await this.load(id);
    const type = patch.provider_type ?? current.provider_type;
    // After a type change the other type's URLs and scopes fall back to the new type's defaults.
    const keep = type === current.provider_type;
    const list = (v: string): string[] => v.split(' ').filter((x) => x !== '');
    const merged: SsoProviderInput = {
      provider_key: patch.provider_key ?? current.provider_key,
      provider_type: type,
      display_name: patch.display_name ?? current.display_name,
      issuer_url: patch.issuer_url !== undefined ? patch.issuer_url : keep ? current.issuer_url : undefined,
      github_url: patch.github_url !== undefined ? patch.github_url : keep ? current.github_url : undefined,
      github_api_url: patch.github_api_url !== undefined ? patch.github_api_url : keep ? current.github_api_url : undefined,
      client_id: patch.client_id ?? current.client_id,
      client_secret: '',
      scopes: patch.scopes ?? (keep ? list(current.scopes) : undefined),
      auto_provision: patch.auto_provision ?? current.auto_provision === 1,
      allow_domains: patch.allow_domains ?? list(current.allow_domains),
      default_role: patch.default_role ?? current.default_role,
      enabled: patch.enabled ?? current.enabled === 1,
    };
    const set: SsoProviderPatch = { ...this.normalize(merged) };
    if (patch.client_secret !== undefined) Object.assign(set, { client_secret_sealed: this.box.seal(this.validSecret(patch.client_secret), SSO_CLIENT_SECRET.aad(id)) });
    const updated = await this.deps.store.sso.updateProvider(id, set, Math.max(this.deps.clock(), current.updated_at + 1)).catch(keyTaken);
    if (updated === undefined) throw notFound('Sign-in provider');
    this.idp.forget(id);
    await this.audit(ctx, 'sso.update', id, { fields: Object.keys(patch).filter((k) => k !== 'client_secret').concat(patch.client_secret !== undefined ? ['client_secret'] : []) });
    return updated;
  }

  async remove(ctx: CallContext, id: string): Promise<void> {
    this.access.requireSystemAdmin(ctx, 'sso_provider.delete');
    if (!(await this.deps.store.sso.deleteProvider(id))) throw notFound('Sign-in provider');
    this.idp.forget(id);
    await this.audit(ctx, 'sso.delete', id, {});
  }

  private validSecret(secret: string): string {
    if (secret.length === 0 || secret.length > 1024 || hasControlChars(secret)) throw invalid('client_secret', 'client_secret must be 1–1024 printable characters');
    return secret;
  }

  private url(field: string, value: string | null | undefined, fallback: string | undefined): string | null {
    const v = value === null || value === undefined || value.trim() === '' ? fallback : value.trim();
    if (v === undefined) throw invalid(field, `${field} is required for this provider type`);
    const problem = endpointProblem(v, this.options.isProduction);
    if (problem !== undefined) throw invalid(field, `${field} ${problem}`);
    const internal = this.options.destinationProblem(new URL(v));
    if (internal !== undefined) {
      throw badRequest(`${field} names an internal address (${internal}): the server does not connect to it unless its host is listed in RUSTCHAT_OUTBOUND_ALLOWED_HOSTS`, { field });
    }
    return v;
  }

  private normalize(input: SsoProviderInput): Omit<SsoProvider, 'id' | 'client_secret_sealed' | 'created_at' | 'updated_at'> {
    const type = input.provider_type;
    const clientId = input.client_id.trim();
    if (clientId === '' || clientId.length > 256 || hasControlChars(clientId)) throw invalid('client_id', 'client_id must be 1–256 printable characters');
    const oidcType = type === 'oidc' || type === 'google';
    const allowDomains = validateDomains(input.allow_domains);
    const defaultRole = input.default_role ?? 'system_user';
    // Every account the IdP knows (for Google or GitHub: anyone on the internet) would become a
    // system admin on first sign-in. Create and update both pass here, so no edit can get there.
    if (input.auto_provision === true && defaultRole === 'system_admin' && allowDomains.length === 0) {
      throw badRequest('A provider that creates accounts (auto_provision) with default_role system_admin must list allow_domains: otherwise anyone who can sign in at the identity provider becomes a system admin here', { field: 'default_role' });
    }
    return {
      provider_key: validateProviderKey(input.provider_key),
      provider_type: type,
      display_name: validateDisplayName('display_name', input.display_name),
      issuer_url: oidcType ? this.url('issuer_url', input.issuer_url, type === 'google' ? GOOGLE_ISSUER : undefined) : null,
      github_url: type === 'github' ? this.url('github_url', input.github_url, GITHUB_URL) : null,
      github_api_url: type === 'github' ? this.url('github_api_url', input.github_api_url, GITHUB_API_URL) : null,
      client_id: clientId,
      scopes: validateScopes(type, input.scopes).join(' '),
      auto_provision: input.auto_provision === true ? 1 : 0,
      allow_domains: allowDomains.join(' '),
      default_role: defaultRole,
      enabled: input.enabled === false ? 0 : 1,
    };
  }

  private async audit(ctx: CallContext | undefined, action: string, targetId: string, details: Record<string, unknown>, ip = ctx?.ip ?? ''): Promise<void> {
    await this.deps.store.audit.append({
      id: randomUUID(), actor_id: ctx?.actor.userId ?? null, action, target_type: action.split('.')[0] ?? '', target_id: targetId, ip,
      details: JSON.stringify(details), created_at: this.deps.clock(),
    });
  }

  // ---- housekeeping ----

  /** Deletes states and codes long past their expiry (kept a while so a late reuse is still recognised). */
  async purgeExpired(): Promise<void> {
    const now = this.deps.clock();
    await this.deps.store.sso.purgeExpired(now - STATE_RETENTION_MS, now - CODE_RETENTION_MS);
  }

  /**
   * Purges every `intervalMs` until the returned function is called (the app calls it on
   * close). A timer rather than a DELETE on every /login: an anonymous request should not
   * buy a table scan, and a quiet server still gets cleaned. Unref'd, so it never keeps the
   * process alive; a run never overlaps the previous one; a failure is logged and retried
   * at the next tick.
   */
  startPurging(intervalMs = PURGE_INTERVAL_MS): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.purgeExpired()
        .catch((err: unknown) => this.deps.logger.warn({ err }, 'sso purge of expired states and codes failed'))
        .finally(() => { running = false; });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  // ---- sign-in (anonymous) ----

  /** Enabled providers, for the login page. */
  async enabledProviders(): Promise<SsoProvider[]> {
    return (await this.deps.store.sso.listProviders()).filter((p) => p.enabled === 1);
  }

  private async enabledProvider(key: string): Promise<SsoProvider> {
    const provider = PROVIDER_KEY_RE.test(key) ? await this.deps.store.sso.getProviderByKey(key) : undefined;
    if (provider === undefined || provider.enabled !== 1) throw notFound('Sign-in provider');
    return provider;
  }

  /** Opens a sealed value; one that cannot be opened (key rotated without the previous key) refuses the sign-in. */
  private unseal(sealed: string, aad: string, what: string): string {
    try {
      return this.box.open(sealed, aad);
    } catch (err) {
      if (!(err instanceof DecryptError)) throw err;
      throw new LoginRefused(`${what} cannot be decrypted (${err.message})`, 'misconfigured');
    }
  }

  private clientSecret(provider: SsoProvider): string {
    return this.unseal(provider.client_secret_sealed, SSO_CLIENT_SECRET.aad(provider.id), 'client secret');
  }

  private refused(providerKey: string, reason: string, code: SsoLoginError, ctx: { ip: string; requestId: string }): string {
    this.deps.logger.warn({ provider: providerKey, reason, client_ip: ctx.ip, request_id: ctx.requestId }, 'sso sign-in refused');
    return `/login?error=${code}`;
  }

  /** Starts a login: records the state and answers where to send the browser. */
  async startLogin(key: string, rawRedirect: string | undefined, binding: string | undefined, ctx: AnonymousContext): Promise<LoginStart> {
    const provider = await this.enabledProvider(key);
    const redirectTo = safeRedirectPath(rawRedirect);
    if (redirectTo === undefined) throw invalid('redirect_to', 'redirect_to must be a path on this site, such as /channels');
    const browserBinding = binding !== undefined && BINDING_RE.test(binding) ? binding : randomToken();
    const now = this.deps.clock();

    const state = randomToken();
    const nonce = randomToken();
    const verifier = randomToken();
    const stateHash = hashSecret(state);
    let url: URL;
    try {
      url = await this.idp.authorizationUrl(provider, this.clientSecret(provider), {
        redirectUri: this.callbackUrl(provider.provider_key), state, nonce, codeChallenge: pkceChallenge(verifier),
      });
    } catch (err) {
      if (err instanceof IdpError || err instanceof LoginRefused) return { location: this.refused(provider.provider_key, err.reason, err.code, ctx), browserBinding };
      throw err;
    }
    await this.deps.store.sso.createState({
      state_hash: stateHash, provider_id: provider.id, browser_hash: hashSecret(browserBinding),
      pkce_verifier_sealed: this.box.seal(verifier, OAUTH_PKCE_VERIFIER.aad(stateHash)),
      nonce, redirect_to: redirectTo, created_at: now, expires_at: now + STATE_TTL_MS, used: 0,
    });
    return { location: url.href, browserBinding };
  }

  private badState(providerKey: string, reason: string, ctx: { ip: string; requestId: string }): never {
    this.deps.security.emit('invalid_oauth_state', { ip: ctx.ip, requestId: ctx.requestId, reason, provider: providerKey });
    throw badRequest('This sign-in attempt is not valid: it has expired, was already used, or was started in another browser. Please start signing in again.');
  }

  /**
   * Finishes a login at the callback. Throws 400 (and `invalid_oauth_state`) for a bad
   * state; otherwise answers where to send the browser: /login?code=… or /login?error=….
   */
  async finishLogin(key: string, params: URLSearchParams, binding: string | undefined, ctx: AnonymousContext): Promise<string> {
    const provider = PROVIDER_KEY_RE.test(key) ? await this.deps.store.sso.getProviderByKey(key) : undefined;
    if (provider === undefined) throw notFound('Sign-in provider');

    const states = params.getAll('state');
    if (states.length === 0 || states[0] === '') this.badState(key, 'missing_state', ctx);
    if (states.length > 1) this.badState(key, 'repeated_state', ctx);
    const state = states[0]!;
    const stateHash = hashSecret(state);
    const row = await this.deps.store.sso.getState(stateHash);
    if (row === undefined) this.badState(key, 'unknown_state', ctx);
    if (row.used !== 0) this.badState(key, 'state_reused', ctx);
    if (row.provider_id !== provider.id) this.badState(key, 'provider_mismatch', ctx);
    if (row.expires_at <= this.deps.clock()) this.badState(key, 'state_expired', ctx);
    // Checked before consuming: a callback replayed in another browser must not burn the real one.
    if (binding === undefined || binding === '') this.badState(key, 'missing_browser_cookie', ctx);
    if (!safeEqual(hashSecret(binding), row.browser_hash)) this.badState(key, 'browser_mismatch', ctx);
    if ((await this.deps.store.sso.consumeState(stateHash)) === undefined) this.badState(key, 'state_reused', ctx);

    try {
      if (provider.enabled !== 1) throw new LoginRefused('provider_disabled', 'provider_disabled');
      const error = params.get('error');
      if (error !== null) {
        const code = /^[a-z_]{1,64}$/.test(error) ? error : 'invalid';
        // The provider's error_description is neither logged nor passed on: it is free text from the query string.
        throw new LoginRefused(`provider_error:${code}`, OAUTH_ERRORS.get(code) ?? 'idp_refused');
      }
      const callbackUrl = new URL(this.callbackUrl(provider.provider_key));
      callbackUrl.search = params.toString();
      const identity = await this.idp.complete(provider, this.clientSecret(provider), {
        callbackUrl, state, nonce: row.nonce, codeVerifier: this.unseal(row.pkce_verifier_sealed, OAUTH_PKCE_VERIFIER.aad(stateHash), 'PKCE verifier'),
      });
      const { user, outcome } = await this.resolveUser(provider, identity, ctx);
      const code = randomToken(32);
      const now = this.deps.clock();
      await this.deps.store.sso.createExchangeCode({
        code_hash: hashSecret(code), user_id: user.id, provider_id: provider.id, redirect_to: row.redirect_to,
        session_id: null, created_at: now, expires_at: now + EXCHANGE_CODE_TTL_MS, consumed_at: null, browser_hash: row.browser_hash,
      });
      this.deps.logger.info({ provider: provider.provider_key, user_id: user.id, outcome, request_id: ctx.requestId }, 'sso sign-in');
      return `/login?code=${encodeURIComponent(code)}`;
    } catch (err) {
      if (err instanceof IdpError || err instanceof LoginRefused) return this.refused(provider.provider_key, err.reason, err.code, ctx);
      throw err;
    }
  }

  /** The local user for an identity: linked before, linked now by verified e-mail, or provisioned. */
  private async resolveUser(provider: SsoProvider, identity: VerifiedIdentity, ctx: AnonymousContext): Promise<{ user: User; outcome: 'existing' | 'linked' | 'provisioned' }> {
    const store = this.deps.store;
    const now = this.deps.clock();
    const email = identity.email === undefined ? undefined : normalizeEmail(identity.email);
    if (email !== undefined && (email.length > 254 || !EMAIL_RE.test(email))) throw new LoginRefused('invalid_email', 'email_unusable');

    if (!usableSubject(identity.subject)) throw new LoginRefused('invalid_subject', 'subject_unusable');

    const domains = provider.allow_domains.split(' ').filter((d) => d !== '');
    if (domains.length > 0 && (email === undefined || !identity.emailVerified || !emailDomainAllowed(email, domains))) {
      throw new LoginRefused(email !== undefined && !identity.emailVerified ? 'unverified_email_domain' : 'domain_not_allowed', 'domain_not_allowed');
    }

    const active = (user: User | undefined): User => {
      if (user === undefined || user.deactivated_at !== null || user.is_bot === 1) throw new LoginRefused('account_inactive', 'account_inactive');
      return user;
    };

    const linked = await store.sso.getIdentity(provider.id, identity.subject);
    if (linked !== undefined) {
      const user = active(await store.users.get(linked.user_id));
      await store.sso.touchIdentity(provider.id, identity.subject, email ?? linked.email, now);
      return { user, outcome: 'existing' };
    }

    const existing = email === undefined ? undefined : await store.users.getByLogin(email);
    if (existing !== undefined && existing.email === email) {
      if (!identity.emailVerified) {
        throw new LoginRefused('unverified_email_matches_account', 'email_unverified_at_idp');
      }
      if (existing.email_verified !== 1) {
        throw new LoginRefused('account_email_unverified', 'account_email_unverified');
      }
      active(existing);
      if ((await store.sso.getIdentityOfUser(provider.id, existing.id)) !== undefined) {
        throw new LoginRefused('account_linked_elsewhere', 'account_linked_elsewhere');
      }
      try {
        await store.sso.createIdentity({ provider_id: provider.id, subject: identity.subject, user_id: existing.id, email, created_at: now, last_login_at: now });
      } catch (err) {
        if (!(err instanceof UniqueViolation)) throw err;
        // The same identity signed in twice at once: fine if the other attempt linked it to the same account.
        const raced = await store.sso.getIdentity(provider.id, identity.subject);
        if (raced?.user_id !== existing.id) throw new LoginRefused('link_race', 'try_again');
      }
      await this.audit(undefined, 'user.sso_link', existing.id, { provider_key: provider.provider_key }, ctx.ip);
      return { user: existing, outcome: 'linked' };
    }

    if (provider.auto_provision !== 1) throw new LoginRefused('no_account', 'no_account');
    if (email === undefined) throw new LoginRefused('no_email', 'no_email');
    const base = usernameCandidate([identity.username, email]);
    for (let n = 1; n <= 20; n++) {
      const user: User = {
        id: randomUUID(), username: usernameVariant(base, n), email, password_hash: null,
        display_name: clip(identity.name), first_name: clip(identity.givenName), last_name: clip(identity.familyName), nickname: '', position: '',
        avatar_url: null, avatar_key: null, is_bot: 0, role: provider.default_role, status_text: '', status_emoji: '', status_expires_at: null, timezone: '',
        email_verified: identity.emailVerified ? 1 : 0, created_at: now, updated_at: now, deactivated_at: null,
      };
      try {
        await store.transaction(async (tx) => {
          await tx.users.create(user);
          await tx.sso.createIdentity({ provider_id: provider.id, subject: identity.subject, user_id: user.id, email, created_at: now, last_login_at: now });
        });
      } catch (err) {
        if (!(err instanceof UniqueViolation)) throw err;
        if (/username/.test(err.constraint)) continue;
        // Someone registered that e-mail, or this identity was provisioned, a moment ago: start over.
        throw new LoginRefused('provision_race', 'try_again');
      }
      await this.audit(undefined, 'user.sso_provision', user.id, { provider_key: provider.provider_key, role: user.role }, ctx.ip);
      return { user, outcome: 'provisioned' };
    }
    throw new LoginRefused('no_free_username', 'no_free_username');
  }

  /**
   * Trades a one-time code for a session. The code is consumed and the session created in
   * one transaction, so a code is never consumed without its session nor twice.
   *
   * Only the client that started the sign-in may redeem it (contract §9): a code presented
   * without its binding was taken from the URL by someone else. It is refused like a reused
   * code (same answer, `exchange_code_reuse`), and never works again: a live one is burned,
   * a consumed one has its session ended. The binding is written once with the code and never
   * changes, so checking it before the atomic consume leaves no race.
   */
  async exchange(code: string, proof: ExchangeProof, ctx: AnonymousContext): Promise<Exchanged> {
    const codeHash = hashSecret(code);
    const now = this.deps.clock();
    const sessionId = randomUUID();
    const presented = await this.deps.store.sso.getExchangeCode(codeHash);
    const unbound = presented === undefined ? undefined : bindingProblem(presented, proof);
    if (presented !== undefined && unbound !== undefined && (presented.consumed_at !== null || presented.expires_at > now)) {
      const burned = presented.consumed_at === null && (await this.deps.store.sso.consumeExchangeCode(codeHash, null, now)) !== undefined;
      // Not burned: it was consumed (before, or a moment ago by its own browser): a reuse proper.
      const row = burned ? presented : ((await this.deps.store.sso.getExchangeCode(codeHash)) ?? presented);
      return this.reused(row, unbound, ctx);
    }
    const won = await this.deps.store.transaction(async (tx) => {
      const row = await tx.sso.consumeExchangeCode(codeHash, sessionId, now);
      if (row === undefined) return undefined;
      const user = await tx.users.get(row.user_id);
      if (user === undefined || user.deactivated_at !== null) throw new AppError('FORBIDDEN', 'This account has been deactivated.');
      const started = await this.sessions.start(user, 'sso', ctx, { store: tx, id: sessionId });
      return { signedIn: { started, user }, redirectTo: row.redirect_to };
    });
    if (won !== undefined) return won;

    const row = await this.deps.store.sso.getExchangeCode(codeHash);
    if (row !== undefined && row.consumed_at !== null) return this.reused(row, 'consumed_code_presented_again', ctx);
    throw badRequest('This sign-in code is not valid or has expired. Please sign in again.');
  }

  private async reused(row: ExchangeCode, reason: string, ctx: AnonymousContext): Promise<never> {
    this.deps.security.emit('exchange_code_reuse', { ip: ctx.ip, requestId: ctx.requestId, userId: row.user_id, reason });
    // A reused code was stolen: whoever used it first may not be its owner.
    if (row.session_id !== null) await this.sessions.end(row.session_id, row.user_id, 'exchange_code_reuse', ctx);
    throw badRequest('This sign-in code has already been used. Please sign in again.');
  }
}

/** Why `proof` does not show the client a code is bound to, or undefined when it does. */
function bindingProblem(row: ExchangeCode, proof: ExchangeProof): string | undefined {
  if (row.browser_hash === null) return 'code_bound_to_no_client';
  if (proof.browserBinding === undefined || !BINDING_RE.test(proof.browserBinding)) return 'missing_browser_cookie';
  return safeEqual(hashSecret(proof.browserBinding), row.browser_hash) ? undefined : 'browser_mismatch';
}

function keyTaken(err: unknown): never {
  if (err instanceof UniqueViolation) throw conflict('That provider_key is already used by another provider', { field: 'provider_key' });
  throw err;
}
