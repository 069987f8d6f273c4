/**
 * The bus between the worker processes of one machine (RUSTCHAT_WORKERS > 1 without Redis):
 * what a worker publishes is handed to its own subscribers at once (a LocalBus, as on one
 * process) and sent to the primary, which relays it to every other worker (cluster/primary.ts).
 * The IPC channel is ordered and lossless while both ends live; a worker whose primary is gone
 * stops (cluster/serve.ts), so there is no silent gap to resync.
 */
import type { ControlMessage, RealtimeEvent } from '../../domain/events.js';
import type { PrimaryLink } from '../../cluster/worker.js';
import type { Bus, BusSubscriber } from './bus.js';
import { LocalBus } from './local.js';

export class ClusterBus implements Bus {
  private readonly local = new LocalBus();

  constructor(private readonly link: PrimaryLink) {
    link.setRelay({ onEvent: (e) => this.local.publish(e), onControl: (c) => this.local.control(c) });
  }

  publish(event: RealtimeEvent): void {
    this.local.publish(event);
    this.link.publish(event);
  }

  control(message: ControlMessage): void {
    this.local.control(message);
    this.link.control(message);
  }

  subscribe(subscriber: BusSubscriber): () => void {
    return this.local.subscribe(subscriber);
  }

  close(): Promise<void> {
    // What this worker published last still reaches the others (the process may exit next).
    this.link.flush();
    this.link.setRelay(undefined);
    return this.local.close();
  }
}
