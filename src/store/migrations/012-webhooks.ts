/**
 * Version 12: webhooks (services/webhooks.ts).
 *
 * - incoming_webhooks: the secret URL's token is stored only as its SHA-256 (`token_hash`,
 *   unique: the execution route finds the hook by it); it is shown once, at creation.
 * - outgoing_webhooks: the token is sent with every callback, so it must be read back: it is
 *   sealed (AES-256-GCM, store/sealed.ts OUTGOING_WEBHOOK_TOKEN, re-encrypted by key rotation).
 *   `trigger_words` and `callback_urls` are JSON arrays.
 * - webhook_deliveries: the last attempts of each outgoing hook's callbacks (pruned to the
 *   newest few per hook after each insert), for its owner to read.
 * Rows are deleted outright with their hook (no history to keep: the audit log has it).
 */
import type { Migration } from '../migrations.js';

export const webhooks: Migration = {
  version: 12,
  name: 'webhooks',
  sql: `
CREATE TABLE incoming_webhooks (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  channel_id TEXT NOT NULL REFERENCES channels(id),
  team_id TEXT NOT NULL REFERENCES teams(id),
  creator_id TEXT NOT NULL REFERENCES users(id),
  display_name TEXT NOT NULL,
  description TEXT NOT NULL,
  channel_locked SMALLINT NOT NULL DEFAULT 0,
  created_at {{BIGINT}} NOT NULL,
  updated_at {{BIGINT}} NOT NULL
);
CREATE INDEX incoming_webhooks_creator ON incoming_webhooks(creator_id, created_at);
CREATE TABLE outgoing_webhooks (
  id TEXT PRIMARY KEY,
  token_sealed TEXT NOT NULL,
  team_id TEXT NOT NULL REFERENCES teams(id),
  channel_id TEXT REFERENCES channels(id),
  creator_id TEXT NOT NULL REFERENCES users(id),
  display_name TEXT NOT NULL,
  description TEXT NOT NULL,
  trigger_words TEXT NOT NULL,
  trigger_when SMALLINT NOT NULL,
  callback_urls TEXT NOT NULL,
  content_type TEXT NOT NULL,
  created_at {{BIGINT}} NOT NULL,
  updated_at {{BIGINT}} NOT NULL
);
CREATE INDEX outgoing_webhooks_team ON outgoing_webhooks(team_id);
CREATE INDEX outgoing_webhooks_creator ON outgoing_webhooks(creator_id, created_at);
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  hook_id TEXT NOT NULL,
  url TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL,
  created_at {{BIGINT}} NOT NULL
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(hook_id, created_at);
`,
};
