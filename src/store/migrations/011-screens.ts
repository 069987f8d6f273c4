/**
 * Version 11: what the everyday screens of the web client keep on the server.
 * `users.status_expires_at`: when the custom status (text and emoji) ends; NULL keeps it until
 * changed. `user_sidebars`: each user's sidebar arrangement (favourites and custom categories,
 * their order and collapsed state) as one JSON document, validated by services/sidebar.ts.
 */
import type { Migration } from '../migrations.js';

export const screens: Migration = {
  version: 11,
  name: 'screens',
  sql: `
ALTER TABLE users ADD COLUMN status_expires_at {{BIGINT}};
CREATE INDEX users_status_expires ON users(status_expires_at);
CREATE TABLE user_sidebars (
  user_id TEXT PRIMARY KEY REFERENCES users(id),
  categories TEXT NOT NULL,
  updated_at {{BIGINT}} NOT NULL
);
`,
};
