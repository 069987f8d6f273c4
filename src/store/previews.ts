/** Storage of posts' link previews (the image bytes are in storage/blob-storage.ts). */
import type { PostPreview } from '../domain/entities.js';

export interface PreviewStore {
  /** The preview row of a post (dismissed ones included). */
  get(postId: string): Promise<PostPreview | undefined>;
  /** The rows of these posts that are shown: not dismissed. */
  forPosts(postIds: readonly string[]): Promise<PostPreview[]>;
  /** Writes the post's row, replacing any; returns the row it replaced. */
  put(preview: PostPreview): Promise<PostPreview | undefined>;
  /** Forgets the rows of these posts; returns them (their images are to be removed). */
  deleteForPosts(postIds: readonly string[]): Promise<PostPreview[]>;
  /** Every stored preview image key, for `files check`. */
  allImageKeys(): AsyncIterable<string>;
}
