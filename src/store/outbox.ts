/**
 * The outbox of one write: the real-time events and control messages a transaction queues
 * (`tx.publish`, `tx.control`), held until its COMMIT and then handed to the bus in the
 * order queued. A rolled-back transaction's outbox is simply dropped, so no event can
 * describe a change that never happened, and the only way to publish is to write.
 *
 * Channel order: a write that publishes to a channel may take numbers from the channel's
 * `event_seq` (the posts and channels stores do, in the statement that locks the channel
 * row; `taken` records them here). After the commit, every event of this write addressed to
 * that channel (`broadcast.channel_id`) leaves stamped with the numbers taken
 * (domain/events.ts EventOrder), so every node can deliver the channel's events in commit
 * order (realtime/bus/ordered.ts). Rule for writers: a write that takes a number must
 * publish at least one event to that channel, or receivers wait out a gap (bounded, logged).
 */
import type { ControlMessage, EventOrder, EventPublisher, RealtimeEvent } from '../domain/events.js';

type Queued = { readonly event: RealtimeEvent; readonly control?: undefined } | { readonly event?: undefined; readonly control: ControlMessage };

/** Where a store records the channel event numbers its write took (the write's outbox). */
export interface EventStamps {
  /** This write took number `n` of the channel's `event_seq`. */
  taken(channelId: string, n: number): void;
}

export class Outbox implements EventPublisher, EventStamps {
  private queued: Queued[] = [];
  private stamps: Map<string, EventOrder> | undefined;

  publish(event: RealtimeEvent): void {
    this.queued.push({ event });
  }

  control(message: ControlMessage): void {
    this.queued.push({ control: message });
  }

  taken(channelId: string, n: number): void {
    this.stamps ??= new Map();
    const had = this.stamps.get(channelId);
    this.stamps.set(channelId, { channel_id: channelId, from: Math.min(had?.from ?? n, n), to: Math.max(had?.to ?? n, n) });
  }

  /**
   * Hands every queued message to `to`, once (call it after the commit). A subscriber that
   * throws does not stop the rest from being handed over, and never fails the write: the
   * commit has happened, so its caller must hear "done" (a retry would repeat the write). The
   * error goes to `failed` (the app logs it).
   */
  deliver(to: EventPublisher, failed: (err: unknown) => void): void {
    if (this.queued.length === 0) return;
    const queued = this.queued;
    const stamps = this.stamps;
    this.queued = [];
    this.stamps = undefined;
    for (const q of queued) {
      try {
        if (q.event !== undefined) to.publish(stamped(q.event, stamps));
        else to.control(q.control);
      } catch (err) {
        failed(err);
      }
    }
  }
}

function stamped(event: RealtimeEvent, stamps: Map<string, EventOrder> | undefined): RealtimeEvent {
  const channelId = event.broadcast.channel_id;
  const order = stamps === undefined || channelId === undefined ? undefined : stamps.get(channelId);
  return order === undefined ? event : { ...event, order };
}
