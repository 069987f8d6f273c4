/**
 * Client actions on an open connection: `ping`, `user_typing`, `presence`. Every frame costs
 * a token from a per-connection bucket (RUSTCHAT_WS_MAX_ACTIONS_PER_SECOND, burst of twice
 * that); a client out of tokens gets FAIL `RATE_LIMIT_EXCEEDED` and its socket stops being
 * read until a token is back, so a flood is slowed down by TCP backpressure instead of
 * costing the server CPU.
 *
 * Typing: `user_typing` is accepted when the channel policy lets the caller post there (the
 * answer POST /channels/{id}/posts would get: 404 → NOT_FOUND, 403 → FORBIDDEN). The node that received it publishes `typing`, re-publishing at
 * most every TYPING_RESEND_MS while the user keeps typing, and `stop_typing` when the user
 * posts in that channel/thread or TYPING_TIMEOUT_MS after the last `user_typing`.
 */
import type { EventPublisher } from '../domain/events.js';
import type { Presence } from '../domain/presenters.js';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Access } from '../services/access.js';
import { domainError } from '../services/store-errors.js';
import type { Connection } from './connection.js';
import { encodeReply, parseAction } from './protocol.js';

export const TYPING_TIMEOUT_MS = 5000;
export const TYPING_RESEND_MS = 2000;

/**
 * Actions on a channel are answered by the channel policy, exactly as REST answers them
 * (services/access.ts): a channel the caller may not read is NOT_FOUND, one they may read but
 * not act on (archived, say) is FORBIDDEN with an `access_denied` event.
 */
export type ChannelGate = Pick<Access, 'channel'>;

/** What actions need from presence. */
export interface StatusSetter {
  /** Sets the user's chosen status and returns the resulting one. */
  setStatus(userId: string, status: Presence): Promise<Presence>;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TypingTracker {
  private readonly active = new Map<string, { timer: NodeJS.Timeout; sentAt: number }>();

  constructor(private readonly events: EventPublisher, private readonly timeoutMs = TYPING_TIMEOUT_MS) {}

  private static key(userId: string, channelId: string, parentId: string | null): string {
    return `${userId}\u0000${channelId}\u0000${parentId ?? ''}`;
  }

  /** The user is typing: publish `typing` (throttled) and push back the automatic stop. */
  typing(userId: string, channelId: string, parentId: string | null): void {
    const key = TypingTracker.key(userId, channelId, parentId);
    const now = Date.now();
    const current = this.active.get(key);
    if (current !== undefined) clearTimeout(current.timer);
    const sentAt = current === undefined || now - current.sentAt >= TYPING_RESEND_MS ? now : current.sentAt;
    if (sentAt === now) {
      this.events.publish({ event: 'typing', data: { user_id: userId, channel_id: channelId, parent_id: parentId }, broadcast: { channel_id: channelId, omit_user_id: userId } });
    }
    const timer = setTimeout(() => this.stop(key, userId, channelId, parentId), this.timeoutMs);
    timer.unref();
    this.active.set(key, { timer, sentAt });
  }

  /** A post by the user ends their typing in that channel (thread). */
  posted(userId: string, channelId: string, rootId: string | null): void {
    const key = TypingTracker.key(userId, channelId, rootId);
    const current = this.active.get(key);
    if (current === undefined) return;
    clearTimeout(current.timer);
    this.stop(key, userId, channelId, rootId);
  }

  private stop(key: string, userId: string, channelId: string, parentId: string | null): void {
    this.active.delete(key);
    this.events.publish({ event: 'stop_typing', data: { user_id: userId, channel_id: channelId, parent_id: parentId }, broadcast: { channel_id: channelId, omit_user_id: userId } });
  }

  close(): void {
    for (const { timer } of this.active.values()) clearTimeout(timer);
    this.active.clear();
  }
}

export class ActionHandler {
  private readonly buckets = new WeakMap<Connection, Bucket>();
  private readonly burst: number;

  constructor(
    private readonly deps: {
      readonly access: ChannelGate;
      readonly status: StatusSetter;
      readonly typing: TypingTracker;
      readonly logger: Logger;
      readonly version: string;
      readonly perSecond: number;
    },
  ) {
    this.burst = Math.max(1, deps.perSecond * 2);
  }

  /** Takes a token; false when the connection is over its rate. */
  private take(conn: Connection): boolean {
    const now = Date.now();
    let b = this.buckets.get(conn);
    if (b === undefined) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(conn, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.deps.perSecond);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Handles one client frame; always answers (unless the client is over its rate and its replies are piling up). */
  handle(conn: Connection, text: string): void {
    const parsed = parseAction(text);
    if (!this.take(conn)) {
      conn.reply(encodeReply({ status: 'FAIL', seq_reply: parsed.seq, error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many actions; slow down' } }));
      conn.pauseReading(Math.ceil(1000 / this.deps.perSecond));
      return;
    }
    if (!parsed.ok) {
      conn.reply(encodeReply({ status: 'FAIL', seq_reply: parsed.seq, error: { code: parsed.code, message: parsed.message } }));
      return;
    }
    const { seq } = parsed;
    switch (parsed.action) {
      case 'ping':
        conn.reply(encodeReply({ status: 'OK', seq_reply: seq, data: { text: 'pong', version: this.deps.version, server_time: Date.now() } }));
        return;
      case 'user_typing': {
        const { channelId, parentId } = parsed;
        this.deps.access.channel(conn.session.caller, channelId, 'post').then(
          () => {
            if (conn.state === 'closed') return;
            this.deps.typing.typing(conn.userId, channelId, parentId);
            conn.reply(encodeReply({ status: 'OK', seq_reply: seq, data: {} }));
          },
          (err: unknown) => this.fail(conn, seq, err, 'could not check typing permission'),
        );
        return;
      }
      case 'presence':
        this.deps.status.setStatus(conn.userId, parsed.status).then(
          (status) => conn.reply(encodeReply({ status: 'OK', seq_reply: seq, data: { status } })),
          (err: unknown) => this.fail(conn, seq, err, 'could not set presence'),
        );
        return;
    }
  }

  /**
   * A refusal answers with the code and message REST would send, and so does a database outage
   * (SERVICE_UNAVAILABLE with retry_after, services/store-errors.ts); anything else is a generic
   * INTERNAL_ERROR.
   */
  private fail(conn: Connection, seq: number, thrown: unknown, what: string): void {
    const err = domainError(thrown);
    if (err instanceof AppError && (err.status < 500 || err.status === 503)) {
      if (err.status === 503) this.deps.logger.warn({ err: err.cause ?? err, user_id: conn.userId }, `websocket: ${what}`);
      conn.reply(encodeReply({ status: 'FAIL', seq_reply: seq, error: { code: err.code, message: err.message, ...(err.status === 503 ? err.details : {}) } }));
      return;
    }
    this.deps.logger.error({ err: thrown, user_id: conn.userId }, `websocket: ${what}`);
    conn.reply(encodeReply({ status: 'FAIL', seq_reply: seq, error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } }));
  }
}
