/**
 * The in-process event bus: what services publish (after commit) is handed to local
 * subscribers (the WebSocket hub) on the same tick. The Redis bus (bus/redis.ts) has the
 * same shape and also forwards to other nodes.
 */
import type { ControlMessage, EventName, EventPublisher, RealtimeEvent } from '../../domain/events.js';

export interface BusSubscriber {
  /** An event to deliver (already committed). */
  onEvent(event: RealtimeEvent): void;
  /** A control message (session revoked, team membership changed...). */
  onControl(message: ControlMessage): void;
  /** Messages from other nodes may have been lost (Redis outage): clients must refetch. */
  onResync?(): void;
}

export interface Bus extends EventPublisher {
  subscribe(subscriber: BusSubscriber): () => void;
  close(): Promise<void>;
}

export class LocalBus implements Bus {
  private readonly subscribers = new Set<BusSubscriber>();

  publish<K extends EventName>(event: RealtimeEvent<K>): void {
    for (const s of this.subscribers) s.onEvent(event);
  }

  control(message: ControlMessage): void {
    for (const s of this.subscribers) s.onControl(message);
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
