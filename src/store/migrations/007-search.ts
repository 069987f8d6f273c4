/**
 * Version 7: the full-text index of posts (store/search.ts). SQLite: an FTS5 table without
 * content of its own (the text lives in `posts`), keyed by `posts.seq`. PostgreSQL: one
 * tsvector per column with a GIN index each, keyed by `posts.seq`. Both hold the tokens
 * domain/search.ts made (the engines' own analysis is not used, so both agree), plus the
 * post's channel as one token (`chan`), so the read scope can be part of the engine's own
 * match (store/kysely/search.ts).
 *
 * `search_backfill` remembers which older posts still need indexing: everything up to the
 * newest post at migration time; the server indexes them in batches after start (with
 * progress in the log) while new and edited posts are indexed as they are written.
 */
import type { Migration } from '../migrations.js';

export const search: Migration = {
  version: 7,
  name: 'search',
  sql: `
{{POST_SEARCH_TABLE}};
CREATE TABLE search_backfill (pending_through {{BIGINT}} NOT NULL);
INSERT INTO search_backfill (pending_through) SELECT COALESCE(MAX(seq), 0) FROM posts;
`,
};
