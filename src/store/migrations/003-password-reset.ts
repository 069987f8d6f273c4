/**
 * Version 3: password reset by e-mail. Tokens are stored as SHA-256 hashes (the token itself
 * exists only in the e-mail); using one is one conditional UPDATE, so it works once, on any
 * node.
 */
import type { Migration } from '../migrations.js';

export const passwordReset: Migration = {
  version: 3,
  name: 'password-reset',
  sql: `
CREATE TABLE password_reset_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  created_at {{BIGINT}} NOT NULL,
  expires_at {{BIGINT}} NOT NULL,
  used_at {{BIGINT}}
);
CREATE INDEX password_reset_tokens_user ON password_reset_tokens(user_id, created_at);
`,
};
