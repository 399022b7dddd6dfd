interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Items per write, at most. */
  maxBatch: number;
  /**
   * How long the first item of a batch waits for others before the write
   * (unless the batch fills up first). 0: only until the current turn of the
   * event loop ends, so that items arriving together share a write.
   */
  lingerMs?: number;
}

/**
 * Group commit: callers hand in items one at a time and each gets its own
 * item's result, but the items are written together — what arrived together,
 * and everything that arrived while the previous write ran — one write at a time.
 *
 * `write` must be all-or-nothing (one transaction, or one statement). When a
 * write of several items fails, each item is written again on its own, so that
 * one bad item fails alone and the others succeed.
 */
export class GroupCommit<T, R> {
  private readonly queue: Waiting<T, R>[] = [];
  private readonly maxBatch: number;
  private readonly lingerMs: number;
  /** A write is due (timer or immediate). */
  private pending?: { cancel(): void };
  /** Writes are running: what arrives now is taken by the running loop. */
  private active = false;

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    options: GroupCommitOptions,
  ) {
    this.maxBatch = options.maxBatch;
    this.lingerMs = options.lingerMs ?? 0;
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.active) this.schedule(this.queue.length >= this.maxBatch ? 0 : this.lingerMs);
    });
  }

  /**
   * Ends the linger: what waits is written now (after the current turn of the event
   * loop, so that items added in it join), or by the write running already.
   */
  flush(): void {
    if (!this.active && this.queue.length) this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.pending && delayMs > 0) return; // a write is due already
    this.pending?.cancel();
    if (delayMs > 0) {
      const timer = setTimeout(() => void this.drain(), delayMs);
      this.pending = { cancel: () => clearTimeout(timer) };
    } else {
      const immediate = setImmediate(() => void this.drain());
      this.pending = { cancel: () => clearImmediate(immediate) };
    }
  }

  private async drain(): Promise<void> {
    this.pending = undefined;
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
