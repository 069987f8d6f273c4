/** Storage of the images of posts' Slack attachments (the image bytes are in storage/blob-storage.ts). */
import type { AttachmentImage } from '../domain/entities.js';

export interface AttachmentImageStore {
  /** The rows of these posts, by post, then attachment, then kind (`image` before `thumb`). */
  forPosts(postIds: readonly string[]): Promise<AttachmentImage[]>;
  /**
   * Writes a post's rows, all or none: false (nothing written) when the post already has some
   * (its images are fetched once, after it was created).
   */
  add(rows: readonly AttachmentImage[]): Promise<boolean>;
  /** Forgets the rows of these posts; returns them (their images are to be removed). */
  deleteForPosts(postIds: readonly string[]): Promise<AttachmentImage[]>;
  /** Every stored image key, for `files check` (a key two rows share comes once per row). */
  allImageKeys(): AsyncIterable<string>;
}
