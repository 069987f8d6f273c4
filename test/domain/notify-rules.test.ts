/**
 * The notification rules as a table: person × channel setting × presence × kind of post →
 * desktop / e-mail / push / nothing. Every row names the rule it protects.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CHANNEL_PROPS, DEFAULT_PREFS, MAX_KEYWORDS, decide, decideAll, keywordMatcher, mayNotify, localTime, mentionsChannel, minuteOfDay, needsChannelMentionConfirm, scheduledDnd,
  type ChannelNotifyProps, type DndSchedule, type NotifyPrefs, type PostFacts, type PresenceStatus, type Recipient,
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
  return { userId: BOB, firstName: 'Robert', prefs: p.prefs, channel: channel(setting), presence, timezone: '', followsThread: p.follows };
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
  ['dnd_ended', 'default', 'dnd', 'here', 'D', 'do-not-disturb past its end time counts as online for @here too'],
  ['defaults', 'default', 'dnd', 'here', '-', '@here does not reach someone in do-not-disturb'],
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

// ---- Do-not-disturb schedules (rule 5): the person's wall clock, weekday boundaries, DST ----

type ScheduleName = 'nights' | 'weekend' | 'sunday_early' | 'sunday_1am' | 'sunday_2am' | 'nights_disabled';

/** Weekdays 0 = Sunday … 6 = Saturday. */
function schedule(name: ScheduleName): DndSchedule {
  switch (name) {
    // Monday to Friday nights, across midnight: Friday's runs into Saturday morning.
    case 'nights': return { enabled: true, days: [1, 2, 3, 4, 5].map((day) => ({ day, start: '22:00', end: '07:00' })) };
    case 'nights_disabled': return { ...schedule('nights'), enabled: false };
    // Whole days: 00:00 to 24:00.
    case 'weekend': return { enabled: true, days: [{ day: 6, start: '00:00', end: '24:00' }, { day: 0, start: '00:00', end: '24:00' }] };
    case 'sunday_early': return { enabled: true, days: [{ day: 0, start: '06:00', end: '08:00' }] };
    // The hour New York repeats when summer time ends (2025-11-02), and the one it skips when it starts (2025-03-09).
    case 'sunday_1am': return { enabled: true, days: [{ day: 0, start: '01:00', end: '02:00' }] };
    case 'sunday_2am': return { enabled: true, days: [{ day: 0, start: '02:00', end: '02:30' }] };
  }
}

type Manual = 'none' | 'dnd_until_changed' | 'dnd_ended';

