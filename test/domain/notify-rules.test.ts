/**
 * The notification rules as a table: person × channel setting × presence × kind of post →
 * desktop / e-mail / push / nothing. Every row names the rule it protects.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CHANNEL_PROPS, DEFAULT_PREFS, MAX_KEYWORDS, decide, decideAll, keywordMatcher, mentionsChannel, needsChannelMentionConfirm,
  type ChannelNotifyProps, type NotifyPrefs, type PostFacts, type PresenceStatus, type Recipient,
} from '../../src/domain/notify-rules.js';

const NOW = 1_800_000_000_000;
const BOB = 'bob-id';
const ALICE = 'alice-id';

type Kind = 'plain' | 'mention' | 'channel' | 'here' | 'keyword' | 'first_name' | 'dm' | 'group' | 'thread_reply' | 'own' | 'code_mention';

function post(kind: Kind): PostFacts {
  const base = { authorId: ALICE, channelType: 'public' as const, mentionedIds: new Set<string>(), rootId: null };
  switch (kind) {
    case 'plain': return { ...base, message: 'lunch anyone?' };
    case 'mention': return { ...base, message: 'hey @bob look', mentionedIds: new Set([BOB]) };
    case 'channel': return { ...base, message: '@channel release at 5' };
    case 'here': return { ...base, message: '@here standup' };
    case 'keyword': return { ...base, message: 'the Deploy.Pipeline (v2) broke' };
    case 'first_name': return { ...base, message: 'robert, can you check?' };
    case 'dm': return { ...base, channelType: 'direct', message: 'psst' };
    case 'group': return { ...base, channelType: 'group', message: 'group hello' };
    case 'thread_reply': return { ...base, message: 'a reply', rootId: 'root-id' };
    case 'own': return { ...base, authorId: BOB, message: 'hey @bob', mentionedIds: new Set([BOB]) };
    case 'code_mention': return { ...base, message: 'see `deploy.pipeline (v2)` and ```\n@channel\n```' };
  }
}

type Person = 'defaults' | 'all_levels' | 'none_levels' | 'keywords' | 'first_name_opt_in' | 'no_channel_mentions' | 'dnd_until_later' | 'dnd_ended' | 'follows_thread';

function prefs(person: Person): { prefs: NotifyPrefs; follows: boolean } {
  switch (person) {
    case 'defaults': return { prefs: DEFAULT_PREFS, follows: false };
    case 'all_levels': return { prefs: { ...DEFAULT_PREFS, desktop: 'all', email: 'all', push: 'all' }, follows: false };
    case 'none_levels': return { prefs: { ...DEFAULT_PREFS, desktop: 'none', email: 'none', push: 'none' }, follows: false };
    case 'keywords': return { prefs: { ...DEFAULT_PREFS, keywords: ['deploy.pipeline (v2)'] }, follows: false };
    case 'first_name_opt_in': return { prefs: { ...DEFAULT_PREFS, first_name: true }, follows: false };
    case 'no_channel_mentions': return { prefs: { ...DEFAULT_PREFS, channel_mentions: false }, follows: false };
    case 'dnd_until_later': return { prefs: { ...DEFAULT_PREFS, dnd_end_at: NOW + 60_000 }, follows: false };
    case 'dnd_ended': return { prefs: { ...DEFAULT_PREFS, dnd_end_at: NOW - 1 }, follows: false };
    case 'follows_thread': return { prefs: DEFAULT_PREFS, follows: true };
  }
}

type ChannelSetting = 'default' | 'muted' | 'all' | 'none' | 'ignore_channel' | 'unignore_channel' | 'desktop_only_all';

function channel(setting: ChannelSetting): ChannelNotifyProps {
  switch (setting) {
    case 'default': return DEFAULT_CHANNEL_PROPS;
    case 'muted': return { ...DEFAULT_CHANNEL_PROPS, mark_unread: 'mention' };
    case 'all': return { ...DEFAULT_CHANNEL_PROPS, desktop: 'all', email: 'all', push: 'all' };
    case 'none': return { ...DEFAULT_CHANNEL_PROPS, desktop: 'none', email: 'none', push: 'none' };
    case 'ignore_channel': return { ...DEFAULT_CHANNEL_PROPS, ignore_channel_mentions: 'on' };
    case 'unignore_channel': return { ...DEFAULT_CHANNEL_PROPS, ignore_channel_mentions: 'off' };
    case 'desktop_only_all': return { ...DEFAULT_CHANNEL_PROPS, desktop: 'all', email: 'none', push: 'none' };
  }
}

function recipient(person: Person, setting: ChannelSetting, presence: PresenceStatus): Recipient {
  const p = prefs(person);
  return { userId: BOB, firstName: 'Robert', prefs: p.prefs, channel: channel(setting), presence, followsThread: p.follows };
}

/** D = desktop, E = e-mail, P = push; '-' = nothing at all. */
type Outcome = string;
function outcome(person: Person, setting: ChannelSetting, presence: PresenceStatus, kind: Kind): Outcome {
  const d = decide(post(kind), recipient(person, setting, presence), NOW);
  if (d === undefined) return '-';
  return `${d.desktop ? 'D' : ''}${d.email ? 'E' : ''}${d.push ? 'P' : ''}`;
}

