/**
 * Full-text search over posts, and the lookups of the other searches (files, channels). One
 * interface, two engines (store/kysely/search.ts: SQLite FTS5 and PostgreSQL tsvector + GIN),
 * one contract suite (test/store/contract/search.test.ts) that expects the same answers.
 *
 * The index holds what domain/search.ts made of each post (a SearchDocument: plain tokens),
 * written by PostStore in the same transaction as the post itself (create, edit, delete).
 * Authorization is part of every query: `scope` (domain/policy.ts ChannelReadScope) is compiled
 * into the WHERE clause, so totals and pages only ever count what the caller may read.
 */
import type { Channel, FileInfo, Post } from '../domain/entities.js';
import type { ChannelReadScope } from '../domain/policy.js';
import type { SearchClause } from '../domain/search.js';

/** A post's text as the index sees it: space-separated tokens (domain/search.ts searchDocument). */
export interface SearchDocument {
  readonly words: string;
  readonly stems: string;
  readonly tags: string;
}

/** What to look for, and within what. Every filter narrows; absent filters do not. */
export interface PostQuery {
  readonly scope: ChannelReadScope;
  readonly clauses: readonly SearchClause[];
  /** Team channels of this team only (direct and group channels always count). */
  readonly teamId?: string | undefined;
  /** Only these channels (an empty list matches nothing). */
  readonly channelIds?: readonly string[] | undefined;
  /** Only posts by these users (an empty list matches nothing). */
  readonly userIds?: readonly string[] | undefined;
  readonly createdFrom?: number | undefined;
  readonly createdBefore?: number | undefined;
  readonly isPinned?: boolean | undefined;
  readonly hasFile?: boolean | undefined;
  readonly hasImage?: boolean | undefined;
}

export interface PostPageRequest {
  readonly order: 'newest' | 'relevance';
  /** Newest order: posts with a lower seq than this (cursor paging). */
  readonly beforeSeq?: number | undefined;
  /** Relevance order: how many to skip. */
  readonly offset: number;
  readonly limit: number;
}

export interface FileQuery {
  readonly scope: ChannelReadScope;
  /** Lower-cased words that must all appear in the name. */
  readonly nameWords: readonly string[];
  readonly teamId?: string | undefined;
  readonly channelIds?: readonly string[] | undefined;
  readonly userIds?: readonly string[] | undefined;
  readonly createdFrom?: number | undefined;
  readonly createdBefore?: number | undefined;
  /** Lower-case extensions (`pdf`), any of them. */
  readonly extensions?: readonly string[] | undefined;
  /** MIME type prefixes (`image/`, `application/pdf`), any of them. */
  readonly mimePrefixes?: readonly string[] | undefined;
}

/**
 * Results are capped when counting: `total` is exact up to this, then says "at least" (the
 * web client shows "1,000+ results", as Slack does). Counting every match of a common word
 * would cost more than finding the page (bench/README.md `search`).
 */
export const SEARCH_COUNT_CAP = 1_000;

export interface SearchStore {
  /** Matching live posts the scope may read, in the requested order, and how many there are in all (up to SEARCH_COUNT_CAP). */
  posts(query: PostQuery, page: PostPageRequest): Promise<{ posts: Post[]; total: number }>;
  /** Posted files whose name has every word, in channels the scope may read, newest first. */
  files(query: FileQuery, offset: number, limit: number): Promise<{ files: FileInfo[]; total: number }>;
  /**
   * Channels whose name, display name or purpose has every word (lower-cased), among the team
   * channels the scope may read (never direct or group messages), archived ones only when asked.
   */
  channels(scope: ChannelReadScope, words: readonly string[], opts: { teamId?: string | undefined; includeArchived: boolean; limit: number }): Promise<Channel[]>;
  /**
   * Indexes up to `limit` posts written before the index existed (newest first), with
   * `analyze`; returns how many it indexed and how many remain. Safe to run while posts are
   * written and edited (each batch is one transaction that locks its rows).
   */
  backfill(limit: number, analyze: (message: string) => SearchDocument): Promise<{ indexed: number; remaining: number }>;
}
