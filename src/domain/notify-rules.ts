/**
 * Who is notified of a new post, and how: one pure function (`decide`) per post and person,
 * from what the post says (mentions, keywords, direct/group message, reply in a followed
 * thread), where it was posted (the person's channel preferences), the person's global
 * preferences per medium and their presence. Services gather the facts; this file only
 * decides (test/domain/notify-rules.test.ts is the table).
 *
 * The rules, in order:
 * 1. The author is never notified of their own post; nor is anyone in a channel they muted
 *    (`mark_unread: mention`), whatever the post says.
 * 2. The post "mentions" the person when it names them (`@user`), says `@channel`/`@all`
 *    (or `@here` while they are online) unless they ignore channel-wide mentions in that
 *    channel, contains one of their keywords (matched literally, any case, as a whole word) or
 *    their first name (when they opted in), is in a direct or group channel, or replies in a
 *    thread they follow.
 * 3. Each medium has a level: the channel's own (`all` / `mention` / `none`) unless it is
 *    `default`, then the person's global one. `all`: every post; `mention`: mentions only
 *    (rule 2); `none`: nothing.
 * 4. Presence: desktop needs a connected client (not offline) and no active do-not-disturb;
 *    push is for people not online (away, offline) and never during do-not-disturb; e-mail is
 *    for people not online (the e-mail queue waits the configured delay and drops what they
 *    read meanwhile). Do-not-disturb ends at its end time (`dnd_end_at`), after which the
 *    person counts as online.
 * 5. A do-not-disturb schedule (`dnd_schedule`: quiet hours per weekday, in the person's own
 *    time zone) makes them count as in do-not-disturb during its periods, whatever their
 *    presence: exactly as a manual do-not-disturb (no desktop, no push, e-mail queued, `@here`
 *    does not reach them). Outside its periods, manual do-not-disturb works as in rule 4.
 */
import type { ChannelType } from './entities.js';
import { parseMentions } from './mentions.js';

export type NotifyLevel = 'all' | 'mention' | 'none';
export type ChannelNotifyLevel = 'default' | NotifyLevel;
export type EmailInterval = 'immediately' | 'fifteen' | 'hour';
export type PresenceStatus = 'online' | 'away' | 'dnd' | 'offline';

export const MAX_KEYWORDS = 1000;
export const MAX_KEYWORD_LENGTH = 64;

/** A person's global notification preferences (GET/PUT /users/me/preferences/notifications). */
export interface NotifyPrefs {
  readonly desktop: NotifyLevel;
  readonly email: NotifyLevel;
  readonly push: NotifyLevel;
  /** Words that count as a mention of this person (literal, case-insensitive, whole words). */
  readonly keywords: readonly string[];
  /** Their first name counts as a mention. */
  readonly first_name: boolean;
  /** `@channel`, `@all` and `@here` count as mentions (unless a channel says otherwise). */
  readonly channel_mentions: boolean;
  /** Batching: at most one e-mail per this interval. */
  readonly email_interval: EmailInterval;
  /** A hint for the desktop client. */
  readonly desktop_sound: boolean;
  /** Do-not-disturb ends at this time (ms); null: until changed. Only matters while the status is `dnd`. */
  readonly dnd_end_at: number | null;
  /** Recurring quiet hours (rule 5). */
  readonly dnd_schedule: DndSchedule;
}

/**
 * One period of quiet hours: from `start` on weekday `day` (0 = Sunday … 6 = Saturday) to `end`,
 * local times `HH:MM`. An `end` earlier than `start` runs past midnight into the next day
 * (22:00–07:00); `end` may be `24:00` (the end of the day, so 00:00–24:00 is the whole day).
 */
export interface DndPeriod {
  readonly day: number;
  readonly start: string;
  readonly end: string;
}

/** A person's do-not-disturb schedule: at most one period starting on each weekday. */
export interface DndSchedule {
  readonly enabled: boolean;
  readonly days: readonly DndPeriod[];
}

export const DEFAULT_DND_SCHEDULE: DndSchedule = { enabled: false, days: [] };

export const DEFAULT_PREFS: NotifyPrefs = {
  desktop: 'mention', email: 'mention', push: 'mention', keywords: [], first_name: false, channel_mentions: true,
  email_interval: 'fifteen', desktop_sound: true, dnd_end_at: null, dnd_schedule: DEFAULT_DND_SCHEDULE,
};

/** A person's preferences for one channel (PUT /channels/{id}/members/me/notify_props). */
export interface ChannelNotifyProps {
  readonly desktop: ChannelNotifyLevel;
  readonly email: ChannelNotifyLevel;
  readonly push: ChannelNotifyLevel;
  /** `mention` = muted: no notifications at all, the channel is not shown as unread. */
  readonly mark_unread: 'all' | 'mention';
  /** `default`: the global `channel_mentions`; `on`: ignore @channel/@all/@here here; `off`: do not ignore. */
  readonly ignore_channel_mentions: 'default' | 'on' | 'off';
}

