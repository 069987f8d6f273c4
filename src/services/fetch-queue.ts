/**
 * The one bounded queue for the server's background fetches of what people (and integrations)
 * post: link previews (services/link-previews.ts) and attachment images
 * (services/attachment-images.ts) share it, so together they never run more than
 * `concurrency` fetches, keep more than `queueLimit` waiting, or let one author hold more than
 * `perOwnerLimit` of the places (one person or script posting links or webhook images cannot
 * leave everyone else's posts without previews). Nothing waits on it: a task that does not fit
 * is simply not run (the caller logs and counts that), and closing abandons what waits and
 * aborts what runs (`signal`).
 */
import type { Logger } from '../observability/logger.js';

export interface FetchQueueOptions {
  /** Tasks running at once (default 2). */
  readonly concurrency?: number;
  /** Tasks waiting; beyond it new ones are refused (default 200). */
  readonly queueLimit?: number;
  /** Tasks of one owner waiting or running at once; beyond it that owner's new ones are refused (default 10). */
  readonly perOwnerLimit?: number;
}

/** What `add` did: queued, or why not. */
export type Enqueued = 'queued' | 'queue_full' | 'owner_full' | 'closed';

interface Task {
  readonly owner: string;
  readonly work: () => Promise<void>;
  /** Told about an error `work` let through (it should catch its own). */
  readonly failed: (err: unknown) => void;
}

export class FetchQueue {
  private readonly queue: Task[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly stop = new AbortController();
  private readonly perOwner = new Map<string, number>();
  private readonly concurrency: number;
  private readonly queueLimit: number;
  private readonly perOwnerLimit: number;
  private closedFlag = false;

  constructor(private readonly logger: Logger, options: FetchQueueOptions = {}) {
    this.concurrency = Math.max(options.concurrency ?? 2, 1);
    this.queueLimit = Math.max(options.queueLimit ?? 200, 0);
    this.perOwnerLimit = Math.max(options.perOwnerLimit ?? 10, 1);
  }

  /** Aborted when the queue closes: every fetch a task makes passes it on. */
  get signal(): AbortSignal {
    return this.stop.signal;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Tasks waiting (for logs). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Tasks of `owner` waiting or running (for logs). */
  ownerLoad(owner: string): number {
    return this.perOwner.get(owner) ?? 0;
  }

  /** Queues `work` for `owner` (the author of the post it fetches for), or says why it will not run. */
  add(owner: string, work: () => Promise<void>, failed: (err: unknown) => void): Enqueued {
    if (this.closedFlag) return 'closed';
    const mine = this.perOwner.get(owner) ?? 0;
    if (mine >= this.perOwnerLimit) return 'owner_full';
    if (this.queue.length >= this.queueLimit) return 'queue_full';
    this.perOwner.set(owner, mine + 1);
    this.queue.push({ owner, work, failed });
    this.pump();
    return 'queued';
  }

  private done(task: Task): void {
    const left = (this.perOwner.get(task.owner) ?? 1) - 1;
    if (left > 0) this.perOwner.set(task.owner, left);
    else this.perOwner.delete(task.owner);
  }

  private pump(): void {
    while (!this.closedFlag && this.running.size < this.concurrency && this.queue.length > 0) {
      const task = this.queue.shift()!;
      const run: Promise<void> = task.work()
        .catch((err: unknown) => {
          try {
            task.failed(err);
          } catch (e) {
            this.logger.warn({ err: e }, 'background fetch: reporting a failure failed');
          }
        })
        .finally(() => {
          this.running.delete(run);
          this.done(task);
          this.pump();
        });
      this.running.add(run);
    }
  }

  /** Resolves once nothing is queued or running (tests: "the fetches are over", whatever their outcome). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.queue.length > 0) await Promise.allSettled([...this.running]);
  }

  /** Stops taking work, abandons what is queued and waits for the tasks running (their fetches are aborted). Idempotent. */
  async close(): Promise<void> {
    this.closedFlag = true;
    this.queue.length = 0;
    this.perOwner.clear();
    this.stop.abort();
    await Promise.allSettled([...this.running]);
  }
}
