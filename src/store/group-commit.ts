/**
 * Group commit: transactions requested while one is running are run back to back inside
 * ONE database transaction, each in its own savepoint, and committed (one fsync) together.
 *
 *   request A ─┐                     ┌─ SAVEPOINT → fn(A) → RELEASE ─┐
 *   request B ─┼─ queue ─ BEGIN ─────┼─ SAVEPOINT → fn(B) → RELEASE ─┼─ COMMIT ─ resolve A, B, C
 *   request C ─┘                     └─ SAVEPOINT → fn(C) ✗ ROLLBACK TO (C rejects, A/B unaffected)
 *
 * Guarantees are those of separate transactions run one after another: each job is atomic
 * (its savepoint), jobs see each other's writes in order, and no job's promise resolves
 * before the COMMIT holding its writes is durable. If the COMMIT fails, every job of the
 * batch rejects. Jobs must only do database work on the `tx` they are given (no network,
 * no password hashing): the whole batch waits for each job.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
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
        const batch = this.queue.splice(0, this.maxBatch);
        await (batch.length === 1 ? this.single(batch[0]!) : this.batch(batch));
      }
    } finally {
      this.draining = false;
    }
  }

  private async single(job: Job<S>): Promise<void> {
    try {
      job.resolve(await this.db.transaction().execute((trx) => job.fn(this.wrap(trx))));
    } catch (err) {
      job.reject(err);
    }
  }

  private async batch(jobs: Job<S>[]): Promise<void> {
    let trx;
    try {
      trx = await this.db.startTransaction().execute();
    } catch (err) {
      for (const job of jobs) job.reject(err);
      return;
    }
    const succeeded: Array<[Job<S>, unknown]> = [];
    let broken: unknown;
    for (const job of jobs) {
      if (broken !== undefined) {
        job.reject(broken);
        continue;
      }
      try {
        await sql.raw('SAVEPOINT group_commit').execute(trx);
      } catch (err) {
        broken = err;
        job.reject(err);
        continue;
      }
      try {
        const value = await job.fn(this.wrap(trx));
        await sql.raw('RELEASE SAVEPOINT group_commit').execute(trx);
        succeeded.push([job, value]);
      } catch (err) {
        job.reject(err);
        try {
          await sql.raw('ROLLBACK TO SAVEPOINT group_commit').execute(trx);
          await sql.raw('RELEASE SAVEPOINT group_commit').execute(trx);
        } catch (undoErr) {
          // The transaction itself is unusable: nothing of this batch may commit.
          broken = undoErr;
        }
      }
    }
    if (broken !== undefined) {
      await trx.rollback().execute().catch(() => undefined);
      for (const [job] of succeeded) job.reject(broken);
      return;
    }
    try {
      await trx.commit().execute();
    } catch (err) {
      await trx.rollback().execute().catch(() => undefined);
      for (const [job] of succeeded) job.reject(err);
      return;
    }
    for (const [job, value] of succeeded) job.resolve(value);
  }
}