/** [schedule, time zone, instant (UTC), presence, manual do-not-disturb, kind of post, outcome, why]. 2025-01-06 is a Monday. */
const SCHEDULE_TABLE: Array<[ScheduleName, string, string, PresenceStatus, Manual, Kind, Outcome, string]> = [
  // Inside / outside, across presence: inside counts as do-not-disturb, whatever the presence.
  ['nights', 'UTC', '2025-01-06T23:00Z', 'online', 'none', 'mention', 'E', 'inside, online: desktop held, e-mail queued as for do-not-disturb'],
  ['nights', 'UTC', '2025-01-06T23:00Z', 'offline', 'none', 'mention', 'E', 'inside, offline: no push'],
  ['nights', 'UTC', '2025-01-06T23:00Z', 'away', 'none', 'mention', 'E', 'inside, away: no desktop, no push'],
  ['nights', 'UTC', '2025-01-06T23:00Z', 'online', 'none', 'here', '-', 'inside: @here does not reach them (as do-not-disturb)'],
  ['nights', 'UTC', '2025-01-06T12:00Z', 'online', 'none', 'mention', 'D', 'outside, online: desktop'],
  ['nights', 'UTC', '2025-01-06T12:00Z', 'offline', 'none', 'mention', 'EP', 'outside, offline: e-mail and push'],
  ['nights_disabled', 'UTC', '2025-01-06T23:00Z', 'online', 'none', 'mention', 'D', 'a disabled schedule changes nothing'],
  ['nights_disabled', 'UTC', '2025-01-06T23:00Z', 'offline', 'none', 'mention', 'EP', 'a disabled schedule does not hold push'],
  // Manual do-not-disturb keeps working beside the schedule.
  ['nights', 'UTC', '2025-01-06T12:00Z', 'dnd', 'dnd_until_changed', 'mention', 'E', 'outside the schedule, manual do-not-disturb still holds'],
  ['nights', 'UTC', '2025-01-06T12:00Z', 'dnd', 'dnd_ended', 'mention', 'D', 'outside the schedule, an ended manual do-not-disturb is online'],
  ['nights', 'UTC', '2025-01-06T23:00Z', 'dnd', 'dnd_ended', 'mention', 'E', 'inside the schedule, an ended manual do-not-disturb changes nothing'],
  // Start inclusive, end exclusive; across midnight the period belongs to the day it starts on.
  ['nights', 'UTC', '2025-01-06T21:59Z', 'online', 'none', 'mention', 'D', 'Monday 21:59: one minute before'],
  ['nights', 'UTC', '2025-01-06T22:00Z', 'online', 'none', 'mention', 'E', 'Monday 22:00: the start counts'],
  ['nights', 'UTC', '2025-01-07T06:59Z', 'online', 'none', 'mention', 'E', 'Tuesday 06:59: Monday\'s night, past midnight'],
  ['nights', 'UTC', '2025-01-07T07:00Z', 'online', 'none', 'mention', 'D', 'Tuesday 07:00: the end does not count'],
  ['nights', 'UTC', '2025-01-11T06:00Z', 'online', 'none', 'mention', 'E', 'Saturday 06:00: Friday\'s night runs into Saturday'],
  ['nights', 'UTC', '2025-01-11T23:00Z', 'online', 'none', 'mention', 'D', 'Saturday 23:00: Saturday has no period'],
  ['nights', 'UTC', '2025-01-12T06:00Z', 'online', 'none', 'mention', 'D', 'Sunday 06:00: Saturday has no night to run into Sunday'],
  ['nights', 'UTC', '2025-01-13T06:00Z', 'online', 'none', 'mention', 'D', 'Monday 06:00: Sunday has no night either'],
  ['weekend', 'UTC', '2025-01-11T00:00Z', 'online', 'none', 'mention', 'E', 'Saturday 00:00: a whole day from its first minute'],
  ['weekend', 'UTC', '2025-01-12T23:59Z', 'online', 'none', 'mention', 'E', 'Sunday 23:59: to its last'],
  ['weekend', 'UTC', '2025-01-13T00:00Z', 'online', 'none', 'mention', 'D', 'Monday 00:00: 24:00 is the end of Sunday'],
  ['weekend', 'UTC', '2025-01-10T23:59Z', 'online', 'none', 'mention', 'D', 'Friday 23:59: not yet'],
  // The person's time zone.
  ['nights', 'Asia/Tokyo', '2025-01-06T13:30Z', 'online', 'none', 'mention', 'E', 'Tokyo: 13:30 UTC is Monday 22:30 there'],
  ['nights', 'Asia/Tokyo', '2025-01-06T23:00Z', 'online', 'none', 'mention', 'D', 'Tokyo: 23:00 UTC is Tuesday 08:00 there'],
  ['weekend', 'Asia/Tokyo', '2025-01-10T15:00Z', 'online', 'none', 'mention', 'E', 'Tokyo: Friday 15:00 UTC is already Saturday'],
  ['weekend', 'America/Los_Angeles', '2025-01-13T05:00Z', 'online', 'none', 'mention', 'E', 'Los Angeles: Monday 05:00 UTC is still Sunday'],
  ['nights', '', '2025-01-06T23:00Z', 'online', 'none', 'mention', 'E', 'no time zone set: UTC'],
  ['nights', '', '2025-01-06T12:00Z', 'online', 'none', 'mention', 'D', 'no time zone set: UTC, outside'],
  ['nights', 'Mars/Olympus_Mons', '2025-01-06T23:00Z', 'online', 'none', 'mention', 'E', 'an unknown time zone: UTC'],
  ['nights', 'Mars/Olympus_Mons', '2025-01-06T12:00Z', 'online', 'none', 'mention', 'D', 'an unknown time zone: UTC, outside'],
  // New York around its changes of time (a fixed offset would get these wrong).
  ['sunday_early', 'America/New_York', '2025-03-09T10:30Z', 'online', 'none', 'mention', 'E', 'summer time began: 10:30 UTC is 06:30 EDT (05:30 in winter time)'],
  ['sunday_early', 'America/New_York', '2025-03-09T12:30Z', 'online', 'none', 'mention', 'D', 'summer time began: 12:30 UTC is 08:30 EDT'],
  ['sunday_early', 'America/New_York', '2025-11-02T10:30Z', 'online', 'none', 'mention', 'D', 'summer time ended: 10:30 UTC is 05:30 EST (06:30 in summer time)'],
  ['sunday_early', 'America/New_York', '2025-11-02T12:30Z', 'online', 'none', 'mention', 'E', 'summer time ended: 12:30 UTC is 07:30 EST'],
  ['sunday_1am', 'America/New_York', '2025-11-02T05:30Z', 'online', 'none', 'mention', 'E', 'the repeated hour, first time: 01:30 EDT'],
  ['sunday_1am', 'America/New_York', '2025-11-02T06:30Z', 'online', 'none', 'mention', 'E', 'the repeated hour, second time: 01:30 EST'],
  ['sunday_1am', 'America/New_York', '2025-11-02T07:30Z', 'online', 'none', 'mention', 'D', 'after the repeated hour: 02:30 EST'],
  ['sunday_2am', 'America/New_York', '2025-03-09T06:59Z', 'online', 'none', 'mention', 'D', 'before the skipped hour: 01:59 EST'],
  ['sunday_2am', 'America/New_York', '2025-03-09T07:00Z', 'online', 'none', 'mention', 'D', 'the skipped hour never occurs: 07:00 UTC is 03:00 EDT'],
];

