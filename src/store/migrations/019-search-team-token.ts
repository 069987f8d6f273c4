/**
 * Version 19: on PostgreSQL, the read scope inside the full-text indexes.
 *
 * The index row of a post in a public channel also carries its team's token in `chan`
 * (`p<team id without dashes>`, store/kysely/search.ts teamToken), next to its channel's token:
 * "public channel of a team I belong to" (CHANNEL_POLICY.read) becomes one token per team, so a
 * read scope of hundreds of public channels is a handful of tokens (the teams, plus the private,
 * direct and group channels the person is in). And the three GIN indexes become multi-column,
 * each with `chan`: a word and the scope are intersected inside one index scan, so the capped
 * count reads only readable matches from the table (before: every match of the word, to check
 * its channel there; for a common word about 2,700 rows to count 1,000 in the `search`
 * benchmark, bench/README.md). The single-column `chan` index is no longer used.
 *
 * A channel's type and team never change; rows written later get the team token when they are
 * written (store/kysely/posts.ts, writeIndex). Rewrites the index rows of public channels' posts
 * and rebuilds the three indexes inside the migration. SQLite's FTS5 table keeps its own scope
 * (channel tokens) and needs nothing.
 */
import type { Migration } from '../migrations.js';

export const searchTeamToken: Migration = {
  version: 19,
  name: 'search-team-token',
  sql: `
{{POST_SEARCH_TEAM_TOKEN}};
`,
};