export const DEFAULT_CHANNEL_PROPS: ChannelNotifyProps = { desktop: 'default', email: 'default', push: 'default', mark_unread: 'all', ignore_channel_mentions: 'default' };

export const INTERVAL_MS: Readonly<Record<EmailInterval, number>> = { immediately: 0, fifteen: 15 * 60_000, hour: 60 * 60_000 };

/** What a post is, as far as notifications care. */
export interface PostFacts {
  readonly authorId: string;
  readonly channelType: ChannelType;
  readonly message: string;
  /** Users the post names (`@user`), resolved to ids of channel members. */
  readonly mentionedIds: ReadonlySet<string>;
  /** A reply: its thread root's id. */
  readonly rootId: string | null;
}

/** One person who may be notified. */
export interface Recipient {
  readonly userId: string;
  readonly firstName: string;
  readonly prefs: NotifyPrefs;
  readonly channel: ChannelNotifyProps;
  readonly presence: PresenceStatus;
  /** Their IANA time zone (users.timezone); '' or an unknown zone: UTC. Reads the schedule. */
  readonly timezone: string;
  /** They follow the thread the post replies in. */
  readonly followsThread: boolean;
}

export type NotifyReason = 'mention' | 'channel' | 'keyword' | 'direct' | 'thread' | 'all';

export interface Decision {
  readonly desktop: boolean;
  readonly email: boolean;
  readonly push: boolean;
  /** Why the post concerns the person (the strongest reason). */
  readonly reason: NotifyReason;
}

