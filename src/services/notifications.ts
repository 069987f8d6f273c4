/**
 * Notifications (issue #15): preferences, the decision after each post, and e-mail.
 *
 * Flow of a post:
 *
 *   PostService.create ──(before the write)── checkChannelMention: @channel/@all/@here in a big
 *        │                                    channel needs `confirm_channel_mention`; floods are
 *        │                                    rate limited per account (429 contract)
 *        ├──(commit)
 *        └──(after the commit, in the background) posted():
 *              gather members, their preferences, channel preferences, presence, thread followers
 *              → domain/notify-rules.ts decideAll → one write that
 *                  queues e-mail rows (notify_email_queue, one per person and post) and
 *                  publishes `notification` to each person whose desktop should notify
 *              → push (services/push.ts) for those whose phones should buzz
 *
 * E-mail: `flushEmails` (a timer, and tests) claims one person's queued rows at a time in a
 * transaction once the earliest is due, leaves out what they have read since, what they may no
 * longer read, and everything when they were deactivated or turned e-mail off; sends one mail
 * listing the rest (plain text and HTML, `List-Unsubscribe`); then deletes the rows. A relay
 * that fails gets the rows back with an exponential back-off, at most EMAIL_MAX_ATTEMPTS times.
 * Rows live in the database, so a restart loses nothing; a row is deleted right after the relay
 * accepted its mail, so only a crash in between (milliseconds) could send it again.
 *
 * The decision after commit means a crash between a post's commit and its notification write
 * loses those notifications (the post itself is safe); the same holds for the `posted` event.
 */
import { randomUUID } from 'node:crypto';
import type { Channel, Post, User } from '../domain/entities.js';
import { AppError, RateLimitedError, badRequest, invalid, notFound } from '../domain/errors.js';
import { parseMentions, resolveMentionNames } from '../domain/mentions.js';
import {
  DEFAULT_CHANNEL_PROPS, DEFAULT_DND_SCHEDULE, DEFAULT_PREFS, INTERVAL_MS, MAX_KEYWORDS, MAX_KEYWORD_LENGTH, decideAll, mayNotify, mentionsChannel, minuteOfDay, needsChannelMentionConfirm,
  type ChannelNotifyProps, type Decision, type DndPeriod, type DndSchedule, type NotifyPrefs, type Recipient,
} from '../domain/notify-rules.js';
import type { ChannelContext } from '../domain/policy.js';
import { signForPurpose, verifyForPurpose } from '../security/crypto.js';
import type { RateLimits } from '../security/rate-limit.js';
import type { QueuedEmail, StoredPrefs } from '../store/store.js';
import type { Access } from './access.js';
import type { CallContext, PresenceReader, ServiceDeps } from './context.js';
import type { Mailer } from './mail.js';

export type NotifyContent = 'full' | 'generic' | 'id_only';

/** What the notification service needs besides the usual dependencies. */
export interface NotificationOptions {
  readonly siteUrl: string;
  readonly mailer: Mailer | undefined;
  readonly content: NotifyContent;
  readonly emailDelayMs: number;
  readonly channelMentionConfirmMembers: number;
  /** Signs unsubscribe links (RUSTCHAT_JWT_SECRET: rotating it voids links already mailed). */
  readonly signingSecret: string;
  readonly limits: RateLimits;
  /** Push notifications, when a push proxy is configured. */
  readonly push?: PushHook | undefined;
  /** Counts an outcome (rustchat_notifications_total). */
  readonly count?: (medium: 'email' | 'desktop', outcome: string) => void;
}

/** What the decision hands to push (services/push.ts). */
export interface PushHook {
  notify(post: Post, channel: Channel, senderName: string, userIds: readonly string[], decisions: ReadonlyMap<string, Decision>): void;
}

/** How posts reach the notification service. */
export interface NotifyHooks {
  /** Before a post is written: refuses an unconfirmed @channel in a big channel, and floods. */
  checkChannelMention(ctx: CallContext, row: ChannelContext, message: string, confirmed: boolean): Promise<void>;
  /** After the post committed: decides and queues, in the background (errors are logged). */
  posted(row: ChannelContext, post: Post, senderName: string): void;
}

