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

export class WriteTurns {
  private holder: TurnGrant | undefined;
  private readonly waiting: TurnGrant[] = [];

  /** Worker `worker` asks for a turn; returns the grant when it is free now. */
  request(worker: number, id: number): TurnGrant | undefined {
    const ask = { worker, id };
    if (this.holder === undefined) return (this.holder = ask);
    this.waiting.push(ask);
    return undefined;
  }

  /** Worker `worker` gives back turn `id` (or withdraws the request); returns the next grant, if any. */
  end(worker: number, id: number): TurnGrant | undefined {
    if (this.holder !== undefined && this.holder.worker === worker && this.holder.id === id) return this.next();
    const i = this.waiting.findIndex((t) => t.worker === worker && t.id === id);
    if (i >= 0) this.waiting.splice(i, 1);
    return undefined;
  }

  /** A worker died: its requests go, its turn (if it held it) passes on; returns the next grant, if any. */
  dropWorker(worker: number): TurnGrant | undefined {
    for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i]!.worker === worker) this.waiting.splice(i, 1);
    return this.holder?.worker === worker ? this.next() : undefined;
  }

  /** Who holds the turn now (for tests and metrics). */
  current(): TurnGrant | undefined {
    return this.holder;
  }

  private next(): TurnGrant | undefined {
    this.holder = this.waiting.shift();
    return this.holder;
  }
}

/**
 * The primary's desk for turns: WriteTurns plus the workers' comings and goings. A worker that
 * is gone (its exit handled, or its channel closed) is never granted a turn: a request read
 * after its exit is ignored, and a turn that would pass to it passes on to the next.
 */
export class TurnDesk {
  private readonly turns = new WriteTurns();

  constructor(
    /** Whether `worker` is running and reachable. */
    private readonly live: (worker: number) => boolean,
    /** Tells `worker` that its request `id` is granted. */
    private readonly notify: (worker: number, id: number) => void,
  ) {}

  ask(worker: number, id: number): void {
    if (this.live(worker)) this.pass(this.turns.request(worker, id));
  }

  end(worker: number, id: number): void {
    this.pass(this.turns.end(worker, id));
  }

  /** `worker` exited. */
  gone(worker: number): void {
    this.pass(this.turns.dropWorker(worker));
  }

  /** Who holds the turn now (for tests). */
  current(): TurnGrant | undefined {
    return this.turns.current();
  }

  private pass(grant: TurnGrant | undefined): void {
    for (let next = grant; next !== undefined; next = this.turns.dropWorker(next.worker)) {
      if (this.live(next.worker)) return this.notify(next.worker, next.id);
    }
  }
}
