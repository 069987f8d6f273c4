/**
 * Per-channel commit order for what the bus delivers. Writes on different processes or nodes
 * publish after their own commits, and the bus carries their events by different routes
 * (this process's own events on the same tick, other processes' through Redis), so a channel's
 * events can arrive out of commit order: a post committed by process A can reach process C
 * after the post that process B committed later.
 *
 * The store stamps each such event with the channel's `event_seq` numbers its write took
 * (domain/events.ts EventOrder, store/outbox.ts): numbers without gaps, in commit order. This
 * decorator sits between any bus and its subscribers (the hub) and, per channel, hands on
 * event n only once n-1 has been handed on:
 *
 *   inner bus ──onEvent──▶ ChannelOrder ──in order──▶ subscribers (hub)
 *                            │ n > last+1: wait (per channel, sorted)
 *                            └ gap not filled within gapMs: log, skip it, hand on what waited
 *
 * - Unstamped events (typing, presence, reactions, membership...) pass at once.
 * - A channel's first number (1) passes at once. Any other number seen first for a channel (a
 *   process that just started, or a channel forgotten as idle) opens a start window (`startMs`,
 *   as long as the gap window): what arrives meanwhile is handed on sorted, from the lowest
 *   number seen, so that an earlier event still on its way from another process is not
 *   overtaken. (The price: after a restart, a channel's first event waits that long once.)
 *   A number at or below the last one handed on (an event arriving after its gap was skipped)
 *   passes at once: late, never lost.
 * - A gap is bounded: a process that died between its commit and its publish, or a write that
 *   took a number and published nothing, costs the channel's next events `gapMs`, not forever.
 * - Memory is bounded: at most `maxChannels` channels are remembered (the least recently used
 *   idle ones are forgotten), at most `maxWaiting` events wait per channel (then the gap is skipped).
 * - On resync (messages from other nodes may have been lost) everything waiting is handed on
 *   and every channel is forgotten: clients refetch anyway.
 * - Control messages are not ordered with events; they pass at once, as before.
 *
 * In one process on the embedded database, commit order and publish order already agree, so
 * nothing ever waits: the cost is a map lookup per stamped event.
 */
import type { ControlMessage, RealtimeEvent } from '../../domain/events.js';
import type { Logger } from '../../observability/logger.js';
import type { Bus, BusSubscriber } from './bus.js';

export interface ChannelOrderOptions {
  /** How long a gap may stay open before it is skipped (default 1,000 ms). */
  readonly gapMs?: number | undefined;
  /** How long a channel seen first at a number above 1 collects events before it starts (default: gapMs). */
  readonly startMs?: number | undefined;
  /** Channels remembered at most (default 10,000). */
  readonly maxChannels?: number;
  /** Events waiting per channel at most (default 1,000). */
  readonly maxWaiting?: number;
  /** Told when a gap is skipped: the numbers that never came. */
  readonly onGap?: (channelId: string, missingFrom: number, missingTo: number) => void;
}

interface ChannelState {
  /** The highest number handed on. */
  last: number;
  /** Events waiting for a lower number, sorted by `order.from` (stable). */
  readonly waiting: RealtimeEvent[];
  timer: NodeJS.Timeout | undefined;
  /** In its start window: collecting, nothing handed on yet. */
  starting: boolean;
}

/** The reordering itself, free of any bus: `push` events in arrival order, `deliver` gets them in channel order. */
export class ChannelOrder {
  private readonly channels = new Map<string, ChannelState>();
  private readonly gapMs: number;
  private readonly startMs: number;
  private readonly maxChannels: number;
  private readonly maxWaiting: number;
  private closed = false;

  constructor(private readonly deliver: (event: RealtimeEvent) => void, private readonly options: ChannelOrderOptions = {}) {
    this.gapMs = options.gapMs ?? 1000;
    this.startMs = Math.min(this.gapMs, options.startMs ?? this.gapMs);
    this.maxChannels = options.maxChannels ?? 10_000;
    this.maxWaiting = options.maxWaiting ?? 1000;
  }

