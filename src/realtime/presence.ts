/**
 * Presence and the per-user connection cap, on one node or across a cluster.
 *
 * A user is online while they hold at least one live WebSocket on any node; their chosen
 * status (`away`, `dnd`, `offline` = invisible) applies while they are connected. Transitions
 * publish `status_change` to the user and to the people they share a channel with (the hub
 * leaves out channels with more people online than the presence fan-out limit).
 *
 * Without Redis everything is counted in this process. With Redis (keys under the prefix):
 *
 *   presence:nodes               ZSET node id → last heartbeat (Redis TIME, ms)
 *   presence:conns:<user>        HASH node id → live connections of the user on that node
 *   presence:node:<node>:users   SET  users with connections on that node (for dead-node cleanup)
 *   presence:status:<user>       the user's chosen status (absent = online)
 *
 * Counts of a node whose heartbeat is older than the node TTL are ignored (and removed lazily),
 * so a crashed node's users fall offline by themselves; the first live node to notice claims the
 * dead node (ZREM decides the one winner) and publishes `status_change` for its users that are
 * now offline. Acquire/release are Lua scripts, so the cap holds across nodes without races.
 *
 * When Redis is unreachable the node falls back to its own counts (the cap becomes per node,
 * never unlimited) and rewrites its counts into Redis as soon as Redis is back.
 */
import type { Redis } from 'ioredis';
import type { EventPublisher } from '../domain/events.js';
import type { Presence as Status } from '../domain/presenters.js';
import type { Logger } from '../observability/logger.js';
import type { PresenceReader } from '../services/context.js';

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** Sums a user's live connections over live nodes, dropping dead nodes' fields. KEYS[1]=nodes, KEYS[2]=conns; ARGV[3]=ttl. */
const SUM_ALIVE = `
local alive = {}
for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[3]), '+inf')) do alive[n] = true end
local fields = redis.call('HGETALL', KEYS[2])
local total = 0
for i = 1, #fields, 2 do
  if alive[fields[i]] then total = total + tonumber(fields[i + 1]) else redis.call('HDEL', KEYS[2], fields[i]) end
end`;

/** KEYS: nodes, conns, nodeUsers, status. ARGV: node, user, ttl, cap. Returns {total before or -1 when capped, status}. */
const ACQUIRE = `${NOW}
redis.call('ZADD', KEYS[1], now, ARGV[1])
${SUM_ALIVE}
local manual = redis.call('GET', KEYS[4]) or ''
if total >= tonumber(ARGV[4]) then return {-1, manual} end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[2], 86400000)
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('PEXPIRE', KEYS[3], 86400000)
return {total, manual}`;

/** KEYS: nodes, conns, nodeUsers, status. ARGV: node, user, ttl. Returns {total after, status}. */
const RELEASE = `${NOW}
local n = redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
if n <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[2])
end
${SUM_ALIVE}
return {total, redis.call('GET', KEYS[4]) or ''}`;

/** KEYS: nodes, then (conns, status) per user. ARGV: ttl. Returns one status per user. */
const STATUSES = `${NOW}
local alive = {}
for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf')) do alive[n] = true end
local out = {}
for i = 2, #KEYS, 2 do
  local fields = redis.call('HGETALL', KEYS[i])
  local total = 0
  for j = 1, #fields, 2 do
    if alive[fields[j]] then total = total + tonumber(fields[j + 1]) end
  end
  if total > 0 then out[#out + 1] = redis.call('GET', KEYS[i + 1]) or 'online' else out[#out + 1] = 'offline' end
end
return out`;

/** KEYS: nodes. ARGV: node, ttl. Returns {1 when this node had been dropped, dead node ids...}. */
const HEARTBEAT = `${NOW}
local added = redis.call('ZADD', KEYS[1], now, ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[2])))
table.insert(dead, 1, added)
return dead`;

