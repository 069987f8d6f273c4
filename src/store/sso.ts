/** The storage interface of single sign-on (implemented in store/kysely/sso.ts). */
import type { ExchangeCode, OAuthState, SsoProvider, UserIdentity } from '../domain/sso.js';

export type SsoProviderPatch = Partial<Omit<SsoProvider, 'id' | 'created_at' | 'updated_at'>>;

export interface SsoStore {
  /** Inserts a provider; throws UniqueViolation on a taken provider_key. */
  createProvider(provider: SsoProvider): Promise<void>;
  getProvider(id: string): Promise<SsoProvider | undefined>;
  getProviderByKey(key: string): Promise<SsoProvider | undefined>;
  /** Every provider, ordered by display name. */
  listProviders(): Promise<SsoProvider[]>;
  /** Throws UniqueViolation on a taken provider_key; undefined when the provider is gone. */
  updateProvider(id: string, patch: SsoProviderPatch, now: number): Promise<SsoProvider | undefined>;
  /** Deletes the provider with its identities, states and codes; false when unknown. */
  deleteProvider(id: string): Promise<boolean>;

  getIdentity(providerId: string, subject: string): Promise<UserIdentity | undefined>;
  /** The user's identity at a provider, if any (a user links at most one per provider). */
  getIdentityOfUser(providerId: string, userId: string): Promise<UserIdentity | undefined>;
  /** Throws UniqueViolation when (provider, subject) is already linked. */
  createIdentity(identity: UserIdentity): Promise<void>;
  touchIdentity(providerId: string, subject: string, email: string, at: number): Promise<void>;

  createState(state: OAuthState): Promise<void>;
  /** Marks an unused state used and returns it, in one statement: of two callers only one gets it. */
  consumeState(stateHash: string): Promise<OAuthState | undefined>;
  getState(stateHash: string): Promise<OAuthState | undefined>;

  createExchangeCode(code: ExchangeCode): Promise<void>;
  /**
   * Consumes a live, unconsumed code in one conditional UPDATE … RETURNING, recording the
   * session it starts (null: the code is burned without one): of concurrent callers exactly
   * one gets the row.
   */
  consumeExchangeCode(codeHash: string, sessionId: string | null, now: number): Promise<ExchangeCode | undefined>;
  getExchangeCode(codeHash: string): Promise<ExchangeCode | undefined>;

  /** Deletes states that expired before `statesBefore` and codes that expired before `codesBefore`. */
  purgeExpired(statesBefore: number, codesBefore: number): Promise<void>;
}