const TABLE: Array<[Person, ChannelSetting, PresenceStatus, Kind, Outcome, string]> = [
  // Mentions by name, across presence (rule 4): desktop while connected, e-mail and push while not online.
  ['defaults', 'default', 'online', 'mention', 'D', 'online: desktop only'],
  ['defaults', 'default', 'away', 'mention', 'DEP', 'away: desktop (client still open), e-mail, push'],
  ['defaults', 'default', 'offline', 'mention', 'EP', 'offline: no client to show a desktop notification'],
  ['defaults', 'default', 'dnd', 'mention', 'E', 'do-not-disturb holds desktop and push; e-mail waits in the queue'],
  ['dnd_until_later', 'default', 'dnd', 'mention', 'E', 'do-not-disturb until a later time still holds'],
  ['dnd_ended', 'default', 'dnd', 'mention', 'D', 'do-not-disturb past its end time counts as online'],
  // Plain posts: only `all` levels notify.
  ['defaults', 'default', 'online', 'plain', '-', 'mention level: a plain post is nothing'],
  ['all_levels', 'default', 'away', 'plain', 'DEP', 'global all: every post'],
  ['defaults', 'all', 'offline', 'plain', 'EP', 'channel all overrides the global mention level'],
  ['all_levels', 'none', 'away', 'mention', '-', 'channel none overrides even a mention'],
  ['none_levels', 'default', 'away', 'mention', '-', 'global none'],
  ['none_levels', 'all', 'away', 'plain', 'DEP', 'channel all overrides global none'],
  ['defaults', 'desktop_only_all', 'away', 'plain', 'D', 'levels are per medium'],
  // Muted channels: nothing at all.
  ['defaults', 'muted', 'away', 'mention', '-', 'muted: not even a mention'],
  ['all_levels', 'muted', 'offline', 'dm', '-', 'muted direct channel: nothing'],
  // Own posts.
  ['all_levels', 'all', 'away', 'own', '-', 'the author is never notified'],
  // @channel / @here and ignoring them.
  ['defaults', 'default', 'away', 'channel', 'DEP', '@channel is a mention'],
  ['defaults', 'ignore_channel', 'away', 'channel', '-', 'the channel ignores @channel'],
  ['no_channel_mentions', 'default', 'away', 'channel', '-', 'globally ignoring @channel'],
  ['no_channel_mentions', 'unignore_channel', 'away', 'channel', 'DEP', 'the channel says not to ignore, over the global setting'],
  ['defaults', 'default', 'online', 'here', 'D', '@here reaches people online'],
  ['defaults', 'default', 'away', 'here', '-', '@here does not reach people away'],
  ['defaults', 'ignore_channel', 'online', 'here', '-', 'ignoring channel mentions covers @here'],
  // Keywords and first name.
  ['keywords', 'default', 'away', 'keyword', 'DEP', 'a keyword with regex characters matches literally, any case'],
  ['defaults', 'default', 'away', 'keyword', '-', 'no keywords, no match'],
  ['keywords', 'default', 'away', 'code_mention', '-', 'keywords and @channel inside code do not count'],
  ['first_name_opt_in', 'default', 'offline', 'first_name', 'EP', 'first name when opted in'],
  ['defaults', 'default', 'offline', 'first_name', '-', 'first name not opted in'],
  // Direct and group messages.
  ['defaults', 'default', 'offline', 'dm', 'EP', 'a direct message is a mention'],
  ['defaults', 'default', 'online', 'group', 'D', 'a group message is a mention'],
  ['none_levels', 'default', 'offline', 'dm', '-', 'global none applies to direct messages too'],
  // Threads.
  ['follows_thread', 'default', 'away', 'thread_reply', 'DEP', 'a reply in a followed thread'],
  ['defaults', 'default', 'away', 'thread_reply', '-', 'a reply in a thread not followed'],
  ['follows_thread', 'muted', 'away', 'thread_reply', '-', 'a followed thread in a muted channel'],
];