export const EMAIL_MAX_ATTEMPTS = 8;
const EMAIL_BACKOFF_BASE_MS = 60_000;
const EMAIL_BACKOFF_MAX_MS = 60 * 60_000;
/** How long a sender holds a person's rows before another may take them over. */
const EMAIL_CLAIM_MS = 5 * 60_000;
/** People mailed per flush (one claim transaction each). */
const EMAIL_PEOPLE_PER_FLUSH = 50;
/** Messages listed in one mail; the rest are summarised as a count. */
const EMAIL_MAX_LISTED = 50;
/** Posts whose notification decisions may wait at once (they are made one after another, in order). */
const DECISIONS_MAX_WAITING = 10_000;
const UNSUBSCRIBE_PURPOSE = 'notify-email-unsubscribe';

const LEVELS = ['all', 'mention', 'none'] as const;
const CHANNEL_LEVELS = ['default', ...LEVELS] as const;
const INTERVALS = ['immediately', 'fifteen', 'hour'] as const;

function parseJson<T extends object>(text: string | undefined, fallback: T): T {
  if (text === undefined) return fallback;
  try {
    return { ...fallback, ...(JSON.parse(text) as Partial<T>) };
  } catch {
    return fallback;
  }
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw invalid(field, `${field} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function bool(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(field, `${field} must be true or false`);
  return value;
}

/** Keywords: trimmed, distinct (any case), each 1–64 characters of printable text, at most 1,000. */
export function normalizeKeywords(value: unknown): string[] {
  if (!Array.isArray(value)) throw invalid('keywords', 'keywords must be a list of words');
  if (value.length > MAX_KEYWORDS) throw invalid('keywords', `At most ${MAX_KEYWORDS} keywords`);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of value) {
    if (typeof raw !== 'string') throw invalid('keywords', 'keywords must be a list of words');
    const word = raw.trim();
    if (word === '') continue;
    // eslint-disable-next-line no-control-regex
    if (word.length > MAX_KEYWORD_LENGTH || /[\u0000-\u001f\u007f]/.test(word)) throw invalid('keywords', `Each keyword is at most ${MAX_KEYWORD_LENGTH} characters, without control characters`);
    const key = word.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(word);
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clockTime(field: string, value: unknown, endOfDay: boolean): string {
  const minute = typeof value === 'string' ? minuteOfDay(value) : NaN;
  if (Number.isNaN(minute) || (!endOfDay && minute === 24 * 60)) throw invalid(field, `${field} must be a time HH:MM from 00:00 to ${endOfDay ? '24:00' : '23:59'}`);
  return value as string;
}

/**
 * A do-not-disturb schedule (null: none): exactly `enabled` (true/false) and `days`, at most 7
 * periods `{day: 0–6 (Sunday–Saturday), start: "HH:MM" 00:00–23:59, end: "HH:MM" 00:00–24:00}`,
 * each weekday at most once, `end` different from `start` (an earlier `end` runs past midnight).
 * Returned with its periods in weekday order. Errors name the field (`dnd_schedule.days[2].end`).
 */
export function normalizeDndSchedule(value: unknown): DndSchedule {
  if (value === null) return DEFAULT_DND_SCHEDULE;
  if (!isObject(value)) throw invalid('dnd_schedule', 'dnd_schedule must be {"enabled": …, "days": […]} or null');
  for (const key of Object.keys(value)) if (key !== 'enabled' && key !== 'days') throw invalid(`dnd_schedule.${key}`, `dnd_schedule has no field ${key} (only enabled and days)`);
  const enabled = bool('dnd_schedule.enabled', value.enabled);
  const days = value.days;
  if (!Array.isArray(days)) throw invalid('dnd_schedule.days', 'dnd_schedule.days must be a list of {day, start, end}');
  if (days.length > 7) throw invalid('dnd_schedule.days', 'dnd_schedule.days holds at most 7 periods, one per weekday');
  const seen = new Set<number>();
  const out: DndPeriod[] = [];
  days.forEach((raw: unknown, i) => {
    const field = `dnd_schedule.days[${i}]`;
    if (!isObject(raw)) throw invalid(field, `${field} must be {"day": 0–6, "start": "HH:MM", "end": "HH:MM"}`);
    for (const key of Object.keys(raw)) if (key !== 'day' && key !== 'start' && key !== 'end') throw invalid(`${field}.${key}`, `${field} has no field ${key} (only day, start and end)`);
    const day = raw.day;
    if (typeof day !== 'number' || !Number.isInteger(day) || day < 0 || day > 6) throw invalid(`${field}.day`, `${field}.day must be a weekday from 0 (Sunday) to 6 (Saturday)`);
    if (seen.has(day)) throw invalid(`${field}.day`, `${field}.day: each weekday may have one period only`);
    seen.add(day);
    const start = clockTime(`${field}.start`, raw.start, false);
    const end = clockTime(`${field}.end`, raw.end, true);
    if (minuteOfDay(start) === minuteOfDay(end)) throw invalid(`${field}.end`, `${field}.end must differ from its start (00:00 to 24:00 is the whole day)`);
    out.push({ day, start, end });
  });
  return { enabled, days: out.sort((a, b) => a.day - b.day) };
}

/** A stored schedule; anything unreadable (never expected) counts as no schedule. */
function readSchedule(text: string | null | undefined): DndSchedule {
  if (text === null || text === undefined) return DEFAULT_DND_SCHEDULE;
  try {
    return normalizeDndSchedule(JSON.parse(text));
  } catch {
    return DEFAULT_DND_SCHEDULE;
  }
}

/** Preferences as stored: the document (without the schedule) and the schedule in its column. */
function toStored(prefs: NotifyPrefs): StoredPrefs {
  const { dnd_schedule, ...props } = prefs;
  return { props: JSON.stringify(props), dnd_schedule: JSON.stringify(dnd_schedule) };
}

function fromStored(stored: StoredPrefs | undefined): NotifyPrefs {
  if (stored === undefined) return DEFAULT_PREFS;
  return { ...parseJson(stored.props, DEFAULT_PREFS), dnd_schedule: readSchedule(stored.dnd_schedule) };
}

export type PrefsInput = { readonly [K in keyof NotifyPrefs]?: unknown };
export type ChannelPropsInput = { readonly [K in keyof ChannelNotifyProps]?: unknown };

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

interface MailItem {
  readonly channel: string;
  readonly sender: string;
  readonly text: string | undefined;
  readonly link: string;
  readonly at: number;
}

/** Names plus followers above which the recipients read is not narrowed: every member is read instead of a statement with that many parameters. */
const RECIPIENT_FILTER_MAX = 500;

export class NotificationService implements NotifyHooks {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly access: Access,
    private readonly presence: PresenceReader,
    private readonly options: NotificationOptions,
  ) {}

  // ---- preferences ----

  private async prefsOf(userId: string): Promise<NotifyPrefs> {
    return fromStored(await this.deps.store.notifications.getPrefs(userId));
  }

  async preferences(ctx: CallContext): Promise<NotifyPrefs> {
    return this.prefsOf(ctx.actor.userId);
  }

  /** Changes the fields given; the others keep their values. */
  async setPreferences(ctx: CallContext, input: PrefsInput): Promise<NotifyPrefs> {
    const current = await this.prefsOf(ctx.actor.userId);
    const next: NotifyPrefs = {
      desktop: input.desktop === undefined ? current.desktop : oneOf('desktop', input.desktop, LEVELS),
      email: input.email === undefined ? current.email : oneOf('email', input.email, LEVELS),
      push: input.push === undefined ? current.push : oneOf('push', input.push, LEVELS),
      keywords: input.keywords === undefined ? current.keywords : normalizeKeywords(input.keywords),
      first_name: input.first_name === undefined ? current.first_name : bool('first_name', input.first_name),
      channel_mentions: input.channel_mentions === undefined ? current.channel_mentions : bool('channel_mentions', input.channel_mentions),
      email_interval: input.email_interval === undefined ? current.email_interval : oneOf('email_interval', input.email_interval, INTERVALS),
      desktop_sound: input.desktop_sound === undefined ? current.desktop_sound : bool('desktop_sound', input.desktop_sound),
      dnd_end_at: input.dnd_end_at === undefined ? current.dnd_end_at : this.endTime(input.dnd_end_at),
      dnd_schedule: input.dnd_schedule === undefined ? current.dnd_schedule : normalizeDndSchedule(input.dnd_schedule),
    };
    await this.deps.store.write(async (tx) => {
      await tx.notifications.putPrefs(ctx.actor.userId, toStored(next), this.deps.clock());
      // Turning e-mail off also empties what was waiting.
      if (next.email === 'none') await tx.notifications.dropQueued(ctx.actor.userId);
    });
    return next;
  }

  private endTime(value: unknown): number | null {
    if (value === null) return null;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid('dnd_end_at', 'dnd_end_at must be a time in milliseconds or null');
    return value;
  }

  async channelProps(ctx: CallContext, channelId: string): Promise<ChannelNotifyProps> {
    await this.access.channel(ctx, channelId, 'notify_props');
    return parseJson(await this.deps.store.notifications.getChannelProps(channelId, ctx.actor.userId), DEFAULT_CHANNEL_PROPS);
  }

  /** Changes the fields given for the caller's membership of the channel (members only). */
  async setChannelProps(ctx: CallContext, channelId: string, input: ChannelPropsInput): Promise<ChannelNotifyProps> {
    // Validate before the access check would be cheaper, but every id goes through Access first.
    await this.access.channel(ctx, channelId, 'notify_props');
    const current = parseJson(await this.deps.store.notifications.getChannelProps(channelId, ctx.actor.userId), DEFAULT_CHANNEL_PROPS);
    const next: ChannelNotifyProps = {
      desktop: input.desktop === undefined ? current.desktop : oneOf('desktop', input.desktop, CHANNEL_LEVELS),
      email: input.email === undefined ? current.email : oneOf('email', input.email, CHANNEL_LEVELS),
      push: input.push === undefined ? current.push : oneOf('push', input.push, CHANNEL_LEVELS),
      mark_unread: input.mark_unread === undefined ? current.mark_unread : oneOf('mark_unread', input.mark_unread, ['all', 'mention'] as const),
      ignore_channel_mentions: input.ignore_channel_mentions === undefined ? current.ignore_channel_mentions : oneOf('ignore_channel_mentions', input.ignore_channel_mentions, ['default', 'on', 'off'] as const),
    };
    await this.deps.store.write(async (tx) => {
      await tx.notifications.putChannelProps(channelId, ctx.actor.userId, JSON.stringify(next), this.deps.clock());
      // My other devices follow (a channel muted on the phone is drawn muted on the desktop).
      tx.publish({ event: 'channel_notify_props_changed', data: { channel_id: channelId, props: next }, broadcast: { user_id: ctx.actor.userId } });
    });
    return next;
  }

  // ---- the decision ----

  async checkChannelMention(ctx: CallContext, row: ChannelContext, message: string, confirmed: boolean): Promise<void> {
    if (!mentionsChannel(message)) return;
    if (!confirmed) {
      const members = (await this.deps.store.channels.stats(row.channel.id)).member_count;
      if (needsChannelMentionConfirm(message, members, this.options.channelMentionConfirmMembers)) {
        throw new AppError('CHANNEL_MENTION_CONFIRM_REQUIRED', `@channel, @all and @here notify all ${members} members of this channel: send again with confirm_channel_mention: true to confirm`, {
          member_count: members, limit: this.options.channelMentionConfirmMembers,
        });
      }
    }
    const gate = await this.options.limits.consumeChannelMention(ctx.actor.userId);
    if (!gate.allowed) throw new RateLimitedError(gate.limit, gate.resetAt, gate.retryAfter, 'channel_mention', ctx.actor.userId);
  }

  posted(row: ChannelContext, post: Post, senderName: string): void {
    // Bounded: a backlog (a slow database, a flood of posts) drops decisions rather than growing memory.
    if (this.waiting >= DECISIONS_MAX_WAITING) {
      this.deps.logger.warn({ post_id: post.id }, 'notifications of a post dropped: too many decisions waiting');
      this.count('desktop', 'dropped');
      return;
    }
    this.waiting++;
    this.pending = this.pending.then(() => this.decide(row, post, senderName)).catch((err: unknown) => {
      this.deps.logger.error({ err, post_id: post.id }, 'deciding the notifications of a post failed');
    }).finally(() => this.waiting--);
  }

  private waiting = 0;

  /** Notification work started by posts, in order (tests and shutdown wait for it). */
  private pending: Promise<void> = Promise.resolve();

  /** Resolves once the decisions of every post so far are written. */
  idle(): Promise<void> {
    return this.pending;
  }

  private async decide(row: ChannelContext, post: Post, senderName: string): Promise<void> {
    const store = this.deps.store;
    const channel = row.channel;
    const followers = post.root_post_id === null ? [] : await store.threads.followers(post.root_post_id);
    const following = new Set(followers.filter((f) => f.following === 1).map((f) => f.user_id));
    // One statement for the members and their preferences (this runs after every post). Unless
    // the post concerns everyone (a direct or group message, @channel/@all/@here), a member with
    // the default preferences who is not named and does not follow the thread cannot be notified
    // (nothing in DEFAULT_PREFS / DEFAULT_CHANNEL_PROPS notifies of a post that does not concern
    // them), so only the others are read: in a big channel, a handful instead of every member.
    const named = parseMentions(post.message).usernames;
    // A post naming hundreds of people is read whole rather than as a list of hundreds of parameters.
    const everyone = channel.type === 'direct' || channel.type === 'group' || mentionsChannel(post.message) || named.length + following.size > RECIPIENT_FILTER_MAX;
    const live = await store.notifications.recipientsOf(channel.id, post.user_id, everyone ? undefined : { usernames: named, userIds: [...following] });
    if (live.length === 0) return;
    const resolved = new Set(resolveMentionNames(post.message, new Set(live.map((u) => u.username))));
    const mentionedIds = new Set(live.filter((u) => resolved.has(u.username)).map((u) => u.user_id));
    const facts = { authorId: post.user_id, channelType: channel.type, message: post.message, mentionedIds, rootId: post.root_post_id };
    const now = this.deps.clock();
    // Presence is asked (of the primary or Redis with several processes) only for those the post
    // could notify at all: nobody, for a plain post among people with default preferences.
    const candidates = mayNotify(facts, live.map((u): Recipient => ({
      userId: u.user_id,
      firstName: u.first_name,
      prefs: fromStored(u.prefs),
      channel: parseJson(u.channel_props, DEFAULT_CHANNEL_PROPS),
      presence: 'offline',
      timezone: u.timezone,
      followsThread: following.has(u.user_id),
    })), now);
    if (candidates.length === 0) return;
    const presence = await this.presence.presenceOf(candidates.map((r) => r.userId));
    const recipients = candidates.map((r): Recipient => ({ ...r, presence: presence.get(r.userId) ?? 'offline' }));
    const decisions = decideAll(facts, recipients, now);
    if (decisions.size === 0) return;
    const prefsOf = new Map(recipients.map((r) => [r.userId, r.prefs]));
    const emails = this.options.mailer === undefined ? [] : [...decisions].filter(([, d]) => d.email).map(([userId, d]) => ({
      user_id: userId, post_id: post.id, channel_id: channel.id, post_seq: post.seq, reason: d.reason, created_at: post.created_at,
      due_at: now + Math.max(this.options.emailDelayMs, INTERVAL_MS[prefsOf.get(userId)!.email_interval]),
    }));
    const desktop = [...decisions].filter(([, d]) => d.desktop);
    if (emails.length > 0 || desktop.length > 0) {
      await store.write(async (tx) => {
        await tx.notifications.enqueueEmails(emails);
        for (const [userId, d] of desktop) {
          tx.publish({
            event: 'notification',
            data: {
              post_id: post.id, channel_id: channel.id, root_id: post.root_post_id, team_id: channel.team_id, reason: d.reason,
              sender_name: senderName, sound: prefsOf.get(userId)!.desktop_sound,
            },
            broadcast: { user_id: userId },
          });
        }
      });
    }
    for (let i = 0; i < desktop.length; i++) this.count('desktop', 'sent');
    const push = [...decisions].filter(([, d]) => d.push).map(([userId]) => userId);
    if (push.length > 0) this.options.push?.notify(post, channel, senderName, push, decisions);
  }

  private count(medium: 'email' | 'desktop', outcome: string): void {
    this.options.count?.(medium, outcome);
  }

  // ---- e-mail ----

  /** The unsubscribe token of a user: their id and a signature for this purpose only. */
  unsubscribeToken(userId: string): string {
    return `${userId}.${signForPurpose(this.options.signingSecret, UNSUBSCRIBE_PURPOSE, userId)}`;
  }

  unsubscribeUrl(userId: string): string {
    return `${this.options.siteUrl}/api/v1/notifications/unsubscribe?token=${encodeURIComponent(this.unsubscribeToken(userId))}`;
  }

  /** Turns e-mail notifications off for the user the token names (no sign-in needed). */
  async unsubscribe(token: string): Promise<void> {
    const m = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (m === null || !verifyForPurpose(this.options.signingSecret, UNSUBSCRIBE_PURPOSE, m[1]!, m[2]!)) throw badRequest('This unsubscribe link is invalid');
    const userId = m[1]!;
    const user = await this.deps.store.users.get(userId);
    if (user === undefined) throw notFound('User');
    const current = await this.prefsOf(userId);
    await this.deps.store.write(async (tx) => {
      await tx.notifications.putPrefs(userId, toStored({ ...current, email: 'none' }), this.deps.clock());
      await tx.notifications.dropQueued(userId);
    });
  }

  /** Starts sending due e-mail every `intervalMs`; returns the stop function. */
  startEmailWorker(intervalMs = 15_000): () => void {
    if (this.options.mailer === undefined) return () => undefined;
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.flushEmails().catch((err: unknown) => this.deps.logger.error({ err }, 'sending notification e-mail failed')).finally(() => (running = false));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Sends the mail that is due at `at` (default now): up to EMAIL_PEOPLE_PER_FLUSH people, each
   * claimed in its own transaction. Returns how many mails the relay accepted.
   */
  async flushEmails(at?: number): Promise<number> {
    if (this.options.mailer === undefined) return 0;
    let sent = 0;
    for (let i = 0; i < EMAIL_PEOPLE_PER_FLUSH; i++) {
      const now = at ?? this.deps.clock();
      const token = randomUUID();
      const rows = await this.deps.store.transaction((tx) => tx.notifications.claimEmails(now, token, now + EMAIL_CLAIM_MS, 1));
      if (rows.length === 0) break;
      if (await this.sendBatch(rows, token, now)) sent++;
    }
    return sent;
  }

  /** One person's claimed rows → one mail (or none); true when a mail was accepted. */
  private async sendBatch(rows: readonly QueuedEmail[], token: string, now: number): Promise<boolean> {
    const store = this.deps.store;
    const userId = rows[0]!.user_id;
    const user = await store.users.get(userId);
    const prefs = await this.prefsOf(userId);
    if (user === undefined || user.deactivated_at !== null || prefs.email === 'none') {
      await store.notifications.finishEmails(token);
      this.count('email', 'skipped');
      return false;
    }
    const items = await this.unread(user, rows);
    if (items.length === 0) {
      await store.notifications.finishEmails(token);
      this.count('email', 'skipped');
      return false;
    }
    const attempts = Math.max(...rows.map((r) => r.attempts));
    try {
      await this.options.mailer!.send(this.compose(user, items));
    } catch (err) {
      if (attempts + 1 >= EMAIL_MAX_ATTEMPTS) {
        this.deps.logger.error({ err, user_id: userId, messages: rows.length }, 'notification e-mail dropped: the relay refused it too many times');
        await store.notifications.finishEmails(token);
        this.count('email', 'dropped');
      } else {
        const wait = Math.min(EMAIL_BACKOFF_BASE_MS * 2 ** attempts, EMAIL_BACKOFF_MAX_MS);
        this.deps.logger.warn({ err, user_id: userId, attempt: attempts + 1, retry_in_ms: wait }, 'notification e-mail failed; will retry');
        await store.notifications.retryEmails(token, now + wait);
        this.count('email', 'retry');
      }
      return false;
    }
    await store.notifications.finishEmails(token);
    this.count('email', 'sent');
    return true;
  }

  /** The queued messages the person still has not read and may still read, oldest first. */
  private async unread(user: User, rows: readonly QueuedEmail[]): Promise<MailItem[]> {
    const store = this.deps.store;
    const posts = new Map<string, Post>();
    for (const r of rows) {
      const p = await store.posts.get(r.post_id);
      if (p !== undefined && p.deleted_at === null) posts.set(p.id, p);
    }
    const byChannel = new Map<string, QueuedEmail[]>();
    for (const r of rows) if (posts.has(r.post_id)) byChannel.set(r.channel_id, [...(byChannel.get(r.channel_id) ?? []), r]);
    const senders = new Map((await store.users.getMany([...new Set([...posts.values()].map((p) => p.user_id))])).map((u) => [u.id, u]));
    const items: MailItem[] = [];
    for (const [channelId, list] of byChannel) {
      if ((await this.access.readersAmong(channelId, [user.id])).length === 0) continue;
      const [channel, member] = await Promise.all([store.channels.get(channelId), store.channels.getMember(channelId, user.id)]);
      if (channel === undefined || member === undefined) continue;
      const team = channel.team_id === null ? undefined : await store.teams.get(channel.team_id);
      for (const r of list) {
        const post = posts.get(r.post_id)!;
        if (post.seq <= member.last_viewed_seq) continue;
        if (post.root_post_id !== null) {
          const thread = await store.threads.get(user.id, post.root_post_id);
          if (thread !== undefined && thread.last_viewed_seq >= post.seq) continue;
        }
        const sender = senders.get(post.user_id);
        items.push({
          channel: this.channelLabel(channel, user),
          sender: sender === undefined ? 'Someone' : sender.display_name || sender.username,
          text: this.options.content === 'full' ? post.message : undefined,
          link: team === undefined ? `${this.options.siteUrl}/messages/pl/${post.id}` : `${this.options.siteUrl}/${encodeURIComponent(team.name)}/pl/${post.id}`,
          at: post.created_at,
        });
      }
    }
    return items.sort((a, b) => a.at - b.at);
  }

  private channelLabel(channel: Channel, _user: User): string {
    if (channel.type === 'public') return `~${channel.display_name || channel.name}`;
    if (this.options.content !== 'full') return channel.type === 'private' ? 'a private channel' : 'a direct message';
    if (channel.type === 'private') return `~${channel.display_name || channel.name}`;
    return channel.type === 'direct' ? 'a direct message' : 'a group message';
  }

  private compose(user: User, items: readonly MailItem[]): { to: string; subject: string; text: string; html: string; headers: Record<string, string> } {
    const unsubscribe = this.unsubscribeUrl(user.id);
    const listed = items.slice(0, EMAIL_MAX_LISTED);
    const more = items.length - listed.length;
    const senders = [...new Set(items.map((i) => i.sender))];
    const subject = items.length === 1 ? `[RustChat] New message from ${senders[0]}` : `[RustChat] ${items.length} new messages from ${senders.slice(0, 3).join(', ')}${senders.length > 3 ? ' and others' : ''}`;
    const when = (t: number): string => new Date(t).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
    const text = [
      `Hello ${user.display_name || user.username},`,
      '',
      `You have ${items.length === 1 ? 'a new message' : `${items.length} new messages`} on ${this.options.siteUrl}:`,
      '',
      ...listed.flatMap((i) => [`${i.sender} in ${i.channel}, ${when(i.at)}:`, ...(i.text === undefined ? [] : [`  ${i.text.replace(/\n/g, '\n  ')}`]), `  ${i.link}`, '']),
      ...(more > 0 ? [`…and ${more} more.`, ''] : []),
      'To stop these e-mails, open this link (no sign-in needed):',
      unsubscribe,
    ].join('\n');
    const html = [
      '<!doctype html><html><body>',
      `<p>Hello ${escapeHtml(user.display_name || user.username)},</p>`,
      `<p>You have ${items.length === 1 ? 'a new message' : `${items.length} new messages`} on ${escapeHtml(this.options.siteUrl)}:</p>`,
      '<ul>',
      ...listed.map((i) => `<li><p><strong>${escapeHtml(i.sender)}</strong> in ${escapeHtml(i.channel)}, ${escapeHtml(when(i.at))}</p>${i.text === undefined ? '' : `<blockquote>${escapeHtml(i.text).replace(/\n/g, '<br>')}</blockquote>`}<p><a href="${escapeHtml(i.link)}">Open the message</a></p></li>`),
      '</ul>',
      ...(more > 0 ? [`<p>…and ${more} more.</p>`] : []),
      `<p><a href="${escapeHtml(unsubscribe)}">Stop these e-mails</a> (no sign-in needed)</p>`,
      '</body></html>',
    ].join('\n');
    return { to: user.email, subject, text, html, headers: { 'List-Unsubscribe': `<${unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } };
  }
}
