/**
 * Version 13: personal access tokens, bot accounts and custom slash commands (issue #16).
 *
 * - `access_tokens`: one row per personal access token. Its `id` is also the id of a
 *   `sessions` row of kind `token`, so a token is authenticated, revoked and closed on every
 *   node exactly like a sign-in session (services/sessions.ts). Only the SHA-256 of the
 *   secret is kept (`token_hash`): the secret is shown once, at creation.
 * - `bots`: the bot accounts (a `users` row with `is_bot = 1`) and the person who owns each.
 * - `commands`: custom slash commands of a team. The token sent to the command's URL must be
 *   readable to be sent, so it is sealed (RUSTCHAT_ENCRYPTION_KEY, store/sealed.ts
 *   COMMAND_TOKEN); a trigger is unique among a team's live commands.
 */
import type { Migration } from '../migrations.js';

export const commandsTokens: Migration = {
  version: 13,
  name: 'commands_tokens',
  sql: `
CREATE TABLE access_tokens (
  id TEXT PRIMARY KEY REFERENCES sessions(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  token_hash TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES users(id),
  created_at {{BIGINT}} NOT NULL,
  last_used_at {{BIGINT}}
);
CREATE INDEX access_tokens_user ON access_tokens(user_id, created_at);
CREATE TABLE bots (
  user_id TEXT PRIMARY KEY REFERENCES users(id),
  owner_id TEXT NOT NULL REFERENCES users(id),
  description TEXT NOT NULL,
  created_at {{BIGINT}} NOT NULL,
  updated_at {{BIGINT}} NOT NULL
);
CREATE INDEX bots_owner ON bots(owner_id);
CREATE TABLE commands (
  id TEXT PRIMARY KEY,
  team_id TEXT NOT NULL REFERENCES teams(id),
  creator_id TEXT NOT NULL REFERENCES users(id),
  trigger_word TEXT NOT NULL,
  url TEXT NOT NULL,
  method TEXT NOT NULL,
  token_sealed TEXT NOT NULL,
  auto_complete INTEGER NOT NULL,
  auto_complete_hint TEXT NOT NULL,
  auto_complete_desc TEXT NOT NULL,
  display_name TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at {{BIGINT}} NOT NULL,
  updated_at {{BIGINT}} NOT NULL,
  deleted_at {{BIGINT}}
);
CREATE UNIQUE INDEX commands_live_trigger ON commands(team_id, trigger_word) WHERE deleted_at IS NULL;
`,
};
