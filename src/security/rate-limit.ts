/**
 * Rate limiting (security contract §5) on rate-limiter-flexible.
 *
 * - `auth`: one bucket per client IP (IPv6 by /64) shared by every auth endpoint.
 * - `ws`: WebSocket handshakes per client IP.
 * - `login_account`: failed logins per account per hour, whatever the IP, so an attack spread
 *   over many addresses still gets at most ~100 guesses an hour. A successful login does
 *   not reset it (that would hand the attacker a fresh budget each time the real user
 *   signs in).
 * - `webhook`: executions of one incoming webhook per minute, keyed by the hook (whoever
 *   holds its URL), answered by the webhook service through RateLimitedError.
 * - Not locking the real user out: a successful login remembers the (account, client IP
 *   bucket) pair for 14 days (`login_known`). While the account budget is used up, a
 *   remembered pair may still try, with its own small failure budget (`login_known_fail`,
 *   a tenth of the account budget). An attacker spread over other addresses cannot use it.
 *
 * The mechanisms, and why each is needed: the per-IP buckets (`auth`, `ws`) stop floods of
 * anonymous requests before any work is done; the per-account ones stop a password attack
 * spread over many IPs (they answer from inside the login service, through RateLimitedError).
 * Both answer through `refuseRateLimited` below, which emits the `rate_limit_exceeded` event
 * and builds the 429: there is no way to build the answer without the event. Two other limits are not rate limits of this
 * kind and answer in their own transport: the per-connection action bucket of an open
 * WebSocket (realtime/actions.ts: a FAIL reply plus TCP backpressure, no HTTP to answer with)
 * and the per-user connection cap (realtime/presence.ts: 429 TOO_MANY_CONNECTIONS).
 *
 * With several worker processes on one machine and no Redis (RUSTCHAT_WORKERS > 1), the counters
 * live in the primary process (rate-limiter-flexible's cluster limiter, cluster/primary.ts), so a
 * limit of 10 a minute is 10 for the machine, not 10 per worker.
 *
 * With Redis the counters are shared by every node. When Redis is unreachable each limiter
 * falls back to per-node in-memory counters (rate-limiter-flexible's insurance limiter) and
 * logs that it did (and sets `rustchat_rate_limit_store_fallback` to 1); it never becomes
 * unlimited.
 */
import type { Redis } from 'ioredis';
import { RateLimiterCluster, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { rateLimitBucket } from './client-ip.js';
import type { SecurityEvents } from './events.js';

export interface LimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Unix seconds when a request is allowed again (or the window resets). */
  readonly resetAt: number;
  /** Whole seconds to wait; 0 when allowed. */
  readonly retryAfter: number;
}

export interface RateLimiterConfig {
  readonly rateLimitEnabled: boolean;
  readonly authPerMinute: number;
  readonly wsPerMinute: number;
  readonly loginPerAccountPerHour: number;
  /** Executions per minute of one incoming webhook (default 60). */
  readonly webhookPerMinute?: number;
  /** Posts with @channel/@all/@here per account per minute (default 10). */
  readonly channelMentionsPerMinute?: number;
}

type LimiterName = 'auth' | 'ws' | 'login_account' | 'login_known' | 'login_known_fail' | 'webhook' | 'channel_mention';

/**
 * How long a successful (account, client) pair is remembered. The in-memory store expires
 * keys with a timer, so this must stay under setTimeout's 24.8-day ceiling.
 */
const KNOWN_CLIENT_SECONDS = 14 * 24 * 3600;

class Limiter {
  constructor(
    readonly name: LimiterName,
    private readonly impl: RateLimiterAbstract,
    readonly points: number,
    private readonly metrics: Metrics,
    private readonly onStoreFallback: () => void,
  ) {}

  private decision(res: RateLimiterRes, allowed: boolean): LimitDecision {
    const retryAfter = allowed ? 0 : Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    return {
      allowed,
      limit: this.points,
      remaining: Math.max(0, res.remainingPoints),
      resetAt: Math.ceil((Date.now() + res.msBeforeNext) / 1000),
      retryAfter,
    };
  }

  async consume(key: string): Promise<LimitDecision> {
    this.metrics.rateLimitChecks.inc({ limiter: this.name });
    this.onStoreFallback();
    try {
      return this.decision(await this.impl.consume(key), true);
    } catch (rej) {
      if (rej instanceof RateLimiterRes) {
        this.metrics.rateLimited.inc({ limiter: this.name });
        return this.decision(rej, false);
      }
      throw rej;
    }
  }

