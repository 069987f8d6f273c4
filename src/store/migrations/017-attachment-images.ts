/**
 * Version 17: the images of posts' Slack attachments (AttachmentImage in domain/entities.ts),
 * fetched by the server after the post committed (services/attachment-images.ts).
 *
 * A table of its own rather than post props, for the reason link previews have one (version
 * 10): props are what clients send, and the storage key these rows hold must never be
 * something a client can set. Rows go with their post (deleted in the post's delete
 * transaction, the image objects after the commit).
 */
import type { Migration } from '../migrations.js';

export const attachmentImages: Migration = {
  version: 17,
  name: 'attachment_images',
  sql: `
CREATE TABLE post_attachment_images (
  post_id TEXT NOT NULL,
  attachment_index INTEGER NOT NULL,
  kind TEXT NOT NULL,
  image_key TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  created_at {{BIGINT}} NOT NULL,
  PRIMARY KEY (post_id, attachment_index, kind)
);
`,
};
