/**
 * Versioned schema migrations, written once for both databases. `{{…}}` placeholders are
 * the only dialect differences; statements are separated by a `;` at the end of a line.
 * A migration never changes once released: add a new file in migrations/ and list it below.
 */
import { core } from './migrations/001-core.js';
import { sso } from './migrations/002-sso.js';
import { passwordReset } from './migrations/003-password-reset.js';
import { exchangeBinding } from './migrations/004-exchange-binding.js';
import { channelEventSeq } from './migrations/005-channel-event-seq.js';
import { files } from './migrations/006-files.js';
import { search } from './migrations/007-search.js';
import { customEmoji } from './migrations/009-custom-emoji.js';
import { linkPreviews } from './migrations/010-link-previews.js';
import { threads } from './migrations/008-threads.js';
import { screens } from './migrations/011-screens.js';
import { searchChannel } from './migrations/015-search-channel.js';
import { webhooks } from './migrations/012-webhooks.js';
import { commandsTokens } from './migrations/013-commands-tokens.js';
import { notifications } from './migrations/014-notifications.js';
import { dndSchedule } from './migrations/016-dnd-schedule.js';
import { attachmentImages } from './migrations/017-attachment-images.js';
import { searchChannelStats } from './migrations/018-search-channel-stats.js';
import { searchTeamToken } from './migrations/019-search-team-token.js';
export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const TYPES: Record<Dialect, Record<string, string>> = {
  sqlite: {
    SERIAL_PK: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    BIGINT: 'INTEGER',
    POST_SEARCH_TABLE: "CREATE VIRTUAL TABLE post_search USING fts5(words, stems, tags, chan, tokenize='unicode61 remove_diacritics 0', content='', contentless_delete=1)",
    // FTS5 keeps the channel as the `chan` token already.
    POST_SEARCH_CHANNEL: '',
    POST_SEARCH_CHANNEL_STATS: '',
    POST_SEARCH_TEAM_TOKEN: '',
  },
  postgres: {
    SERIAL_PK: 'BIGSERIAL PRIMARY KEY',
    BIGINT: 'BIGINT',
    POST_SEARCH_TABLE: [
      'CREATE TABLE post_search (seq BIGINT PRIMARY KEY, words tsvector NOT NULL, stems tsvector NOT NULL, tags tsvector NOT NULL, chan tsvector NOT NULL)',
      'CREATE INDEX post_search_words ON post_search USING GIN (words)',
      'CREATE INDEX post_search_stems ON post_search USING GIN (stems)',
      'CREATE INDEX post_search_tags ON post_search USING GIN (tags)',
      'CREATE INDEX post_search_chan ON post_search USING GIN (chan)',
    ].join(';\n'),
    POST_SEARCH_CHANNEL: [
      'ALTER TABLE post_search ADD COLUMN channel_id TEXT',
      'UPDATE post_search SET channel_id = p.channel_id FROM posts p WHERE p.seq = post_search.seq',
    ].join(';\n'),
    POST_SEARCH_CHANNEL_STATS: [
      'ALTER TABLE post_search ALTER COLUMN channel_id SET STATISTICS 10',
      'ANALYZE post_search (channel_id)',
    ].join(';\n'),
    POST_SEARCH_TEAM_TOKEN: [
      'DROP INDEX post_search_words',
      'DROP INDEX post_search_stems',
      'DROP INDEX post_search_tags',
      'DROP INDEX post_search_chan',
      "UPDATE post_search SET chan = post_search.chan || ('p' || lower(regexp_replace(c.team_id, '[^0-9a-zA-Z]', '', 'g')))::tsvector FROM channels c WHERE c.id = post_search.channel_id AND c.type = 'public' AND c.team_id IS NOT NULL",
      'CREATE INDEX post_search_words ON post_search USING GIN (words, chan)',
      'CREATE INDEX post_search_stems ON post_search USING GIN (stems, chan)',
      'CREATE INDEX post_search_tags ON post_search USING GIN (tags, chan)',
    ].join(';\n'),
  },
};

export function renderStatements(migration: Migration, dialect: Dialect): string[] {
  const text = migration.sql.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
    const t = TYPES[dialect][name];
    if (t === undefined) throw new Error(`unknown migration placeholder ${name}`);
    return t;
  });
  return text
    .split(/;\s*\n/)
    .map((s) => s.trim().replace(/;$/, ''))
    .filter((s) => s !== '' && !/^(--[^\n]*\n?)+$/.test(s));
}

export const MIGRATIONS: readonly Migration[] = [core, sso, passwordReset, exchangeBinding, channelEventSeq, files, search, threads, customEmoji, linkPreviews, screens, webhooks, commandsTokens, notifications, searchChannel, dndSchedule, attachmentImages, searchChannelStats, searchTeamToken];