/** Compiled keyword matchers, per keyword list (a person's prefs object is reused across posts). */
const matchers = new WeakMap<readonly string[], RegExp | null>();

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** One expression for all of a person's words: literal text, any case, not inside a longer word. */
export function keywordMatcher(words: readonly string[]): RegExp | null {
  const cached = matchers.get(words);
  if (cached !== undefined) return cached;
  const alternatives = words.map((w) => w.trim()).filter((w) => w !== '').map(escapeRegExp);
  const re = alternatives.length === 0 ? null : new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}_])`, 'iu');
  matchers.set(words, re);
  return re;
}

/** Code spans and blocks never ping (as in domain/mentions.ts). */
function withoutCode(message: string): string {
  return message.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`\n]*`/g, ' ');
}

/** Whether a manual do-not-disturb holds at `now`. */
export function dndActive(presence: PresenceStatus, prefs: NotifyPrefs, now: number): boolean {
  return presence === 'dnd' && (prefs.dnd_end_at === null || prefs.dnd_end_at > now);
}

/** `HH:MM` (00:00–24:00) → minutes since midnight; NaN for anything else. */
export function minuteOfDay(hhmm: string): number {
  const m = /^(\d\d):(\d\d)$/.exec(hhmm);
  if (m === null) return NaN;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return NaN;
  return h * 60 + min;
}

/** One formatter per time zone (the zones are a bounded set: users.timezone is validated on write). */
const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATTERS = 1000;
const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function makeFormatter(zone: string): Intl.DateTimeFormat | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  } catch {
    return undefined;
  }
}

function formatterFor(timezone: string): Intl.DateTimeFormat {
  const zone = timezone.trim() === '' ? 'UTC' : timezone;
  let f = formatters.get(zone);
  if (f === undefined) {
    // A zone this runtime does not know (saved before its tz data changed): UTC.
    f = makeFormatter(zone) ?? makeFormatter('UTC')!;
    if (formatters.size >= MAX_FORMATTERS) formatters.clear();
    formatters.set(zone, f);
  }
  return f;
}

/** The weekday (0 = Sunday) and minute of the day at `now` on the wall clock of `timezone` ('' or unknown: UTC). */
export function localTime(now: number, timezone: string): { day: number; minute: number } {
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatterFor(timezone).formatToParts(now)) {
    if (part.type === 'weekday') day = WEEKDAYS[part.value] ?? 0;
    else if (part.type === 'hour') hour = Number(part.value) % 24;
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minute: hour * 60 + minute };
}

/**
 * Whether the schedule's quiet hours hold at `now` in `timezone`: a period covers [start, end)
 * of its day, or, when it runs past midnight, [start, 24:00) of its day and [00:00, end) of the
 * next. Wall-clock times: on a day the clocks skip an hour, times in the gap never occur; on a
 * day they repeat one, both occurrences count.
 */
export function scheduledDnd(schedule: DndSchedule, timezone: string, now: number): boolean {
  if (!schedule.enabled || schedule.days.length === 0) return false;
  const { day, minute } = localTime(now, timezone);
  const yesterday = (day + 6) % 7;
  for (const p of schedule.days) {
    const start = minuteOfDay(p.start);
    const end = minuteOfDay(p.end);
    if (Number.isNaN(start) || Number.isNaN(end) || start === end) continue;
    if (end > start) {
      if (p.day === day && minute >= start && minute < end) return true;
    } else if ((p.day === day && minute >= start) || (p.day === yesterday && minute < end)) {
      return true;
    }
  }
  return false;
}

/** Whether the person counts as in do-not-disturb at `now`: manual (until its end) or scheduled. */
export function inDoNotDisturb(r: Recipient, now: number): boolean {
  return dndActive(r.presence, r.prefs, now) || scheduledDnd(r.prefs.dnd_schedule, r.timezone, now);
}

/** Why the post concerns the person, or undefined when it does not (beyond `all`-level channels). */
function reasonFor(post: PostFacts, r: Recipient, presence: PresenceStatus, text: string, channelWide: { all: boolean; here: boolean }): NotifyReason | undefined {
  if (post.mentionedIds.has(r.userId)) return 'mention';
  if (post.channelType === 'direct' || post.channelType === 'group') return 'direct';
  const ignoreChannel = r.channel.ignore_channel_mentions === 'on' || (r.channel.ignore_channel_mentions === 'default' && !r.prefs.channel_mentions);
  if (!ignoreChannel && (channelWide.all || (channelWide.here && presence === 'online'))) return 'channel';
  const keywords = keywordMatcher(r.prefs.keywords);
  if (keywords !== null && keywords.test(text)) return 'keyword';
  if (r.prefs.first_name && r.firstName.trim() !== '') {
    const first = keywordMatcher([r.firstName]);
    if (first !== null && first.test(text)) return 'keyword';
  }
  if (post.rootId !== null && r.followsThread) return 'thread';
  return undefined;
}

function wants(level: ChannelNotifyLevel, global: NotifyLevel, concerned: boolean): boolean {
  const l = level === 'default' ? global : level;
  return l === 'all' || (l === 'mention' && concerned);
}

/** The decision for one person, or undefined: nothing at all. */
export function decide(post: PostFacts, r: Recipient, now: number, parsed = parseMentions(post.message), text = withoutCode(post.message)): Decision | undefined {
  if (r.userId === post.authorId) return undefined;
  if (r.channel.mark_unread === 'mention') return undefined;
  const dnd = inDoNotDisturb(r, now);
  // Quiet hours count as do-not-disturb; an ended do-not-disturb is online again.
  const presence: PresenceStatus = dnd ? 'dnd' : r.presence === 'dnd' ? 'online' : r.presence;
  const reason = reasonFor(post, r, presence, text, parsed);
  const concerned = reason !== undefined;
  const desktop = presence !== 'offline' && !dnd && wants(r.channel.desktop, r.prefs.desktop, concerned);
  const push = (presence === 'away' || presence === 'offline') && wants(r.channel.push, r.prefs.push, concerned);
  const email = presence !== 'online' && wants(r.channel.email, r.prefs.email, concerned);
  if (!desktop && !push && !email) return undefined;
  return { desktop, email, push, reason: reason ?? 'all' };
}

/**
 * Of `recipients` (their presence not known yet: any value), those the post could notify at all
 * whatever their presence, so that presence is looked up for them only (for most posts: nobody).
 * `online` (desktop, @here) and `offline` (push, e-mail) bound every presence: away and
 * do-not-disturb allow a subset of what one of the two allows.
 */
export function mayNotify(post: PostFacts, recipients: readonly Recipient[], now: number): Recipient[] {
  const parsed = parseMentions(post.message);
  const text = withoutCode(post.message);
  return recipients.filter((r) => decide(post, { ...r, presence: 'online' }, now, parsed, text) !== undefined || decide(post, { ...r, presence: 'offline' }, now, parsed, text) !== undefined);
}

/** Decisions for every candidate of one post (the post parsed once). */
export function decideAll(post: PostFacts, recipients: readonly Recipient[], now: number): Map<string, Decision> {
  const parsed = parseMentions(post.message);
  const text = withoutCode(post.message);
  const out = new Map<string, Decision>();
  for (const r of recipients) {
    const d = decide(post, r, now, parsed, text);
    if (d !== undefined) out.set(r.userId, d);
  }
  return out;
}

/** Whether a post needs the sender to confirm: @channel/@all/@here in a channel with more than `limit` members. */
export function needsChannelMentionConfirm(message: string, memberCount: number, limit: number): boolean {
  const parsed = parseMentions(message);
  return (parsed.all || parsed.here) && memberCount > limit;
}

/** Whether the message mentions the whole channel (for the flood limit). */
export function mentionsChannel(message: string): boolean {
  const parsed = parseMentions(message);
  return parsed.all || parsed.here;
}
