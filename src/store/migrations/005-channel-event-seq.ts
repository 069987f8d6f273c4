/**
 * Version 5: a per-channel counter of ordered real-time events (`channels.event_seq`). A write
 * that publishes to a channel takes the next number in the statement that already updates
 * the channel row (a new post) or in one of its own (edit, delete); the row lock orders the
 * numbers like the commits, and every node delivers the channel's events in that order
 * (realtime/bus/ordered.ts).
 */
import type { Migration } from '../migrations.js';

export const channelEventSeq: Migration = {
  version: 5,
  name: 'channel-event-seq',
  sql: `
ALTER TABLE channels ADD COLUMN event_seq {{BIGINT}} NOT NULL DEFAULT 0;
`,
};
