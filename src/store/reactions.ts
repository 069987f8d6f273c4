/** Storage of emoji reactions on posts (part of PostStore: a reaction belongs to its post). */
import type { Reaction } from '../domain/entities.js';

export interface ReactionStore {
  /** False when the user already reacted with that emoji. */
  addReaction(reaction: Reaction): Promise<boolean>;
  removeReaction(postId: string, userId: string, emoji: string): Promise<boolean>;
  /** Reactions of the posts in the order they were made. */
  reactionsFor(postIds: readonly string[]): Promise<Reaction[]>;
}
