/**
 * Whose turn it is to write the embedded database (RUSTCHAT_WORKERS > 1 on SQLite), kept by the
 * primary. docs/process-model.md ("The write turn") has the measurements behind it.
 *
 * SQLite lets one connection write at a time. Without a turn, a worker that finds the file
 * locked waits in SQLite's busy handler, which sleeps 1, 2, 5, 10… ms *with the event loop
 * blocked*: no request is read, no frame is sent, while the other worker commits. With the
 * turn, a worker asks the primary before its group commit opens a transaction and goes on
 * serving while it waits; the posts that arrive meanwhile join the batch it writes when its
 * turn comes. Turns are granted first come, first served.
 *
 * The turn only schedules: SQLite's own lock still decides (BEGIN IMMEDIATE, busy_timeout), so
 * a worker that stops waiting for a turn (PrimaryLink's timeout), the command-line tools and
 * autocommit statements outside the group commit stay correct, only slower.
 */

/** A turn asked for by worker `worker` as its request `id`. */
export interface TurnGrant {
  readonly worker: number;
  readonly id: number;
}

/**
 * The queue of turns, first come first served, and the workers' comings and goings: a worker
 * that is gone (its exit handled, or its channel closed) is never granted a turn: a turn that
 * would pass to it (a request read after its exit, say) passes on to the next.
 */
export class WriteTurns {
  private holder: TurnGrant | undefined;
  private readonly waiting: TurnGrant[] = [];

  constructor(
    /** Whether `worker` is running and reachable. */
    private readonly live: (worker: number) => boolean,
    /** Tells `worker` that its request `id` is granted. */
    private readonly notify: (worker: number, id: number) => void,
  ) {}

  /** Worker `worker` asks for a turn (request `id`). */
  ask(worker: number, id: number): void {
    this.waiting.push({ worker, id });
    if (this.holder === undefined) this.pass();
  }

  /** Worker `worker` gives back turn `id`, or withdraws the request (a stale or unknown id changes nothing). */
  end(worker: number, id: number): void {
    if (this.holder?.worker === worker && this.holder.id === id) return this.pass();
    const i = this.waiting.findIndex((t) => t.worker === worker && t.id === id);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** `worker` exited: its requests go, and its turn, if it held it, passes on. */
  gone(worker: number): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i]!.worker === worker) this.waiting.splice(i, 1);
    if (this.holder?.worker === worker) this.pass();
  }

  /** Who holds the turn now (for tests). */
  current(): TurnGrant | undefined {
    return this.holder;
  }

  /** Gives the turn to the first waiting request whose worker is live. */
  private pass(): void {
    for (this.holder = this.waiting.shift(); this.holder !== undefined; this.holder = this.waiting.shift()) {
      if (this.live(this.holder.worker)) return this.notify(this.holder.worker, this.holder.id);
    }
  }
}