  /** Counts one event against `key` without deciding anything (failed logins). */
  async record(key: string): Promise<void> {
    this.onStoreFallback();
    await this.impl.consume(key).catch((rej: unknown) => {
      if (!(rej instanceof RateLimiterRes)) throw rej;
    });
  }

  /** Current state without consuming: blocked when the points are used up. */
  async peek(key: string): Promise<LimitDecision> {
    this.onStoreFallback();
    const res = await this.impl.get(key);
    if (res === null) return { allowed: true, limit: this.points, remaining: this.points, resetAt: Math.ceil(Date.now() / 1000), retryAfter: 0 };
    return this.decision(res, res.consumedPoints < this.points);
  }

  async reset(key: string): Promise<void> {
    this.onStoreFallback();
    await this.impl.delete(key);
  }

  /** Marks `key` as present for `seconds` (used as a shared, expiring set). */
  async remember(key: string, seconds: number): Promise<void> {
    this.onStoreFallback();
    // `block` rather than `set`: every store has it, the cluster limiter too.
    await this.impl.block(key, seconds);
  }

  async has(key: string): Promise<boolean> {
    this.onStoreFallback();
    return (await this.impl.get(key)) !== null;
  }
}

/** A rate-limit refusal as every transport sends it: HTTP routes (http/errors.ts) and WebSocket handshakes (realtime/gateway.ts). */
export interface RateLimitedAnswer {
  readonly status: 429;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly error: { readonly code: 'RATE_LIMIT_EXCEEDED'; readonly message: string; readonly retry_after: number } };
}

/** Who was limited, for the `rate_limit_exceeded` event. */
export interface RateLimitRefusal {
  readonly ip: string;
  readonly requestId: string;
  /** Which limiter said no (`auth`, `ws`, `login_account`). */
  readonly limiter: string;
  readonly route?: string | undefined;
  readonly userId?: string | undefined;
}

/**
 * The one way to refuse with a 429 (HTTP routes through http/errors.ts, WebSocket handshakes
 * through realtime/gateway.ts): the security event, then the exact answer of contract §5.
 */
