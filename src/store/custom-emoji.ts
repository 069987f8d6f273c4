/** Storage of custom emoji metadata (the images are in storage/blob-storage.ts). */
import type { CustomEmoji } from '../domain/entities.js';

export interface CustomEmojiStore {
  /** Inserts a live custom emoji; UniqueViolation when a live one already has the name. */
  create(emoji: CustomEmoji): Promise<void>;
  /** A live custom emoji by id. */
  get(id: string): Promise<CustomEmoji | undefined>;
  /** A live custom emoji by name. */
  getByName(name: string): Promise<CustomEmoji | undefined>;
  /** Live custom emoji ordered by name (byte order), a page at a time. */
  list(offset: number, limit: number): Promise<CustomEmoji[]>;
  /** How many live custom emoji there are (by `creatorId` only, when given). */
  countLive(creatorId?: string): Promise<number>;
  /** Marks a live custom emoji deleted; returns it, or undefined when it was not live. */
  markDeleted(id: string, at: number): Promise<CustomEmoji | undefined>;
}
