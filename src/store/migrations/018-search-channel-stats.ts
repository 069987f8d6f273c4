/**
 * Version 18: on PostgreSQL, fewer statistics on `post_search.channel_id` (10 most common values
 * instead of the default 100). The column is only ever filtered by a read scope's channel list
 * (`channel_id = ANY(…)`, hundreds of ids for someone who can read every public channel of a
 * team), and the planner estimates such a list by comparing each id with each most common
 * value: with 100 of them, planning a search statement for 500 channels took about 1 ms, as
 * long as running it (bench/README.md `search`). Ten keep a rough idea of how many posts a list
 * covers, which is all the plan needs. Takes effect with the statistics taken here
 * (`ANALYZE` of that column only: a sample of 3,000 rows). SQLite has no such statistics.
 */
import type { Migration } from '../migrations.js';

export const searchChannelStats: Migration = {
  version: 18,
  name: 'search-channel-stats',
  sql: `
{{POST_SEARCH_CHANNEL_STATS}};
`,
};
