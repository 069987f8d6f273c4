/** Storage of each user's saved (bookmarked) posts (part of PostStore). */
import type { Post } from '../domain/entities.js';

export interface SavedPostStore {
  /** False when already saved. */
  save(userId: string, postId: string, at: number): Promise<boolean>;
  unsave(userId: string, postId: string): Promise<boolean>;
  /** Saved posts that are still live, newest save first. */
  listSaved(userId: string, offset: number, limit: number): Promise<Post[]>;
}
