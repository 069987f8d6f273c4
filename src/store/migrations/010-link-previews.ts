/**
 * Version 10: link previews (one per post, see PostPreview in domain/entities.ts).
 *
 * A table of its own rather than post props: props are the client's, previews are the
 * server's (written after the post committed, by a background fetch), and the image key they
 * hold must never be something a client can set. Rows go with their post (deleted in the
 * post's delete transaction, the image object after the commit).
 */
import type { Migration } from '../migrations.js';

export const linkPreviews: Migration = {
  version: 10,
  name: 'link_previews',
  sql: `
CREATE TABLE post_previews (
  post_id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  title TEXT,
  description TEXT,
  site_name TEXT,
  image_key TEXT,
  image_width INTEGER,
  image_height INTEGER,
  dismissed SMALLINT NOT NULL DEFAULT 0,
  created_at {{BIGINT}} NOT NULL
);
`,
};
