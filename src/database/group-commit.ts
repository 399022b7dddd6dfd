interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Items per write, at most. */
  maxBatch: number;
}

/**
 * Group commit: callers hand in items one at a time and each gets its own
 * item's result, but the items are written together — what arrived in one turn
 * of the event loop, and everything that arrived while the previous write ran —
 * one write at a time. Nothing waits for company longer than its turn.
 *
 * `write` must be all-or-nothing (one transaction, or one statement). When a
 * write of several items fails, each item is written again on its own, so that
 * one bad item fails alone and the others succeed.
 */
export class GroupCommit<T, R> {
  private readonly queue: Waiting<T, R>[] = [];
  private readonly maxBatch: number;
  /** A write is due at the end of this turn. */
  private pending = false;
  /** Writes are running: what arrives now is taken by the running loop. */
  private active = false;

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    options: GroupCommitOptions,
  ) {
    this.maxBatch = options.maxBatch;
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.active && !this.pending) {
        this.pending = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    this.pending = false;
    this.active = true;
    try {
      while (this.queue.length) await this.writeBatch(this.queue.splice(0, this.maxBatch));
    } finally {
      this.active = false; // in the same step as the last look at the queue: nothing is left behind
    }
  }

  private async writeBatch(batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.write(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      for (const w of batch) await this.writeBatch([w]);
    }
  }
}
