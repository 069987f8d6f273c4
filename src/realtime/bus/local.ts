/**
 * The in-process bus: what is published is handed to this node's subscribers (the WebSocket
 * hub) on the same tick. On its own it is the bus of a single node; the Redis bus
 * (bus/redis.ts) uses it for its own node's fan-out and adds the other nodes.
 */
import type { ControlMessage, RealtimeEvent } from '../../domain/events.js';
import type { Bus, BusSubscriber } from './bus.js';

export class LocalBus implements Bus {
  private readonly subscribers = new Set<BusSubscriber>();

  publish(event: RealtimeEvent): void {
    for (const s of this.subscribers) s.onEvent(event);
  }

  control(message: ControlMessage): void {
    for (const s of this.subscribers) s.onControl(message);
  }

  /** Tells every subscriber that messages may have been lost, so their clients refetch. */
  resync(): void {
    for (const s of this.subscribers) s.onResync?.();
  }

  subscribe(subscriber: BusSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  close(): Promise<void> {
    this.subscribers.clear();
    return Promise.resolve();
  }
}
