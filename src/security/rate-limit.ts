/**
 * Rate limiting (security contract §5) on rate-limiter-flexible.
 *
 * - `auth`: one bucket per client IP (IPv6 by /64) shared by every auth endpoint.
 * - `ws`: WebSocket handshakes per client IP.
 * - `loginAccount`: failed logins per account per hour, whatever the IP, so an attack spread
 *   over many addresses still gets ~100 guesses an hour; a success clears the counter.
 *
 * With Redis the counters are shared by every node. When Redis is unreachable each limiter
 * falls back to per-node in-memory counters (rate-limiter-flexible's insurance limiter) and
 * logs that it did; it never becomes unlimited.
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

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
}

type LimiterName = 'auth' | 'ws' | 'login_account';

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

  /** Current state without consuming: blocked when the points are used up. */
  async peek(key: string): Promise<LimitDecision> {
    this.onStoreFallback();
    const res = await this.impl.get(key);
    if (res === null) return { allowed: true, limit: this.points, remaining: this.points, resetAt: Math.ceil(Date.now() / 1000), retryAfter: 0 };
    const allowed = res.consumedPoints < this.points;
    if (!allowed) this.metrics.rateLimited.inc({ limiter: this.name });
    return this.decision(res, allowed);
  }

  async reset(key: string): Promise<void> {
    await this.impl.delete(key);
  }
}

const ALLOW_ALL: LimitDecision = { allowed: true, limit: 0, remaining: 0, resetAt: 0, retryAfter: 0 };

export class RateLimits {
  private readonly auth: Limiter;
  private readonly ws: Limiter;
  private readonly loginAccount: Limiter;
  private fallbackLogged = false;

  constructor(
    private readonly config: RateLimiterConfig,
    metrics: Metrics,
    private readonly logger: Logger,
    private readonly redis: Redis | undefined,
    redisPrefix = 'rustchat:',
  ) {
    const check = (): void => this.checkStore();
    const make = (name: LimiterName, points: number, duration: number): Limiter => {
      const memory = new RateLimiterMemory({ keyPrefix: `rl:${name}`, points, duration });
      const impl = redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `${redisPrefix}rl:${name}`, points, duration, insuranceLimiter: memory, rejectIfRedisNotReady: true })
        : memory;
      return new Limiter(name, impl, points, metrics, check);
    };
    this.auth = make('auth', config.authPerMinute, 60);
    this.ws = make('ws', config.wsPerMinute, 60);
    this.loginAccount = make('login_account', config.loginPerAccountPerHour, 3600);
  }

  /** Logs once when Redis is not ready (counters are then per node), and once when it is back. */
  private checkStore(): void {
    if (this.redis === undefined) return;
    const ready = this.redis.status === 'ready';
    if (!ready && !this.fallbackLogged) {
      this.fallbackLogged = true;
      this.logger.warn({ redis_status: this.redis.status }, 'rate limiter: Redis unreachable, falling back to per-node counters');
    } else if (ready && this.fallbackLogged) {
      this.fallbackLogged = false;
      this.logger.info('rate limiter: Redis reachable again, counters are shared');
    }
  }

  get enabled(): boolean {
    return this.config.rateLimitEnabled;
  }

  async consumeAuth(bucket: string): Promise<LimitDecision> {
    return this.config.rateLimitEnabled ? this.auth.consume(bucket) : ALLOW_ALL;
  }

  async consumeWs(bucket: string): Promise<LimitDecision> {
    return this.config.rateLimitEnabled ? this.ws.consume(bucket) : ALLOW_ALL;
  }

  /** Whether the account may try a password now. */
  async loginAllowed(account: string): Promise<LimitDecision> {
    return this.config.rateLimitEnabled ? this.loginAccount.peek(account) : ALLOW_ALL;
  }

  async loginFailed(account: string): Promise<void> {
    if (this.config.rateLimitEnabled) await this.loginAccount.consume(account);
  }

  async loginSucceeded(account: string): Promise<void> {
    if (this.config.rateLimitEnabled) await this.loginAccount.reset(account);
  }
}
