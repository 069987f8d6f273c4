/**
 * The cluster bus: what a node publishes is handed to its local subscribers at once (through
 * a LocalBus, the same fan-out a single node uses) and sent to every other node over one
 * Redis pub/sub channel (`<prefix>bus`). Each message carries the sender's node id; a node
 * drops its own echoes, and hands what other nodes sent to the same LocalBus.
 *
 * Flow:
 *
 *   commit ──publish──▶ RedisBus ──▶ LocalBus ──▶ local hub      (same tick, never waits for Redis)
 *                          └──PUBLISH──▶ Redis ──▶ other nodes' RedisBus ──▶ their LocalBus ──▶ their hubs
 *
 * Gaps are never silent. Two things can lose messages:
 * - this node's subscription drops: messages sent meanwhile never reach it. When the subscriber
 *   is back and SUBSCRIBE has been confirmed, subscribers get `onResync()` (the hub then gives
 *   every local client a new hello, i.e. "refetch").
 * - a PUBLISH fails (Redis down or this node cut off): other nodes miss our message. Once the
 *   publisher is back, we publish a `resync` request and every other node resyncs its clients.
 * Meanwhile local delivery goes on: a node keeps serving its own clients without Redis.
 */
import { Redis } from 'ioredis';
import type { ControlMessage, RealtimeEvent } from '../../domain/events.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Bus, BusSubscriber } from './bus.js';
import { LocalBus } from './local.js';

type Wire =
  | { readonly n: string; readonly t: 'e'; readonly p: RealtimeEvent }
  | { readonly n: string; readonly t: 'c'; readonly p: ControlMessage }
  | { readonly n: string; readonly t: 'r' };

export interface RedisBusOptions {
  readonly url: string;
  readonly prefix: string;
  readonly nodeId: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export class RedisBus implements Bus {
  readonly nodeId: string;
  private readonly channel: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  /** This node's fan-out: our own messages at once, and other nodes' as they arrive. */
  private readonly local = new LocalBus();
  /** Our subscription was (or may have been) interrupted: resync local clients once it is back. */
  private subscriptionGap = false;
  /** A publish failed: ask the other nodes to resync once we can publish again. */
  private owesResync = false;
  private subscribed = false;
  private closed = false;

  constructor(private readonly options: RedisBusOptions) {
    this.nodeId = options.nodeId;
    this.channel = `${options.prefix}bus`;
    const common = {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResubscribe: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
    };
    this.pub = new Redis(options.url, { ...common, connectionName: `${options.prefix}bus-pub:${this.nodeId}` });
    this.sub = new Redis(options.url, { ...common, connectionName: `${options.prefix}bus-sub:${this.nodeId}` });
    for (const [name, conn] of [['publisher', this.pub], ['subscriber', this.sub]] as const) {
      conn.on('error', (err: Error) => options.logger.warn({ err: { message: err.message }, connection: name }, 'bus: redis error'));
    }
    this.sub.on('close', () => {
      if (this.subscribed && !this.closed) {
        options.logger.warn('bus: lost the Redis subscription; local clients will resync when it is back');
        this.subscriptionGap = true;
      }
      this.subscribed = false;
    });
    this.sub.on('ready', () => void this.listen());
    this.pub.on('ready', () => {
      if (this.owesResync) this.requestResync();
    });
    this.sub.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    });
  }

  /** Connects both Redis connections; a Redis that is down at start is retried in the background (and counts as a gap). */
  async start(): Promise<void> {
    const results = await Promise.allSettled([this.pub.connect(), this.sub.connect()]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) {
      this.subscriptionGap = true;
      this.options.logger.warn({ err: { message: String((failed).reason) } }, 'bus: Redis is not reachable at start; serving local clients and retrying');
      return;
    }
    // 'ready' may already have started the SUBSCRIBE; make sure it is confirmed before serving.
    await this.listen();
  }

  private async listen(): Promise<void> {
    if (this.closed || this.subscribed || this.sub.status !== 'ready') return;
    try {
      await this.sub.subscribe(this.channel);
    } catch (err) {
      this.options.logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'bus: SUBSCRIBE failed; retrying on reconnect');
      return;
    }
    if (this.subscribed) return;
    this.subscribed = true;
    if (this.subscriptionGap) {
      this.subscriptionGap = false;
      this.options.logger.info('bus: Redis subscription restored; resyncing local clients');
      this.resyncLocal();
    }
  }

  private resyncLocal(): void {
    this.options.metrics.busResyncs.inc();
    this.local.resync();
  }

  private receive(text: string): void {
    let msg: Wire;
    try {
      msg = JSON.parse(text) as Wire;
    } catch {
      this.options.logger.warn('bus: ignored a malformed message');
      return;
    }
    if (msg.n === this.nodeId) return;
    this.options.metrics.busMessages.inc({ direction: 'in', kind: msg.t });
    if (msg.t === 'e') this.local.publish(msg.p);
    else if (msg.t === 'c') this.local.control(msg.p);
    else if (msg.t === 'r') this.resyncLocal();
  }

  private send(msg: Wire): void {
    if (this.closed) return;
    if (this.pub.status !== 'ready') {
      this.owesResync = true;
      return;
    }
    this.options.metrics.busMessages.inc({ direction: 'out', kind: msg.t });
    this.pub.publish(this.channel, JSON.stringify(msg)).catch((err: unknown) => {
      this.owesResync = true;
      this.options.logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'bus: PUBLISH failed; other nodes will be asked to resync');
      if (this.pub.status === 'ready') this.requestResync();
    });
  }

  private requestResync(): void {
    this.owesResync = false;
    this.pub.publish(this.channel, JSON.stringify({ n: this.nodeId, t: 'r' } satisfies Wire)).then(
      () => this.options.logger.info('bus: asked the other nodes to resync their clients'),
      () => {
        this.owesResync = true;
      },
    );
  }

  publish(event: RealtimeEvent): void {
    this.local.publish(event);
    this.send({ n: this.nodeId, t: 'e', p: event });
  }

  control(message: ControlMessage): void {
    this.local.control(message);
    this.send({ n: this.nodeId, t: 'c', p: message });
  }

  subscribe(subscriber: BusSubscriber): () => void {
    return this.local.subscribe(subscriber);
  }

  /** Whether messages from other nodes are arriving (for readiness). */
  get connected(): boolean {
    return this.subscribed && this.pub.status === 'ready';
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.local.close();
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
    this.pub.disconnect();
    this.sub.disconnect();
  }
}
