/**
 * The search query language and the text analysis behind it: pure functions, shared by the
 * indexer (what a post's text becomes in the index) and the query side (what a typed query
 * becomes), so both engines (SQLite FTS5, PostgreSQL tsvector) see exactly the same tokens and
 * give the same answers. Nothing typed ever reaches an engine raw: queries are parsed here
 * into clauses of plain tokens, which the store renders in its engine's syntax.
 *
 * Analysis: Unicode NFKC, case folding, diacritics removed, split into runs of letters and
 * digits. Three index columns:
 *   words  every token in order (phrases and prefixes match here: `deploy_prod` is the phrase
 *          "deploy prod", `user@example.com` the phrase "user example com": they find themselves);
 *   stems  the English stem of every token made of lower-case ASCII letters only (others
 *          unchanged: no stemming surprises for names with digits, code or addresses);
 *   tags   the hashtags (`#release-1.2` → token `release12`... see hashtagToken).
 *
 * THIS FILE IS A SKETCH OF THE INTERFACE; the implementation lands with its tests.
 */

/** Which index column a clause is matched against. */
export type SearchColumn = 'words' | 'stems' | 'tags';

/** A sequence of tokens that must appear in order (one token: a single word); `prefix`: the last token is a prefix. */
export interface SearchAtom {
  readonly tokens: readonly string[];
  readonly prefix: boolean;
}

export interface SearchClause {
  readonly column: SearchColumn;
  readonly atom: SearchAtom;
  /** `-word`: posts containing it are excluded. */
  readonly negated: boolean;
}

export interface ParsedSearch {
  /** Every positive clause must match; no negated clause may match. */
  readonly clauses: readonly SearchClause[];
  /** `from:@username` / `from:username` (lower-case, without `@`); any of them. */
  readonly from: readonly string[];
  /** `in:~channel-name` / `in:channel-name` (channel names, lower-case); any of them. */
  readonly inChannels: readonly string[];
  /** `in:@username`: the direct channel with that user; any of them (together with inChannels). */
  readonly inUsers: readonly string[];
  /** Inclusive lower bound on created_at, ms (from `after:` and `on:`). */
  readonly createdFrom: number | undefined;
  /** Exclusive upper bound on created_at, ms (from `before:` and `on:`). */
  readonly createdBefore: number | undefined;
  readonly isPinned: boolean;
  readonly hasFile: boolean;
  readonly hasImage: boolean;
}