  push(event: RealtimeEvent): void {
    if (this.closed) return;
    const order = event.order;
    if (order === undefined) {
      this.deliver(event);
      return;
    }
    const id = order.channel_id;
    let state = this.channels.get(id);
    if (state === undefined) {
      if (order.from <= 1) {
        state = { last: order.to, waiting: [], timer: undefined, starting: false };
        this.channels.set(id, state);
        this.forgetIdle();
        this.deliver(event);
        return;
      }
      // Seen first in mid-stream: collect for a moment, then start from the lowest number.
      const starting: ChannelState = { last: order.from - 1, waiting: [event], timer: undefined, starting: true };
      this.channels.set(id, starting);
      this.forgetIdle();
      starting.timer = setTimeout(() => {
        starting.timer = undefined;
        starting.starting = false;
        if (this.closed || this.channels.get(id) !== starting || starting.waiting.length === 0) return;
        starting.last = starting.waiting[0]!.order!.from - 1;
        this.drain(id, starting);
        if (starting.waiting.length > 0) starting.timer ??= this.arm(id, starting);
      }, this.startMs);
      starting.timer.unref();
      return;
    }
    // Most recently used last: the map's first entries are the idle ones.
    this.channels.delete(id);
    this.channels.set(id, state);
    if (!state.starting && order.from <= state.last + 1) {
      state.last = Math.max(state.last, order.to);
      this.deliver(event);
      this.drain(id, state);
      return;
    }
    let at = state.waiting.length;
    while (at > 0 && state.waiting[at - 1]!.order!.from > order.from) at--;
    state.waiting.splice(at, 0, event);
    if (state.starting) return;
    if (state.waiting.length > this.maxWaiting) this.skip(id, state);
    else state.timer ??= this.arm(id, state);
  }

  /** Hands on everything waiting, in channel order, and forgets every channel. */
  flush(): void {
    const states = [...this.channels.entries()];
    this.channels.clear();
    for (const [, state] of states) {
      clearTimeout(state.timer);
      for (const event of state.waiting.splice(0)) this.deliver(event);
    }
  }

  /** Drops everything waiting; nothing is delivered afterwards. */
  close(): void {
    this.closed = true;
    for (const state of this.channels.values()) clearTimeout(state.timer);
    this.channels.clear();
  }

  /** Channels remembered (for tests of the memory bound). */
  get size(): number {
    return this.channels.size;
  }

  private drain(id: string, state: ChannelState): void {
    let progressed = false;
    while (state.waiting.length > 0 && state.waiting[0]!.order!.from <= state.last + 1) {
      const event = state.waiting.shift()!;
      state.last = Math.max(state.last, event.order!.to);
      progressed = true;
      this.deliver(event);
    }
    if (state.waiting.length === 0) {
      clearTimeout(state.timer);
      state.timer = undefined;
    } else if (progressed) {
      // The gap that was waited for is filled; a later one gets its own full window.
      clearTimeout(state.timer);
      state.timer = this.arm(id, state);
    }
  }

  private skip(id: string, state: ChannelState): void {
    const next = state.waiting[0];
    if (next === undefined) return;
    this.options.onGap?.(id, state.last + 1, next.order!.from - 1);
    state.last = next.order!.from - 1;
    clearTimeout(state.timer);
    state.timer = undefined;
    this.drain(id, state);
    if (state.waiting.length > 0) state.timer ??= this.arm(id, state);
  }

  private arm(id: string, state: ChannelState): NodeJS.Timeout {
    const timer = setTimeout(() => {
      state.timer = undefined;
      if (!this.closed && this.channels.get(id) === state) this.skip(id, state);
    }, this.gapMs);
    timer.unref();
    return timer;
  }

  private forgetIdle(): void {
    if (this.channels.size <= this.maxChannels) return;
    for (const [id, state] of this.channels) {
      if (this.channels.size <= this.maxChannels) return;
      if (state.waiting.length === 0) this.channels.delete(id);
    }
  }
}

export interface OrderedBusOptions extends Omit<ChannelOrderOptions, 'onGap'> {
  readonly logger: Logger;
}

/** A bus whose subscribers get each channel's stamped events in commit order (see the top of this file). */
export class OrderedBus implements Bus {
  private readonly subscribers = new Set<BusSubscriber>();
  private readonly order: ChannelOrder;
  private readonly unsubscribe: () => void;

  constructor(private readonly inner: Bus, options: OrderedBusOptions) {
    const { logger, ...limits } = options;
    this.order = new ChannelOrder((event) => {
      for (const s of this.subscribers) s.onEvent(event);
    }, {
      ...limits,
      onGap: (channelId, missingFrom, missingTo) =>
        logger.warn({ channel_id: channelId, missing_from: missingFrom, missing_to: missingTo }, 'bus: channel events never arrived; delivering the later ones'),
    });
    this.unsubscribe = inner.subscribe({
      onEvent: (event) => this.order.push(event),
      onControl: (message) => {
        for (const s of this.subscribers) s.onControl(message);
      },
      onResync: () => {
        this.order.flush();
        for (const s of this.subscribers) s.onResync?.();
      },
    });
  }

  publish(event: RealtimeEvent): void {
    this.inner.publish(event);
  }

  control(message: ControlMessage): void {
    this.inner.control(message);
  }

  subscribe(subscriber: BusSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  async close(): Promise<void> {
    this.order.close();
    this.subscribers.clear();
    this.unsubscribe();
    await this.inner.close();
  }
}