describe('notification rules', () => {
  it.each(TABLE)('%s × channel %s × %s × %s → %s (%s)', (person, setting, presence, kind, expected) => {
    expect(outcome(person, setting, presence, kind)).toBe(expected);
  });

  it('says why: the strongest reason', () => {
    expect(decide(post('mention'), recipient('defaults', 'default', 'away'), NOW)?.reason).toBe('mention');
    expect(decide(post('dm'), recipient('defaults', 'default', 'away'), NOW)?.reason).toBe('direct');
    expect(decide(post('channel'), recipient('defaults', 'default', 'away'), NOW)?.reason).toBe('channel');
    expect(decide(post('plain'), recipient('all_levels', 'default', 'away'), NOW)?.reason).toBe('all');
  });

  it('matches keywords literally and as whole words', () => {
    const re = keywordMatcher(['a.c', 'x+', '(?=)', 'C++', 'ünï']);
    expect(re!.test('abc')).toBe(false);
    expect(re!.test('a.c')).toBe(true);
    expect(re!.test('xx')).toBe(false);
    expect(re!.test('x+ y')).toBe(true);
    expect(re!.test('(?=)')).toBe(true);
    expect(re!.test('I like c++!')).toBe(true);
    expect(re!.test('ÜNÏ')).toBe(true);
    expect(re!.test('aünï')).toBe(false);
    expect(keywordMatcher(['pipe'])!.test('pipeline')).toBe(false);
    expect(keywordMatcher([])).toBeNull();
    expect(keywordMatcher(['  '])).toBeNull();
  });

  it(`handles ${MAX_KEYWORDS} keywords of regex characters`, () => {
    const words = Array.from({ length: MAX_KEYWORDS }, (_, i) => `k${i}.*(${'['.repeat(i % 5)}`);
    const r: Recipient = { ...recipient('defaults', 'default', 'away'), prefs: { ...DEFAULT_PREFS, keywords: words } };
    const hit: PostFacts = { ...post('plain'), message: `about k999.*(${'['.repeat(4)} today` };
    expect(decide(hit, r, NOW)?.reason).toBe('keyword');
    expect(decide({ ...post('plain'), message: 'k999 without the rest' }, r, NOW)).toBeUndefined();
  });

  it('decides for many people with the post parsed once', () => {
    const people = [recipient('defaults', 'default', 'away'), { ...recipient('defaults', 'default', 'offline'), userId: 'carol-id' }, { ...recipient('defaults', 'default', 'online'), userId: ALICE }];
    const all = decideAll(post('channel'), people, NOW);
    expect([...all.keys()].sort()).toEqual([BOB, 'carol-id']);
  });

  it('asks to confirm @channel / @all / @here above the member limit only', () => {
    expect(needsChannelMentionConfirm('@channel hi', 6, 5)).toBe(true);
    expect(needsChannelMentionConfirm('@all hi', 6, 5)).toBe(true);
    expect(needsChannelMentionConfirm('@here hi', 6, 5)).toBe(true);
    expect(needsChannelMentionConfirm('@channel hi', 5, 5)).toBe(false);
    expect(needsChannelMentionConfirm('@bob hi', 600, 5)).toBe(false);
    expect(needsChannelMentionConfirm('`@channel` hi', 600, 5)).toBe(false);
    expect(mentionsChannel('hello @here')).toBe(true);
    expect(mentionsChannel('hello')).toBe(false);
  });
});
