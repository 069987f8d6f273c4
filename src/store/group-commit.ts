/**
 * Group commit: transactions requested while one is running are run back to back inside
 * ONE database transaction and committed (one fsync) together.
 *
 *   request A ─┐                    ┌─ fn(A) ─┐          ┌ committed(A), resolve A
 *   request B ─┼─ queue ─ BEGIN ────┼─ fn(B) ─┼─ COMMIT ─┼ committed(B), resolve B
 *   request C ─┘                    └─ fn(C) ─┘          └ committed(C), resolve C
 *
 * Optimistic: no savepoint per job (they cost two statements each, a quarter of a post's
 * work). If any job throws, or the COMMIT fails, the whole batch is rolled back and every
 * job of it is run again in a transaction of its own, so only the guilty job fails and the
 * others commit as if they had been alone. Failures are rare (validation happens before
 * the transaction), so the common case pays one BEGIN/COMMIT per batch.
 *
 * Guarantees are those of separate transactions run one after another: each job is atomic,
 * jobs see each other's writes in order, and no job's promise resolves before the COMMIT
 * holding its writes is durable. Jobs must only do database work on the `tx` they are given
 * (no network, no password hashing: the batch waits for each job) and must be safe to run a
 * second time after a rollback (they are: their effects are the rolled-back writes).
 *
 * After-commit work: every run of a job gets a fresh `tx` from `wrap`, and `committed(tx)`
 * is called for it only once the COMMIT holding that run has succeeded, in job order, just
 * before the job's promise resolves. A run that was rolled back (its own failure or a
 * neighbour's) is never passed to `committed`; its replay gets a new `tx`. The store uses
 * this to publish each write's events after the commit that contains it, in commit order
 * (so a channel's events leave in the order their rows were written).
 *
 * Write turn (several worker processes on one SQLite file): before each batch opens its
 * transaction, `turn` waits, without blocking the event loop, until no other process writes,
 * and the batch gives the turn back once it has committed or rolled back. The jobs that arrive
 * while it waits join that batch. See cluster/write-turns.ts.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

interface Job<S> {
  readonly fn: (tx: S) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommit<S> {
  private queue: Job<S>[] = [];
  private draining = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly wrap: (trx: Transaction<Database>) => S,
    /** Runs after the COMMIT holding `tx`'s writes; if it throws, that job's promise rejects with the error. */
    private readonly committed: (tx: S) => void = () => undefined,
    /** Waits for this process's turn to write; resolves with the function that gives it back. */
    private readonly turn?: () => Promise<() => void>,
    private readonly maxBatch = 256,
  ) {}

  run<T>(fn: (tx: S) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        // Let the requests already in flight on this tick join the first batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        // (A turn that cannot be had is not waited for: SQLite's own lock still serialises.)
        const release = this.turn === undefined ? undefined : await this.turn().catch(() => undefined);
        try {
          // Taken after the wait: what arrived meanwhile is written in this batch.
          const batch = this.queue.splice(0, this.maxBatch);
          await (batch.length === 1 ? this.single(batch[0]!) : this.batch(batch));
        } finally {
          release?.();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async single(job: Job<S>): Promise<void> {
    try {
      let tx: S | undefined;
      const value = await this.db.transaction().execute((trx) => job.fn((tx = this.wrap(trx))));
      this.settle(job, tx!, value);
    } catch (err) {
      job.reject(err);
    }
  }

  private async batch(jobs: Job<S>[]): Promise<void> {
    const txs: S[] = [];
    const values: unknown[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const job of jobs) {
          const tx = this.wrap(trx);
          txs.push(tx);
          values.push(await job.fn(tx));
        }
      });
    } catch {
      // Rolled back: replay each job alone, so the failure lands on the job that caused it.
      for (const job of jobs) await this.single(job);
      return;
    }
    jobs.forEach((job, i) => this.settle(job, txs[i]!, values[i]));
  }

  /** After the commit: the job's after-commit work, then its answer (one job's failure there never touches another). */
  private settle(job: Job<S>, tx: S, value: unknown): void {
    try {
      this.committed(tx);
    } catch (err) {
      job.reject(err);
      return;
    }
    job.resolve(value);
  }
}
