/**
 * Version 9: custom emoji. A row is written once its image is stored; deleting marks
 * `deleted_at` (the name is then free: uniqueness holds among live rows only) and the stored
 * image is removed after the commit. Versions 8 and 10 belong to other changes; versions need
 * not be contiguous (migrate.ts applies whatever is missing, in order).
 */
import type { Migration } from '../migrations.js';

export const customEmoji: Migration = {
  version: 9,
  name: 'custom_emoji',
  sql: `
CREATE TABLE custom_emoji (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  creator_id TEXT NOT NULL REFERENCES users(id),
  storage_key TEXT NOT NULL UNIQUE,
  created_at {{BIGINT}} NOT NULL,
  deleted_at {{BIGINT}}
);
CREATE UNIQUE INDEX custom_emoji_live_name ON custom_emoji(name) WHERE deleted_at IS NULL;
CREATE INDEX custom_emoji_created ON custom_emoji(created_at, id) WHERE deleted_at IS NULL;
`,
};
