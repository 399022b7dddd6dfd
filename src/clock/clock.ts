/** A timer that can be stopped. */
export interface Timer {
  cancel(): void;
}

/**
 * Where Herald reads the time and waits: the system's clock in the app, a clock a
 * test moves by hand (ManualClock) in unit tests — so that leases, backoff and
 * sweeps are tested without waiting for them.
 */
export abstract class Clock {
  /** Now, in epoch milliseconds. */
  abstract now(): number;

  /** Calls `task` every `ms` until cancelled. Never keeps the process alive by itself. */
  abstract every(ms: number, task: () => void): Timer;

  /** Resolves after `ms`. */
  abstract sleep(ms: number): Promise<void>;

  date(): Date {
    return new Date(this.now());
  }
}

/** The system's clock and timers. */
export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }

  every(ms: number, task: () => void): Timer {
    const interval = setInterval(task, ms);
    interval.unref();
    return { cancel: () => clearInterval(interval) };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
