interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: callers hand in items one at a time and each gets its own
 * item's result, but the items are written together — everything that arrived
 * while the previous write ran, at most `maxBatch` at a time, one write at a
 * time. There is no timer: an item that arrives alone is written at once (after
 * the current turn of the event loop, so that items arriving together share a
 * write).
 *
 * `write` must be all-or-nothing (one transaction, or one statement). When a
 * write of several items fails, each item is written again on its own, so that
 * one bad item fails alone and the others succeed.
 */
export class GroupCommit<T, R> {
  private queue: Waiting<T, R>[] = [];
  private scheduled = false;

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly maxBatch: number,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      await this.writeBatch(batch);
    }
    this.scheduled = false;
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
