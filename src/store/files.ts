/** Storage of file metadata (the bytes are in storage/blob-storage.ts). */
import type { FileInfo } from '../domain/entities.js';

export interface FileStore {
  /**
   * Inserts the file when the uploader's live files plus this one stay within `quotaBytes`
   * (null: no quota); false when the quota would be exceeded. Checked under the uploader's row
   * lock (PostgreSQL) or the single writer (SQLite), so concurrent uploads cannot both slip under it.
   */
  create(file: FileInfo, quotaBytes: number | null): Promise<boolean>;
  /** A live (not deleted) file. */
  get(id: string): Promise<FileInfo | undefined>;
  /** Live files of these posts, in upload order. */
  forPosts(postIds: readonly string[]): Promise<FileInfo[]>;
  /**
   * Attaches the uploader's own unattached live files of the channel to the post; returns the
   * ids attached (a caller compares with what it asked for and rolls back on a difference).
   */
  attach(ids: readonly string[], postId: string, userId: string, channelId: string): Promise<string[]>;
  /** Marks the live files of these posts deleted; returns them (their objects are to be removed). */
  markDeletedForPosts(postIds: readonly string[], at: number): Promise<FileInfo[]>;
  /** Marks one live file deleted; returns it, or undefined when it was not live. */
  markDeleted(id: string, at: number): Promise<FileInfo | undefined>;
  /**
   * Marks deleted the unattached live files created before `before` (at most `limit`) and
   * returns them. Conditional on still being unattached, so a post attaching one at the same
   * moment either wins (the file stays) or finds it gone (its attach fails).
   */
  expireUnattached(before: number, at: number, limit: number): Promise<FileInfo[]>;
  /** Files marked deleted whose rows remain (their objects may still exist), oldest first. */
  pendingDeletion(limit: number): Promise<FileInfo[]>;
  /** Forgets rows whose objects are gone. */
  purge(ids: readonly string[]): Promise<void>;
  /** Attached live files of a channel, newest first; `before`: the (created_at, id) of the last file of the previous page. */
  listChannel(channelId: string, before: { readonly at: number; readonly id: string } | undefined, limit: number): Promise<FileInfo[]>;
  /** Bytes of the user's live files (attached or not). */
  usage(userId: string): Promise<number>;
  /** Every stored object the metadata knows of (files, deleted ones not yet purged, avatars, live custom emoji), for `files check`. */
  allKeys(): AsyncIterable<{ key: string; kind: 'file' | 'avatar' | 'emoji'; has_preview: boolean }>;
}
