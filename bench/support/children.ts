import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every child process a benchmark starts (Herald, the peer, Redis, the sinks,
 * smtp-source), so that none outlives it: each is stopped by its owner in a
 * `finally`, with a bounded wait (`stopChild`); whatever is still alive when the
 * benchmark exits — an error, Ctrl-C, SIGTERM — is killed (SIGKILL) on the way out.
 */
const alive = new Set<{ child: ChildProcess; group: boolean }>();

/** `group`: the child was spawned `detached` and leads a process group (a shell and its command): the whole group is killed. */
export function track(child: ChildProcess, { group = false } = {}): ChildProcess {
  const entry = { child, group };
  alive.add(entry);
  child.once('exit', () => alive.delete(entry));
  child.once('error', () => alive.delete(entry)); // e.g. ENOENT: never ran
  return child;
}

export const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function signal(child: ChildProcess, group: boolean, sig: NodeJS.Signals): void {
  try {
    if (group && child.pid) process.kill(-child.pid, sig);
    else child.kill(sig);
  } catch {
    // already gone
  }
}

/**
 * Sends `sig` (SIGTERM), then SIGKILL if the child has not exited within `graceMs`;
 * resolves once it has exited (or, should even SIGKILL not be reported, after another 5 s).
 */
export async function stopChild(child: ChildProcess, { sig = 'SIGTERM' as NodeJS.Signals, graceMs = 10_000, group = false } = {}): Promise<void> {
  if (exited(child) || child.pid === undefined) return;
  const gone = new Promise<boolean>((resolve) => child.once('exit', () => resolve(true)));
  const after = (ms: number) => new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref());
  signal(child, group, sig);
  if (await Promise.race([gone, after(graceMs)])) return;
  console.error(`bench: pid ${child.pid} did not stop within ${graceMs} ms of ${sig}; killing it`);
  signal(child, group, 'SIGKILL');
  await Promise.race([gone, after(5000)]);
}

/** Temporary directories the benchmark made: removed by their owners, and on the way out whatever is left. */
const dirs = new Set<string>();

/** A new temporary directory (mkdtemp) that goes at exit if its owner has not removed it. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

process.once('exit', () => {
  for (const { child, group } of alive) if (!exited(child)) signal(child, group, 'SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    console.error(`bench: ${sig}: stopping the processes it started`);
    process.exit(128 + constants.signals[sig]); // the 'exit' handler above kills them
  });
}