function scheduledOutcome(name: ScheduleName, timezone: string, at: string, presence: PresenceStatus, manual: Manual, kind: Kind): Outcome {
  const now = Date.parse(at);
  const dnd_end_at = manual === 'dnd_ended' ? now - 1 : null;
  const r: Recipient = { ...recipient('defaults', 'default', presence), timezone, prefs: { ...DEFAULT_PREFS, dnd_end_at, dnd_schedule: schedule(name) } };
  const d = decide(post(kind), r, now);
  if (d === undefined) return '-';
  return `${d.desktop ? 'D' : ''}${d.email ? 'E' : ''}${d.push ? 'P' : ''}`;
}

describe('do-not-disturb schedules', () => {
  it.each(SCHEDULE_TABLE)('%s in %j at %s × %s (manual %s) × %s → %s (%s)', (name, timezone, at, presence, manual, kind, expected) => {
    expect(scheduledOutcome(name, timezone, at, presence, manual, kind)).toBe(expected);
  });

  it('reads the wall clock of a zone with Intl, and times of day strictly', () => {
    expect(localTime(Date.parse('2025-01-06T00:00Z'), 'UTC')).toEqual({ day: 1, minute: 0 });
    expect(localTime(Date.parse('2025-01-06T00:00Z'), 'America/New_York')).toEqual({ day: 0, minute: 19 * 60 });
    expect(localTime(Date.parse('2025-01-06T00:00Z'), 'Asia/Kolkata')).toEqual({ day: 1, minute: 5 * 60 + 30 });
    expect(localTime(Date.parse('2025-01-06T23:59Z'), '')).toEqual({ day: 1, minute: 23 * 60 + 59 });
    expect(localTime(Date.parse('2025-01-06T23:59Z'), 'not a zone')).toEqual({ day: 1, minute: 23 * 60 + 59 });
    expect(minuteOfDay('00:00')).toBe(0);
    expect(minuteOfDay('23:59')).toBe(1439);
    expect(minuteOfDay('24:00')).toBe(1440);
    for (const bad of ['24:01', '7:00', '07:60', '25:00', '0700', ' 07:00', '07:00:00', '']) expect(minuteOfDay(bad)).toBeNaN();
  });

  it('ignores an empty or disabled schedule', () => {
    const at = Date.parse('2025-01-06T23:00Z');
    expect(scheduledDnd({ enabled: true, days: [] }, 'UTC', at)).toBe(false);
    expect(scheduledDnd(schedule('nights_disabled'), 'UTC', at)).toBe(false);
    expect(scheduledDnd(schedule('nights'), 'UTC', at)).toBe(true);
  });
});

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

  it('knows without presence whom a post could notify: every person, setting and post of the table, under every presence', () => {
    const persons: Person[] = ['defaults', 'all_levels', 'none_levels', 'keywords', 'first_name_opt_in', 'no_channel_mentions', 'dnd_until_later', 'dnd_ended', 'follows_thread'];
    const settings: ChannelSetting[] = ['default', 'muted', 'all', 'none', 'ignore_channel', 'unignore_channel', 'desktop_only_all'];
    const kinds: Kind[] = ['plain', 'mention', 'channel', 'here', 'keyword', 'first_name', 'dm', 'group', 'thread_reply', 'own', 'code_mention'];
    const presences: PresenceStatus[] = ['online', 'away', 'offline', 'dnd'];
    let kept = 0;
    let left = 0;
    for (const person of persons) {
      for (const setting of settings) {
        for (const kind of kinds) {
          const may = mayNotify(post(kind), [recipient(person, setting, 'offline')], NOW).length === 1;
          const any = presences.some((presence) => decide(post(kind), recipient(person, setting, presence), NOW) !== undefined);
          // Never leaves out someone some presence would notify; never keeps someone none would.
          expect(may, `${person} × ${setting} × ${kind}`).toBe(any);
          if (may) kept++;
          else left++;
        }
      }
    }
    expect(kept).toBeGreaterThan(0);
    expect(left).toBeGreaterThan(0);
    // A plain post among people with default preferences: nobody, so presence is not asked at all.
    expect(mayNotify(post('plain'), [recipient('defaults', 'default', 'offline'), { ...recipient('defaults', 'default', 'offline'), userId: 'carol-id' }], NOW)).toEqual([]);
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
