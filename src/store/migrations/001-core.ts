/** Version 1: users, sessions, teams, channels, posts, reactions, saved posts, audit log. */
import type { Migration } from '../migrations.js';

export const core: Migration = {
  version: 1,
  name: 'core',
  sql: `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT,
  display_name TEXT NOT NULL DEFAULT '',
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  nickname TEXT NOT NULL DEFAULT '',
  position TEXT NOT NULL DEFAULT '',
  avatar_url TEXT,
  is_bot SMALLINT NOT NULL DEFAULT 0,
  role TEXT NOT NULL DEFAULT 'system_user',
  status_text TEXT NOT NULL DEFAULT '',
  status_emoji TEXT NOT NULL DEFAULT '',
  timezone TEXT NOT NULL DEFAULT '',
  email_verified SMALLINT NOT NULL DEFAULT 0,
  created_at {{BIGINT}} NOT NULL,
  updated_at {{BIGINT}} NOT NULL,
  deactivated_at {{BIGINT}}
);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL,
  created_at {{BIGINT}} NOT NULL,
  expires_at {{BIGINT}} NOT NULL,
  revoked_at {{BIGINT}},
  user_agent TEXT NOT NULL DEFAULT '',
  ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE teams (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL,
  creator_id TEXT NOT NULL REFERENCES users(id),
  created_at {{BIGINT}} NOT NULL,
  updated_at {{BIGINT}} NOT NULL,
  archived_at {{BIGINT}}
);
CREATE TABLE team_members (
  team_id TEXT NOT NULL REFERENCES teams(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  role TEXT NOT NULL,
  created_at {{BIGINT}} NOT NULL,
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id);
CREATE TABLE channels (
  id TEXT PRIMARY KEY,
  team_id TEXT REFERENCES teams(id),
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  display_name TEXT NOT NULL,
  purpose TEXT NOT NULL DEFAULT '',
  header TEXT NOT NULL DEFAULT '',
  creator_id TEXT NOT NULL REFERENCES users(id),
  created_at {{BIGINT}} NOT NULL,
  updated_at {{BIGINT}} NOT NULL,
  archived_at {{BIGINT}},
  last_post_at {{BIGINT}} NOT NULL DEFAULT 0,
  last_post_seq {{BIGINT}} NOT NULL DEFAULT 0,
  member_key TEXT UNIQUE
);
CREATE UNIQUE INDEX channels_team_name ON channels(team_id, name);
CREATE TABLE channel_members (
  channel_id TEXT NOT NULL REFERENCES channels(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  role TEXT NOT NULL,
  last_viewed_seq {{BIGINT}} NOT NULL DEFAULT 0,
  last_viewed_at {{BIGINT}} NOT NULL DEFAULT 0,
  created_at {{BIGINT}} NOT NULL,
  PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_members_user ON channel_members(user_id);
CREATE TABLE posts (
  seq {{SERIAL_PK}},
  id TEXT NOT NULL UNIQUE,
  channel_id TEXT NOT NULL REFERENCES channels(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  root_post_id TEXT,
  message TEXT NOT NULL,
  props TEXT NOT NULL DEFAULT '{}',
  file_ids TEXT NOT NULL DEFAULT '[]',
  is_pinned SMALLINT NOT NULL DEFAULT 0,
  created_at {{BIGINT}} NOT NULL,
  edited_at {{BIGINT}},
  deleted_at {{BIGINT}},
  reply_count INTEGER NOT NULL DEFAULT 0,
  last_reply_at {{BIGINT}},
  client_msg_id TEXT,
  mention_all SMALLINT NOT NULL DEFAULT 0
);
CREATE INDEX posts_channel_seq ON posts(channel_id, seq);
CREATE INDEX posts_root_seq ON posts(root_post_id, seq) WHERE root_post_id IS NOT NULL;
CREATE UNIQUE INDEX posts_client_msg ON posts(user_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
CREATE TABLE post_mentions (
  post_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  seq {{BIGINT}} NOT NULL,
  PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_mentions_user ON post_mentions(user_id, channel_id, seq);
CREATE TABLE reactions (
  post_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id),
  emoji_name TEXT NOT NULL,
  created_at {{BIGINT}} NOT NULL,
  PRIMARY KEY (post_id, user_id, emoji_name)
);
CREATE TABLE saved_posts (
  user_id TEXT NOT NULL REFERENCES users(id),
  post_id TEXT NOT NULL,
  created_at {{BIGINT}} NOT NULL,
  PRIMARY KEY (user_id, post_id)
);
CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,
  actor_id TEXT,
  action TEXT NOT NULL,
  target_type TEXT NOT NULL DEFAULT '',
  target_id TEXT NOT NULL DEFAULT '',
  ip TEXT NOT NULL DEFAULT '',
  details TEXT NOT NULL DEFAULT '{}',
  created_at {{BIGINT}} NOT NULL
);
CREATE INDEX audit_log_created ON audit_log(created_at);
`,
};
