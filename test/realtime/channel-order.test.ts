/**
 * The per-channel reordering between the bus and the hub (realtime/bus/ordered.ts), on its
 * own: stamped events in, channel order out; gaps skipped after the window (fake timers);
 * memory bounded. The end-to-end proof (two apps on one database) is in
 * test/realtime/commit-order.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RealtimeEvent } from '../../src/domain/events.js';
import { LocalBus } from '../../src/realtime/bus/local.js';
import { ChannelOrder, OrderedBus } from '../../src/realtime/bus/ordered.js';
import { createLogger } from '../../src/observability/logger.js';
import { captureLogs } from '../helpers/app.js';

/** A stamped event of channel `c`, numbered `from`..`to`; `tag` names it in the output. */
function ev(c: string, from: number, to = from, tag = `${c}${from}`): RealtimeEvent {
  return { event: 'channel_viewed', data: { channel_id: c, last_viewed_seq: 0 }, broadcast: { channel_id: c }, order: { channel_id: c, from, to }, tag } as RealtimeEvent;
}
const unstamped = (tag: string): RealtimeEvent => ({ event: 'typing', data: { user_id: tag, channel_id: 'a', parent_id: null }, broadcast: { channel_id: 'a' }, tag }) as RealtimeEvent;
const tagOf = (e: RealtimeEvent): string => (e as unknown as { tag: string }).tag;

