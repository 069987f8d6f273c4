/**
 * Version 8: followed threads (Mattermost's collapsed reply threads; store/threads.ts).
 *
 * - `posts.reply_participants`: on a root, the ids of its most recent repliers (JSON array,
 *   newest first, a few at most), kept with `reply_count` and `last_reply_at`.
 * - `thread_memberships`: one row per user and thread root the user follows or has read.
 *   `following` says whether it is in their Threads list; `last_viewed_seq` is their read
 *   position in the thread; `unread_replies` and `unread_mentions` are kept up to date by
 *   each reply (and recounted from the posts when a reply is deleted or edited, or a
 *   membership starts); `updated_at` is the thread's last activity (the list's order).
 * - `thread_settings`: per-user preference: replies collapsed into threads (the default,
 *   when a user has no row) or shown inline in the channel.
 *
 * Threads that already have replies are followed by their root's author and their repliers,
 * read up to their newest reply (nobody gets a flood of old unread threads).
 */
import type { Migration } from '../migrations.js';

export const threads: Migration = {
  version: 8,
  name: 'threads',
  sql: `
ALTER TABLE posts ADD COLUMN reply_participants TEXT NOT NULL DEFAULT '[]';
CREATE TABLE thread_memberships (
  user_id TEXT NOT NULL REFERENCES users(id),
  root_id TEXT NOT NULL REFERENCES posts(id),
  channel_id TEXT NOT NULL REFERENCES channels(id),
  following SMALLINT NOT NULL DEFAULT 1,
  last_viewed_seq {{BIGINT}} NOT NULL DEFAULT 0,
  last_viewed_at {{BIGINT}} NOT NULL DEFAULT 0,
  unread_replies INTEGER NOT NULL DEFAULT 0,
  unread_mentions INTEGER NOT NULL DEFAULT 0,
  updated_at {{BIGINT}} NOT NULL,
  PRIMARY KEY (user_id, root_id)
);
CREATE INDEX thread_memberships_root ON thread_memberships(root_id);
CREATE INDEX thread_memberships_user_updated ON thread_memberships(user_id, updated_at);
CREATE TABLE thread_settings (
  user_id TEXT PRIMARY KEY REFERENCES users(id),
  collapsed_threads SMALLINT NOT NULL,
  updated_at {{BIGINT}} NOT NULL
);
INSERT INTO thread_memberships (user_id, root_id, channel_id, following, last_viewed_seq, last_viewed_at, unread_replies, unread_mentions, updated_at)
SELECT DISTINCT who.user_id, r.id, r.channel_id, 1,
  (SELECT MAX(x.seq) FROM posts x WHERE x.root_post_id = r.id), COALESCE(r.last_reply_at, r.created_at), 0, 0, COALESCE(r.last_reply_at, r.created_at)
FROM posts r
JOIN (SELECT p.root_post_id AS root_id, p.user_id AS user_id FROM posts p WHERE p.root_post_id IS NOT NULL AND p.deleted_at IS NULL
      UNION SELECT q.id AS root_id, q.user_id AS user_id FROM posts q WHERE q.reply_count > 0) who ON who.root_id = r.id
WHERE r.deleted_at IS NULL AND r.root_post_id IS NULL AND r.reply_count > 0;
`,
};