/** KEYS: nodes, deadNodeUsers. ARGV: dead node. Returns its users when this caller claimed it, else false. */
const CLAIM = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return false end
local users = redis.call('SMEMBERS', KEYS[2])
redis.call('DEL', KEYS[2])
return users`;

const STATUS_TTL_MS = 30 * 24 * 3600_000;

export interface PresenceOptions {
  readonly redis: Redis | undefined;
  readonly prefix: string;
  readonly nodeId: string;
  readonly events: EventPublisher;
  readonly logger: Logger;
  /** Channels of a user: status_change goes to their co-members. */
  readonly channelsOf: (userId: string) => Promise<readonly string[]>;
  /** A node whose heartbeat is older than this is dead (default 30 s). */
  readonly nodeTtlMs?: number;
  /** Heartbeat period (default a third of the TTL). */
  readonly heartbeatMs?: number;
  /**
   * Counts kept outside this process, for every worker of the machine (the primary's, through
   * cluster/worker.ts); used instead of this process's maps when there is no Redis.
   */
  readonly shared?: SharedPresenceCounts;
}

/** Presence counts shared by the worker processes of one machine (cluster/primary.ts keeps them). */
export interface SharedPresenceCounts {
  acquire(userId: string, cap: number): Promise<{ before: number; status: string }>;
  release(userId: string): Promise<{ after: number; status: string }>;
  setStatus(userId: string, status: Status): Promise<unknown>;
  statuses(userIds: string[]): Promise<Status[]>;
}

const effective = (connections: number, manual: string | undefined): Status => (connections > 0 ? ((manual || 'online') as Status) : 'offline');

export class Presence implements PresenceReader {
  /** Live connections per user on this node. */
  private readonly local = new Map<string, number>();
  /** Chosen statuses known here (the only copy without Redis; a fallback with it). */
  private readonly manual = new Map<string, Status>();
  /** Users whose count for this node Redis holds (so a reconcile can clear them). */
  private readonly reported = new Set<string>();
  /** Statuses chosen while Redis was unreachable, to write back. */
  private readonly unsavedStatus = new Set<string>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly ttl: number;
  private readonly beatMs: number;
  private timer: NodeJS.Timeout | undefined;
  private needsReconcile = false;
  private closed = false;
  private readonly onReady = (): void => {
    if (this.needsReconcile) this.track(this.reconcile());
  };

  constructor(private readonly options: PresenceOptions) {
    this.ttl = options.nodeTtlMs ?? 30_000;
    this.beatMs = options.heartbeatMs ?? Math.floor(this.ttl / 3);
  }

  private key(...parts: string[]): string {
    return `${this.options.prefix}presence:${parts.join(':')}`;
  }

  private get redis(): Redis | undefined {
    const r = this.options.redis;
    return r !== undefined && r.status === 'ready' ? r : undefined;
  }

  /** Starts the node heartbeat (cluster mode). */
  start(): void {
    const r = this.options.redis;
    if (r === undefined) return;
    r.on('ready', this.onReady);
    this.track(this.heartbeat());
    this.timer = setInterval(() => this.track(this.heartbeat()), this.beatMs);
    this.timer.unref();
  }

  private track<T>(p: Promise<T>): void {
    const tracked = p.catch((err: unknown) => this.options.logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'presence: redis operation failed'));
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }

  private redisFailed(err: unknown): void {
    this.needsReconcile = true;
    this.options.logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'presence: Redis unreachable, counting connections on this node only');
  }

  private async publish(userId: string, status: Status): Promise<void> {
    let channels: readonly string[] = [];
    try {
      channels = await this.options.channelsOf(userId);
    } catch (err) {
      this.options.logger.warn({ err, user_id: userId }, 'presence: could not load channels for status_change');
    }
    this.options.events.publish({ event: 'status_change', data: { user_id: userId, status }, broadcast: { user_id: userId, channel_ids: channels } });
  }

  /**
   * Counts a new connection of the user unless they already hold `cap` (across the cluster);
   * false when over the cap. The caller must `release` every successful acquire.
   */
  async acquire(userId: string, cap: number): Promise<boolean> {
    const shared = this.options.shared;
    if (shared !== undefined) {
      const { before, status } = await shared.acquire(userId, cap);
      if (before < 0) return false;
      this.local.set(userId, (this.local.get(userId) ?? 0) + 1);
      if (before === 0 && effective(1, status) !== 'offline') this.track(this.publish(userId, effective(1, status)));
      return true;
    }
    const r = this.redis;
    if (r === undefined && this.options.redis !== undefined) this.needsReconcile = true;
    let before: number | undefined;
    let manual: string | undefined;
    if (r !== undefined && !this.needsReconcile) {
      try {
        const [total, status] = (await r.eval(ACQUIRE, 4, this.key('nodes'), this.key('conns', userId), this.key('node', this.options.nodeId, 'users'), this.key('status', userId),
          this.options.nodeId, userId, this.ttl, cap)) as [number, string];
        if (total < 0) return false;
        before = total;
        manual = status;
        this.reported.add(userId);
      } catch (err) {
        this.redisFailed(err);
      }
    }
    const localBefore = this.local.get(userId) ?? 0;
    if (before === undefined) {
      if (localBefore >= cap) return false;
      before = localBefore;
      manual = this.manual.get(userId);
    }
    this.local.set(userId, localBefore + 1);
    if (before === 0) {
      const status = effective(1, manual);
      if (status !== 'offline') this.track(this.publish(userId, status));
    }
    return true;
  }

  /** Forgets one connection of the user (a live socket went away). */
  release(userId: string): void {
    const n = (this.local.get(userId) ?? 1) - 1;
    if (n <= 0) this.local.delete(userId);
    else this.local.set(userId, n);
    this.track(this.afterRelease(userId, n));
  }

  private async afterRelease(userId: string, localAfter: number): Promise<void> {
    const shared = this.options.shared;
    if (shared !== undefined) {
      const { after, status } = await shared.release(userId);
      if (after === 0 && effective(1, status) !== 'offline') await this.publish(userId, 'offline');
      return;
    }
    const r = this.redis;
    if (r === undefined && this.options.redis !== undefined) this.needsReconcile = true;
    let after = localAfter;
    let manual = this.manual.get(userId) as string | undefined;
    if (r !== undefined && !this.needsReconcile) {
      try {
        [after, manual] = (await r.eval(RELEASE, 4, this.key('nodes'), this.key('conns', userId), this.key('node', this.options.nodeId, 'users'), this.key('status', userId),
          this.options.nodeId, userId, this.ttl)) as [number, string];
        if (localAfter <= 0) this.reported.delete(userId);
      } catch (err) {
        this.redisFailed(err);
      }
    }
    if (after === 0 && effective(1, manual) !== 'offline') await this.publish(userId, 'offline');
  }

  /** Sets the user's chosen status; returns the status others now see. */
  async setStatus(userId: string, status: Status): Promise<Status> {
    const before = (await this.presenceOf([userId])).get(userId) ?? 'offline';
    if (this.options.shared !== undefined) {
      await this.options.shared.setStatus(userId, status);
      const now = (await this.presenceOf([userId])).get(userId) ?? 'offline';
      if (now !== before) await this.publish(userId, now);
      return now;
    }
    if (status === 'online') this.manual.delete(userId);
    else this.manual.set(userId, status);
    const r = this.redis;
    if (r !== undefined) {
      try {
        if (status === 'online') await r.del(this.key('status', userId));
        else await r.set(this.key('status', userId), status, 'PX', STATUS_TTL_MS);
      } catch (err) {
        this.redisFailed(err);
        this.unsavedStatus.add(userId);
      }
    } else if (this.options.redis !== undefined) {
      this.needsReconcile = true;
      this.unsavedStatus.add(userId);
    }
    const after = (await this.presenceOf([userId])).get(userId) ?? 'offline';
    if (after !== before) await this.publish(userId, after);
    return after;
  }

  async presenceOf(userIds: readonly string[]): Promise<Map<string, Status>> {
    const ids = [...new Set(userIds)];
    const out = new Map<string, Status>();
    if (this.options.shared !== undefined && ids.length > 0) {
      const statuses = await this.options.shared.statuses(ids);
      ids.forEach((id, i) => out.set(id, statuses[i] ?? 'offline'));
      return out;
    }
    const r = this.redis;
    if (r !== undefined && ids.length > 0 && !this.needsReconcile) {
      try {
        const keys = [this.key('nodes'), ...ids.flatMap((id) => [this.key('conns', id), this.key('status', id)])];
        const statuses = (await r.eval(STATUSES, keys.length, ...keys, this.ttl)) as string[];
        ids.forEach((id, i) => out.set(id, (statuses[i] ?? 'offline') as Status));
        return out;
      } catch (err) {
        this.redisFailed(err);
      }
    }
    for (const id of ids) out.set(id, effective(this.local.get(id) ?? 0, this.manual.get(id)));
    return out;
  }

  /** Publishes `offline` for users whose last connections were on a worker that died. */
  announceOffline(userIds: readonly string[]): void {
    for (const id of userIds) this.track(this.publish(id, 'offline'));
  }

  async isOnline(userId: string): Promise<boolean> {
    return (await this.presenceOf([userId])).get(userId) === 'online';
  }

  /** Refreshes this node's heartbeat and claims dead nodes (publishing their users' offline status). */
  private async heartbeat(): Promise<void> {
    const r = this.redis;
    if (r === undefined || this.closed) return;
    const [added, ...dead] = (await r.eval(HEARTBEAT, 1, this.key('nodes'), this.options.nodeId, this.ttl)) as [number, ...string[]];
    // Dropped as dead by another node (a long pause, a partition): put our counts back.
    if (added === 1 && (this.local.size > 0 || this.reported.size > 0)) this.needsReconcile = true;
    if (this.needsReconcile) await this.reconcile();
    for (const node of dead) {
      if (node === this.options.nodeId) continue;
      const users = (await r.eval(CLAIM, 2, this.key('nodes'), this.key('node', node, 'users'), node)) as string[] | null;
      if (users === null || users.length === 0) continue;
      this.options.logger.info({ node_id: node, users: users.length }, 'presence: a node stopped answering; its connections no longer count');
      const now = await this.presenceOf(users);
      for (const [userId, status] of now) if (status === 'offline') await this.publish(userId, 'offline');
    }
  }

  /** Rewrites this node's counts into Redis (after an outage, or after being declared dead). */
  private async reconcile(): Promise<void> {
    const r = this.redis;
    if (r === undefined) return;
    const nodeUsers = this.key('node', this.options.nodeId, 'users');
    const multi = r.multi();
    multi.zadd(this.key('nodes'), Date.now(), this.options.nodeId);
    for (const userId of new Set([...this.local.keys(), ...this.reported])) {
      const n = this.local.get(userId) ?? 0;
      if (n > 0) {
        multi.hset(this.key('conns', userId), this.options.nodeId, n).pexpire(this.key('conns', userId), 86_400_000).sadd(nodeUsers, userId);
      } else {
        multi.hdel(this.key('conns', userId), this.options.nodeId).srem(nodeUsers, userId);
      }
    }
    multi.pexpire(nodeUsers, 86_400_000);
    for (const userId of this.unsavedStatus) {
      const status = this.manual.get(userId);
      if (status === undefined) multi.del(this.key('status', userId));
      else multi.set(this.key('status', userId), status, 'PX', STATUS_TTL_MS);
    }
    await multi.exec();
    this.unsavedStatus.clear();
    this.reported.clear();
    for (const userId of this.local.keys()) this.reported.add(userId);
    this.needsReconcile = false;
    this.options.logger.info({ users: this.local.size }, 'presence: counts written back to Redis');
  }

  /** Waits for pending updates, then removes this node from Redis (graceful shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.options.redis?.off('ready', this.onReady);
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    const r = this.redis;
    if (r === undefined) return;
    try {
      const multi = r.multi();
      for (const userId of this.reported) multi.hdel(this.key('conns', userId), this.options.nodeId);
      multi.del(this.key('node', this.options.nodeId, 'users')).zrem(this.key('nodes'), this.options.nodeId);
      await multi.exec();
    } catch (err) {
      this.options.logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'presence: could not remove this node from Redis');
    }
  }
}
