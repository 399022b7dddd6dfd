/**
 * At most `max` holders at once; the others wait in order. Microsoft Graph takes
 * at most 4 requests at once per mailbox (more are refused with 429
 * MailboxConcurrency), so the Graph transport holds one of these per mailbox.
 */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly max: number) {}

  /** Waits for a place; the function it answers gives the place back (once). */
  async acquire(): Promise<() => void> {
    if (this.active < this.max) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // the place is handed over, not freed
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }

  /** Holders now (for tests and logs). */
  get inUse(): number {
    return this.active;
  }
}
