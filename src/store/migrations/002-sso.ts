/**
 * Version 2: single sign-on. Providers (client secrets sealed), identities linked to users,
 * started logins (state, hashed) and one-time exchange codes (hashed). States and codes are
 * in the database so that every node sees them and consumption is one atomic statement.
 */
import type { Migration } from '../migrations.js';

export const sso: Migration = {
  version: 2,
  name: 'sso',
  sql: `
CREATE TABLE sso_providers (
  id TEXT PRIMARY KEY,
  provider_key TEXT NOT NULL UNIQUE,
  provider_type TEXT NOT NULL,
  display_name TEXT NOT NULL,
  issuer_url TEXT,
  github_url TEXT,
  github_api_url TEXT,
  client_id TEXT NOT NULL,
  client_secret_sealed TEXT NOT NULL,
  scopes TEXT NOT NULL,
  auto_provision SMALLINT NOT NULL DEFAULT 0,
  allow_domains TEXT NOT NULL DEFAULT '',
  default_role TEXT NOT NULL DEFAULT 'system_user',
  enabled SMALLINT NOT NULL DEFAULT 1,
  created_at {{BIGINT}} NOT NULL,
  updated_at {{BIGINT}} NOT NULL
);
CREATE TABLE user_identities (
  provider_id TEXT NOT NULL REFERENCES sso_providers(id) ON DELETE CASCADE,
  subject TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id),
  email TEXT NOT NULL DEFAULT '',
  created_at {{BIGINT}} NOT NULL,
  last_login_at {{BIGINT}} NOT NULL,
  PRIMARY KEY (provider_id, subject)
);
CREATE INDEX user_identities_user ON user_identities(user_id);
CREATE TABLE oauth_states (
  state_hash TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL REFERENCES sso_providers(id) ON DELETE CASCADE,
  browser_hash TEXT NOT NULL,
  pkce_verifier_sealed TEXT NOT NULL,
  nonce TEXT NOT NULL,
  redirect_to TEXT NOT NULL,
  created_at {{BIGINT}} NOT NULL,
  expires_at {{BIGINT}} NOT NULL,
  used SMALLINT NOT NULL DEFAULT 0
);
CREATE INDEX oauth_states_expires ON oauth_states(expires_at);
CREATE TABLE oauth_exchange_codes (
  code_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  provider_id TEXT NOT NULL REFERENCES sso_providers(id) ON DELETE CASCADE,
  redirect_to TEXT NOT NULL DEFAULT '/',
  session_id TEXT,
  created_at {{BIGINT}} NOT NULL,
  expires_at {{BIGINT}} NOT NULL,
  consumed_at {{BIGINT}}
);
CREATE INDEX oauth_exchange_codes_expires ON oauth_exchange_codes(expires_at);
`,
};
