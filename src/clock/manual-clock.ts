import { Clock, type Timer } from './clock';

interface Scheduled {
  at: number;
  /** Set for a repeating timer. */
  every?: number;
  run: () => void;
}

/**
 * A clock that moves only when told (`advance`), for tests: the timers and
 * sleeps that come due on the way run in time order, each at its own time.
 */
export class ManualClock extends Clock {
  private current: number;
  private readonly scheduled = new Set<Scheduled>();

  constructor(start: Date | number = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    super();
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  every(ms: number, task: () => void): Timer {
    const entry: Scheduled = { at: this.current + ms, every: ms, run: task };
    this.scheduled.add(entry);
    return { cancel: () => this.scheduled.delete(entry) };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.scheduled.add({ at: this.current + ms, run: resolve });
    });
  }

  /** Moves the time forward by `ms`, running what comes due on the way. */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      const next = [...this.scheduled].filter((s) => s.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.current = next.at;
      if (next.every) next.at += next.every;
      else this.scheduled.delete(next);
      next.run();
    }
    this.current = end;
  }
}