describe('ChannelOrder', () => {
  let out: string[];
  let gaps: Array<[string, number, number]>;
  let order: ChannelOrder;
  const make = (opts: { maxChannels?: number; maxWaiting?: number } = {}) =>
    new ChannelOrder((e) => out.push(tagOf(e)), { gapMs: 1000, ...opts, onGap: (c, from, to) => gaps.push([c, from, to]) });

  beforeEach(() => {
    vi.useFakeTimers();
    out = [];
    gaps = [];
    order = make();
  });
  afterEach(() => {
    order.close();
    vi.useRealTimers();
  });

  it('hands on a channel\'s first number and what follows it at once', () => {
    for (const n of [1, 2, 3]) order.push(ev('a', n));
    expect(out).toEqual(['a1', 'a2', 'a3']);
  });

  it('starts a channel seen first in mid-stream after a short window, from the lowest number that arrived', () => {
    order.push(ev('a', 8));
    order.push(ev('a', 7));
    order.push(ev('a', 10));
    expect(out).toEqual([]);
    vi.advanceTimersByTime(1000);
    // 7 and 8 in order; 10 waits for 9 (its own gap window).
    expect(out).toEqual(['a7', 'a8']);
    order.push(ev('a', 9));
    expect(out).toEqual(['a7', 'a8', 'a9', 'a10']);
    expect(gaps).toEqual([]);
  });

  it('holds a later event until the missing one arrives, then hands on both in order', () => {
    order.push(ev('a', 1));
    order.push(ev('a', 3));
    order.push(ev('a', 4));
    expect(out).toEqual(['a1']);
    order.push(ev('a', 2));
    expect(out).toEqual(['a1', 'a2', 'a3', 'a4']);
    vi.advanceTimersByTime(5000);
    expect(gaps).toEqual([]);
  });

  it('keeps channels apart: a gap in one holds nothing of another', () => {
    order.push(ev('a', 1));
    order.push(ev('b', 1));
    order.push(ev('a', 3));
    order.push(ev('b', 2));
    expect(out).toEqual(['a1', 'b1', 'b2']);
  });

  it('passes unstamped events at once, even while the channel waits', () => {
    order.push(ev('a', 1));
    order.push(ev('a', 3));
    order.push(unstamped('typing'));
    expect(out).toEqual(['a1', 'typing']);
  });

  it('treats a range as one write: several events with the same stamp all pass, the next waits for the end of the range', () => {
    order.push(ev('a', 1));
    order.push(ev('a', 2, 3, 'w1'));
    order.push(ev('a', 2, 3, 'w2'));
    order.push(ev('a', 5));
    expect(out).toEqual(['a1', 'w1', 'w2']);
    order.push(ev('a', 4));
    expect(out).toEqual(['a1', 'w1', 'w2', 'a4', 'a5']);
  });

  it('skips a gap that does not fill within the window, reports it, and delivers what waited in order', () => {
    order.push(ev('a', 1));
    order.push(ev('a', 5));
    order.push(ev('a', 4));
    vi.advanceTimersByTime(999);
    expect(out).toEqual(['a1']);
    vi.advanceTimersByTime(1);
    expect(gaps).toEqual([['a', 2, 3]]);
    expect(out).toEqual(['a1', 'a4', 'a5']);
    // The missing events, arriving after all: late, but not lost.
    order.push(ev('a', 2));
    expect(out).toEqual(['a1', 'a4', 'a5', 'a2']);
    order.push(ev('a', 6));
    expect(out.at(-1)).toBe('a6');
  });

  it('gives a second gap its own window once the first is filled', () => {
    order.push(ev('a', 1));
    order.push(ev('a', 3));
    order.push(ev('a', 5));
    vi.advanceTimersByTime(900);
    order.push(ev('a', 2));
    expect(out).toEqual(['a1', 'a2', 'a3']);
    vi.advanceTimersByTime(900);
    expect(gaps).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(gaps).toEqual([['a', 4, 4]]);
    expect(out).toEqual(['a1', 'a2', 'a3', 'a5']);
  });

  it('skips at once when too many events wait on one channel', () => {
    order.close();
    order = make({ maxWaiting: 3 });
    order.push(ev('a', 1));
    for (const n of [3, 4, 5]) order.push(ev('a', n));
    expect(out).toEqual(['a1']);
    order.push(ev('a', 6));
    expect(gaps).toEqual([['a', 2, 2]]);
    expect(out).toEqual(['a1', 'a3', 'a4', 'a5', 'a6']);
  });

  it('remembers at most maxChannels channels, forgetting the least recently used idle ones', () => {
    order.close();
    order = make({ maxChannels: 3 });
    order.push(ev('waits', 1));
    order.push(ev('waits', 3));
    for (const c of ['b', 'c', 'd', 'e', 'f']) order.push(ev(c, 1));
    expect(order.size).toBe(3);
    // The channel with a waiting event was kept: its gap still fills in order.
    order.push(ev('waits', 2));
    expect(out.slice(-2)).toEqual(['waits2', 'waits3']);
  });

  it('flush hands on everything waiting and forgets every channel', () => {
    order.push(ev('a', 1));
    order.push(ev('a', 4));
    order.push(ev('a', 3));
    order.flush();
    expect(out).toEqual(['a1', 'a3', 'a4']);
    expect(order.size).toBe(0);
    order.push(ev('a', 9));
    vi.advanceTimersByTime(1000);
    expect(out.at(-1)).toBe('a9');
  });

  it('delivers nothing after close, and its timers are gone', () => {
    order.push(ev('a', 1));
    order.push(ev('a', 3));
    order.close();
    vi.advanceTimersByTime(5000);
    order.push(ev('a', 2));
    expect(out).toEqual(['a1']);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('OrderedBus', () => {
  it('puts a channel\'s events in order between the inner bus and its subscribers, passes controls, and flushes on resync', () => {
    const inner = new LocalBus();
    const bus = new OrderedBus(inner, { logger: createLogger('silent'), gapMs: 60_000 });
    const got: string[] = [];
    bus.subscribe({ onEvent: (e) => got.push(tagOf(e)), onControl: (m) => got.push(m.kind), onResync: () => got.push('resync') });
    bus.publish(ev('a', 1));
    inner.publish(ev('a', 3));
    bus.control({ kind: 'user_deactivated', userId: 'u' });
    inner.publish(ev('a', 2));
    inner.publish(ev('a', 5));
    inner.resync();
    expect(got).toEqual(['a1', 'user_deactivated', 'a2', 'a3', 'a5', 'resync']);
    void bus.close();
  });

  it('logs a skipped gap and delivers what waited (a process that died between its commit and its publish)', () => {
    vi.useFakeTimers();
    try {
      const { stream, capture } = captureLogs();
      const inner = new LocalBus();
      const bus = new OrderedBus(inner, { logger: createLogger('info', stream), gapMs: 1000 });
      const got: string[] = [];
      bus.subscribe({ onEvent: (e) => got.push(tagOf(e)), onControl: () => undefined });
      inner.publish(ev('a', 1));
      inner.publish(ev('a', 3));
      vi.advanceTimersByTime(1000);
      expect(got).toEqual(['a1', 'a3']);
      const line = capture.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'bus: channel events never arrived; delivering the later ones');
      expect(line).toMatchObject({ level: 'warn', channel_id: 'a', missing_from: 2, missing_to: 2 });
      void bus.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