export function refuseRateLimited(security: SecurityEvents, d: Pick<LimitDecision, 'limit' | 'resetAt' | 'retryAfter'>, who: RateLimitRefusal): RateLimitedAnswer {
  security.emit('rate_limit_exceeded', { ip: who.ip, userId: who.userId, requestId: who.requestId, limiter: who.limiter, ...(who.route === undefined ? {} : { route: who.route }) });
  return {
    status: 429,
    headers: { 'X-RateLimit-Limit': String(d.limit), 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(d.resetAt), 'Retry-After': String(d.retryAfter) },
    body: { error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests. Please try again later.', retry_after: d.retryAfter } },
  };
}

/** The X-RateLimit-* headers an allowed request on a limited route carries (none while limiting is off). */
export function rateLimitHeaders(enabled: boolean, d: LimitDecision): Readonly<Record<string, string>> {
  return enabled ? { 'X-RateLimit-Limit': String(d.limit), 'X-RateLimit-Remaining': String(d.remaining), 'X-RateLimit-Reset': String(d.resetAt) } : {};
}

const ALLOW_ALL: LimitDecision = { allowed: true, limit: 0, remaining: 0, resetAt: 0, retryAfter: 0 };

export class RateLimits {
  private readonly auth: Limiter;
  private readonly ws: Limiter;
  private readonly loginAccount: Limiter;
  private readonly loginKnown: Limiter;
  private readonly loginKnownFail: Limiter;
  private readonly webhook: Limiter;
  private readonly channelMention: Limiter;
  private fallbackLogged = false;

  constructor(
    private readonly config: RateLimiterConfig,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly redis: Redis | undefined,
    redisPrefix = 'rustchat:',
    /** Counters kept by the primary process for every worker (without Redis). */
    sharedByWorkers = false,
  ) {
    const check = (): void => this.checkStore();
    const make = (name: LimiterName, points: number, duration: number): Limiter => {
      const local = sharedByWorkers
        ? new RateLimiterCluster({ keyPrefix: `rl:${name}`, points, duration, timeoutMs: 3000 })
        : new RateLimiterMemory({ keyPrefix: `rl:${name}`, points, duration });
      const impl = redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `${redisPrefix}rl:${name}`, points, duration, insuranceLimiter: local, rejectIfRedisNotReady: true })
        : local;
      return new Limiter(name, impl, points, metrics, check);
    };
    this.auth = make('auth', config.authPerMinute, 60);
    this.ws = make('ws', config.wsPerMinute, 60);
    this.loginAccount = make('login_account', config.loginPerAccountPerHour, 3600);
    this.loginKnown = make('login_known', 1, KNOWN_CLIENT_SECONDS);
    this.loginKnownFail = make('login_known_fail', Math.max(1, Math.ceil(config.loginPerAccountPerHour / 10)), 3600);
    this.webhook = make('webhook', config.webhookPerMinute ?? 60, 60);
    this.channelMention = make('channel_mention', config.channelMentionsPerMinute ?? 10, 60);
  }

  /** Logs once when Redis is not ready (counters are then per node), and once when it is back. */
  private checkStore(): void {
    if (this.redis === undefined) return;
    const ready = this.redis.status === 'ready';
    if (!ready && !this.fallbackLogged) {
      this.fallbackLogged = true;
      this.metrics.rateLimitStoreFallback.set(1);
      this.logger.warn({ redis_status: this.redis.status, rate_limit_store: 'memory' }, 'rate limiter: Redis unreachable, falling back to per-node in-memory counters (limits still apply on each node)');
    } else if (ready && this.fallbackLogged) {
      this.fallbackLogged = false;
      this.metrics.rateLimitStoreFallback.set(0);
      this.logger.info({ rate_limit_store: 'redis' }, 'rate limiter: Redis reachable again, counters are shared');
    }
  }

  get enabled(): boolean {
    return this.config.rateLimitEnabled;
  }

  /** One request to an auth endpoint from this bucket (see `rateLimitBucket`). */
  async consumeAuth(bucket: string): Promise<LimitDecision> {
    return this.config.rateLimitEnabled ? this.auth.consume(bucket) : ALLOW_ALL;
  }

  /** One WebSocket handshake from this bucket. */
  async consumeWs(bucket: string): Promise<LimitDecision> {
    return this.config.rateLimitEnabled ? this.ws.consume(bucket) : ALLOW_ALL;
  }

  /** One execution of an incoming webhook (keyed by the hook's id, whoever calls it). */
  async consumeWebhook(hookId: string): Promise<LimitDecision> {
    return this.config.rateLimitEnabled ? this.webhook.consume(hookId) : ALLOW_ALL;
  }

  /** One post with @channel/@all/@here by this account (a flood notifies everyone every time). */
  async consumeChannelMention(userId: string): Promise<LimitDecision> {
    return this.config.rateLimitEnabled ? this.channelMention.consume(userId) : ALLOW_ALL;
  }

  /**
   * Whether the account may try a password now, from this client. `account` is the user id
   * (or the normalised login for unknown users, so they are throttled the same way).
   */
  async loginAllowed(account: string, clientIp?: string): Promise<LimitDecision> {
    if (!this.config.rateLimitEnabled) return ALLOW_ALL;
    this.metrics.rateLimitChecks.inc({ limiter: 'login_account' });
    const gate = await this.loginAccount.peek(account);
    if (gate.allowed) return gate;
    if (clientIp !== undefined) {
      const pair = knownPair(account, clientIp);
      if (await this.loginKnown.has(pair)) {
        const own = await this.loginKnownFail.peek(pair);
        if (own.allowed) return own;
      }
    }
    this.metrics.rateLimited.inc({ limiter: 'login_account' });
    return gate;
  }

  /** A wrong password (or unknown user) for this account from this client. */
  async loginFailed(account: string, clientIp?: string): Promise<void> {
    if (!this.config.rateLimitEnabled) return;
    await this.loginAccount.record(account);
    if (clientIp !== undefined) {
      const pair = knownPair(account, clientIp);
      if (await this.loginKnown.has(pair)) await this.loginKnownFail.record(pair);
    }
  }

  /** A successful login: the client is remembered for this account, its own failures forgiven. */
  async loginSucceeded(account: string, clientIp?: string): Promise<void> {
    if (!this.config.rateLimitEnabled || clientIp === undefined) return;
    const pair = knownPair(account, clientIp);
    await this.loginKnown.remember(pair, KNOWN_CLIENT_SECONDS);
    await this.loginKnownFail.reset(pair);
  }
}

function knownPair(account: string, clientIp: string): string {
  return `${account}|${rateLimitBucket(clientIp)}`;
}
