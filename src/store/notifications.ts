/**
 * Storage of notification preferences (global and per channel, each a JSON document the
 * notification service validates; the global ones keep the do-not-disturb schedule in a column
 * of its own, also JSON) and of the e-mail notification queue.
 *
 * The queue holds one row per (person, post) until the mail that lists it has been sent.
 * A sender claims every row of a person once the earliest of them is due (`claimEmails`, in a
 * transaction: on PostgreSQL the UPDATE re-checks the claim after waiting for a concurrent
 * claimer's row locks, so each row is claimed by one sender), then deletes the claimed rows
 * after the relay accepted the mail (`finishEmails`) or gives them back for later
 * (`retryEmails`). A claim lapses at `claimed_until`, so a sender that died holding one does
 * not strand the rows.
 */
export interface QueuedEmail {
  readonly id: number;
  readonly user_id: string;
  readonly post_id: string;
  readonly channel_id: string;
  readonly post_seq: number;
  readonly reason: string;
  readonly created_at: number;
  readonly due_at: number;
  readonly attempts: number;
  readonly claim_token: string | null;
  readonly claimed_until: number | null;
}

export type NewQueuedEmail = Omit<QueuedEmail, 'id' | 'attempts' | 'claim_token' | 'claimed_until'>;

export interface PushDevice {
  readonly session_id: string;
  readonly user_id: string;
  readonly device_id: string;
  readonly created_at: number;
}

/** A user's global preferences as stored: the document and the do-not-disturb schedule (null: none set). */
export interface StoredPrefs {
  readonly props: string;
  readonly dnd_schedule: string | null;
}

/**
 * One member of a channel as the notification decision needs them: who they are and what they
 * chose, globally (`prefs`) and for this channel (`channel_props`); undefined where never set.
 */
export interface NotifyRecipientRow {
  readonly user_id: string;
  readonly username: string;
  readonly first_name: string;
  readonly timezone: string;
  readonly prefs: StoredPrefs | undefined;
  readonly channel_props: string | undefined;
}

/**
 * Which members `recipientsOf` reads when not all: those with preferences of their own (a global
 * document, or one for this channel), those whose username is in `usernames` (as written in the
 * post, before and after trimming), and those in `userIds` (a reply's thread followers).
 */
export interface RecipientFilter {
  readonly usernames: readonly string[];
  readonly userIds: readonly string[];
}

export interface NotificationStore {
  /** The user's global preferences, undefined when never set. */
  getPrefs(userId: string): Promise<StoredPrefs | undefined>;
  /**
   * The channel's members who could be notified of a post by `authorId` (active people, not the
   * author, not bots) with their global and channel preferences, in one statement: it runs after
   * every post, so it is one round trip instead of one per table. `only`: just those members
   * (RecipientFilter) — for a post that is not channel-wide, the others have the defaults and
   * nothing to be notified of (services/notifications.ts).
   */
  recipientsOf(channelId: string, authorId: string, only?: RecipientFilter): Promise<NotifyRecipientRow[]>;
  /** Writes both the document and the schedule. */
  putPrefs(userId: string, prefs: StoredPrefs, now: number): Promise<void>;
  /** The member's preferences document for the channel, undefined when never set. */
  getChannelProps(channelId: string, userId: string): Promise<string | undefined>;
  putChannelProps(channelId: string, userId: string, props: string, now: number): Promise<void>;
  /** Queues e-mail notifications; a (person, post) already queued is left as it is. */
  enqueueEmails(rows: readonly NewQueuedEmail[]): Promise<void>;
  /**
   * Claims, for up to `maxUsers` people with a due unclaimed row, all their unclaimed rows
   * (due or not: they go in the same mail) under `token` until `claimedUntil`. Call inside a
   * transaction. Returns the claimed rows.
   */
  claimEmails(now: number, token: string, claimedUntil: number, maxUsers: number): Promise<QueuedEmail[]>;
  /** Deletes the rows claimed under `token` (sent, or nothing left to send). */
  finishEmails(token: string): Promise<number>;
  /** Releases the rows claimed under `token` for another try at `dueAt`, counting the attempt. */
  retryEmails(token: string, dueAt: number): Promise<void>;
  /** Rows still queued for the user (tests, and the unsubscribe path that empties it). */
  queuedFor(userId: string): Promise<QueuedEmail[]>;
  /** Forgets every queued row of the user (unsubscribed, deactivated). */
  dropQueued(userId: string): Promise<number>;
  /** Registers (or replaces) the push device of a session. */
  putDevice(device: PushDevice): Promise<void>;
  /** Push devices of the user's sessions that are live at `now`. */
  devicesFor(userId: string, now: number): Promise<PushDevice[]>;
  /** Removes every registration of a device id (the push proxy said it is gone). */
  removeDevice(deviceId: string): Promise<number>;
}
