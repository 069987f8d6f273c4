/**
 * Version 14: notifications (issue #15). `notify_prefs`: each user's global notification
 * preferences, one JSON document validated by services/notifications.ts.
 * `channel_notify_props`: a member's preferences for one channel (levels per medium, muted,
 * ignore @channel), also JSON. `notify_email_queue`: e-mail notifications waiting to be sent,
 * one row per (person, post); a worker claims a person's rows in a transaction (claim_token,
 * claimed_until: a crashed sender's claim lapses), sends one mail listing them and deletes
 * them, so that a restart neither loses nor repeats mail. `push_devices`: the phones a
 * session registered (Mattermost mobile's device id), removed with the session or when the
 * push proxy says the device is gone.
 */
import type { Migration } from '../migrations.js';

export const notifications: Migration = {
  version: 14,
  name: 'notifications',
  sql: `
CREATE TABLE notify_prefs (
  user_id TEXT PRIMARY KEY REFERENCES users(id),
  props TEXT NOT NULL,
  updated_at {{BIGINT}} NOT NULL
);
CREATE TABLE channel_notify_props (
  channel_id TEXT NOT NULL REFERENCES channels(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  props TEXT NOT NULL,
  updated_at {{BIGINT}} NOT NULL,
  PRIMARY KEY (channel_id, user_id)
);
CREATE TABLE notify_email_queue (
  id {{SERIAL_PK}},
  user_id TEXT NOT NULL REFERENCES users(id),
  post_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  post_seq {{BIGINT}} NOT NULL,
  reason TEXT NOT NULL,
  created_at {{BIGINT}} NOT NULL,
  due_at {{BIGINT}} NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  claim_token TEXT,
  claimed_until {{BIGINT}},
  UNIQUE (user_id, post_id)
);
CREATE INDEX notify_email_due ON notify_email_queue(due_at);
CREATE INDEX notify_email_claim ON notify_email_queue(claim_token);
CREATE TABLE push_devices (
  session_id TEXT PRIMARY KEY REFERENCES sessions(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  device_id TEXT NOT NULL,
  created_at {{BIGINT}} NOT NULL
);
CREATE INDEX push_devices_user ON push_devices(user_id);
`,
};
