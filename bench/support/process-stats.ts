import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: the unit of the CPU times in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;

/** CPU time a process has used so far (user + system, all threads), in ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/**
 * CPU time split (user, system; the main thread's user + system; ms) and the main thread's context switches
 * (voluntary: it waited, e.g. in epoll; involuntary: preempted) so far.
 */
export function cpuDetail(pid: number): { userMs: number; systemMs: number; mainThreadMs: number; voluntary: number; involuntary: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const main = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const count = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return {
    userMs: (Number(fields[11]) * 1000) / CLOCK_TICKS,
    systemMs: (Number(fields[12]) * 1000) / CLOCK_TICKS,
    mainThreadMs: ((Number(main[11]) + Number(main[12])) * 1000) / CLOCK_TICKS,
    voluntary: count('voluntary_ctxt_switches'),
    involuntary: count('nonvoluntary_ctxt_switches'),
  };
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** Resident memory of a process now, in MB. */
export const rssMb = (pid: number): number => Math.round(statusKb(pid, 'VmRSS') / 1024);

/** Peak resident memory of a process so far (VmHWM), in MB. */
export const peakRssMb = (pid: number): number => Math.round(statusKb(pid, 'VmHWM') / 1024);

/**
 * Polls `url` every 10 ms until it answers 200; returns the ms since `since`
 * (when the process was spawned): the start-up time a supervisor would see.
 */
export async function untilHealthy(url: string, exited: () => number | null, since: number, timeoutMs = 30_000): Promise<number> {
  while (performance.now() - since < timeoutMs) {
    if (exited() !== null) throw new Error(`${url}: the process exited with ${exited()}`);
    try {
      if ((await fetch(url)).ok) return performance.now() - since;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}
