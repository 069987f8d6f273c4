/** SsoStore over Kysely: providers, identities, login states, exchange codes. */
import type { ExchangeCode, OAuthState, SsoProvider, UserIdentity } from '../../domain/sso.js';
import { unique } from '../errors.js';
import type { SsoProviderPatch, SsoStore } from '../sso.js';
import type { Db } from './shared.js';

export class KyselySsoStore implements SsoStore {
  constructor(private readonly db: Db) {}

  async createProvider(provider: SsoProvider): Promise<void> {
    await unique(this.db.insertInto('sso_providers').values({ ...provider }).execute());
  }
  getProvider(id: string): Promise<SsoProvider | undefined> {
    return this.db.selectFrom('sso_providers').selectAll().where('id', '=', id).executeTakeFirst();
  }
  getProviderByKey(key: string): Promise<SsoProvider | undefined> {
    return this.db.selectFrom('sso_providers').selectAll().where('provider_key', '=', key).executeTakeFirst();
  }
  listProviders(): Promise<SsoProvider[]> {
    return this.db.selectFrom('sso_providers').selectAll().orderBy('display_name').orderBy('provider_key').execute();
  }
  async updateProvider(id: string, patch: SsoProviderPatch, now: number): Promise<SsoProvider | undefined> {
    await unique(this.db.updateTable('sso_providers').set({ ...patch, updated_at: now }).where('id', '=', id).execute());
    return this.getProvider(id);
  }
  async deleteProvider(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('sso_providers').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  getIdentity(providerId: string, subject: string): Promise<UserIdentity | undefined> {
    return this.db.selectFrom('user_identities').selectAll().where('provider_id', '=', providerId).where('subject', '=', subject).executeTakeFirst();
  }
  getIdentityOfUser(providerId: string, userId: string): Promise<UserIdentity | undefined> {
    return this.db.selectFrom('user_identities').selectAll().where('provider_id', '=', providerId).where('user_id', '=', userId).executeTakeFirst();
  }
  async createIdentity(identity: UserIdentity): Promise<void> {
    await unique(this.db.insertInto('user_identities').values({ ...identity }).execute());
  }
  async touchIdentity(providerId: string, subject: string, email: string, at: number): Promise<void> {
    await this.db.updateTable('user_identities').set({ email, last_login_at: at }).where('provider_id', '=', providerId).where('subject', '=', subject).execute();
  }

  async createState(state: OAuthState): Promise<void> {
    await this.db.insertInto('oauth_states').values({ ...state }).execute();
  }
  consumeState(stateHash: string): Promise<OAuthState | undefined> {
    return this.db.updateTable('oauth_states').set({ used: 1 }).where('state_hash', '=', stateHash).where('used', '=', 0).returningAll().executeTakeFirst();
  }
  getState(stateHash: string): Promise<OAuthState | undefined> {
    return this.db.selectFrom('oauth_states').selectAll().where('state_hash', '=', stateHash).executeTakeFirst();
  }

  async createExchangeCode(code: ExchangeCode): Promise<void> {
    await this.db.insertInto('oauth_exchange_codes').values({ ...code }).execute();
  }
  consumeExchangeCode(codeHash: string, sessionId: string | null, now: number): Promise<ExchangeCode | undefined> {
    // One statement: the row lock (PostgreSQL) or the single writer (SQLite) lets exactly one
    // concurrent caller see `consumed_at IS NULL`; the others update nothing.
    return this.db
      .updateTable('oauth_exchange_codes')
      .set({ consumed_at: now, session_id: sessionId })
      .where('code_hash', '=', codeHash)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
  }
  getExchangeCode(codeHash: string): Promise<ExchangeCode | undefined> {
    return this.db.selectFrom('oauth_exchange_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
  }

  async purgeExpired(statesBefore: number, codesBefore: number): Promise<void> {
    await this.db.deleteFrom('oauth_states').where('expires_at', '<', statesBefore).execute();
    await this.db.deleteFrom('oauth_exchange_codes').where('expires_at', '<', codesBefore).execute();
  }
}
