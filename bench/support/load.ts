import { cpus, loadavg } from 'node:os';
import { median } from './report';

/** The machine's 1-minute load average over a run: at its start, and min / median / max while something was measured. */
export interface LoadSummary {
  atStart: number;
  min: number;
  median: number;
  max: number;
  /** Samples taken: one a second while a measured part runs, and one as each begins. */
  samples: number;
  cores: number;
}

/**
 * Samples os.loadavg()'s 1-minute figure every second while a measured part runs
 * (`during`), so that every table can say how busy the machine was when its figures
 * were taken. The figure counts the benchmark's own processes too (a run of Herald,
 * its publisher and the sink keeps about 2 of them busy); the figure at the start,
 * before anything is measured, is the machine's load from others.
 */
export class LoadMonitor {
  readonly atStart = loadavg()[0];
  readonly samples: number[] = [];
  private measuring = 0;
  private readonly timer = setInterval(() => {
    if (this.measuring > 0) this.samples.push(loadavg()[0]);
  }, 1000);

  constructor() {
    this.timer.unref();
  }

  /** Runs one measured part, sampling the load while it runs. */
  async during<T>(part: () => Promise<T>): Promise<T> {
    this.measuring++;
    this.samples.push(loadavg()[0]);
    try {
      return await part();
    } finally {
      this.measuring--;
    }
  }

  /** The summary of the samples from index `from` on (a repetition's: `from` = samples.length at its start). */
  summary(from = 0, atStart = this.atStart): LoadSummary {
    const xs = this.samples.slice(from);
    if (!xs.length) return { atStart, min: NaN, median: NaN, max: NaN, samples: 0, cores: cpus().length };
    return { atStart, min: Math.min(...xs), median: median(xs), max: Math.max(...xs), samples: xs.length, cores: cpus().length };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The line printed beside every table. */
export function loadLine(s: LoadSummary): string {
  const f = (n: number) => n.toFixed(2);
  return `Load average (1 min, ${s.cores} cores): ${f(s.atStart)} at the start; while measuring min ${f(s.min)} / median ${f(s.median)} / max ${f(s.max)} (${s.samples} samples; the benchmark's own processes count in it).`;
}

/** Reads the current 1-minute load average (for a repetition's `atStart`). */
export const loadNow = () => loadavg()[0];
