/**
 * The outbox of one write: the real-time events and control messages a transaction queues
 * (`tx.publish`, `tx.control`), held until its COMMIT and then handed to the bus in the
 * order queued. A rolled-back transaction's outbox is simply dropped, so no event can
 * describe a change that never happened, and the only way to publish is to write.
 */
import type { ControlMessage, EventPublisher, RealtimeEvent } from '../domain/events.js';

type Queued = { readonly event: RealtimeEvent; readonly control?: undefined } | { readonly event?: undefined; readonly control: ControlMessage };

export class Outbox implements EventPublisher {
  private queued: Queued[] = [];

  publish(event: RealtimeEvent): void {
    this.queued.push({ event });
  }

  control(message: ControlMessage): void {
    this.queued.push({ control: message });
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
    this.queued = [];
    for (const q of queued) {
      try {
        if (q.event !== undefined) to.publish(q.event);
        else to.control(q.control);
      } catch (err) {
        failed(err);
      }
    }
  }
}
