/**
 * The event bus: how committed events and control messages reach the WebSocket hubs of
 * this node and, in a cluster, of every node. Producers are the store's transactions (after
 * their commit, see store/outbox.ts) and the real-time layer's own ephemeral events
 * (typing, presence). Implementations: bus/local.ts (one node), bus/redis.ts (a cluster; it
 * uses the local bus for its own node's fan-out); bus/ordered.ts wraps either so that its
 * subscribers get each channel's events in commit order.
 */
import type { ControlMessage, EventPublisher, RealtimeEvent } from '../../domain/events.js';

export interface BusSubscriber {
  /** An event to deliver (already committed). */
  onEvent(event: RealtimeEvent): void;
  /** A control message (session revoked, team membership changed...). */
  onControl(message: ControlMessage): void;
  /** Messages from other nodes may have been lost (Redis outage): clients must refetch. */
  onResync?(): void;
}

export interface Bus extends EventPublisher {
  /** Hands an event to every subscriber on every node (this node's on the same tick, never waiting for the network). */
  publish(event: RealtimeEvent): void;
  /** Hands a control message to every subscriber on every node, like `publish`. */
  control(message: ControlMessage): void;
  /** Adds a subscriber (the hub); returns the function that removes it. */
  subscribe(subscriber: BusSubscriber): () => void;
  /** Drops every subscriber and releases connections; nothing is delivered afterwards. */
  close(): Promise<void>;
}
