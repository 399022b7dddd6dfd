/**
 * Start-up time and idle RSS of Herald builds, measured in one run, alternating
 * which starts first (the machine is shared: only same-run figures compare).
 *
 *   node dist/bench/startup.bench.js [label=path/to/main.js …]
 *
 * Without arguments it measures this build as `npm start` runs it (the `serve` script's
 * dist/herald.cjs; dist/src/main.js is the same build unbundled). Each build runs
 * with the `serve` script's flags on a fresh SQLite data directory, Herald's
 * defaults otherwise; BENCH_RABBITMQ_URL adds RABBITMQ_URL (the broker on).
 * BENCH_STARTUP_REPS sets the repetitions (default 7).
 *
 * Each build first starts once without its code cache (dist/herald-server.cjs.v8-cache, which
 * that start writes; tools/bundle-entry.cjs): the first start after a build, reported apart.
 * The repetitions then start with it, as every later start does. RSS is read 2 s after the
 * first healthy answer, and at rest, BENCH_STARTUP_REST_S (15) seconds after the spawn: by
 * then V8's memory reducer has shrunk the heap to what an idle Herald keeps. The CPU time
 * (all threads) until the first healthy answer is bent less than the wall time by the other
 * processes of a shared machine.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, serveCommand } from './support/herald-process';
import { cpuMs, rssMb, untilHealthy } from './support/process-stats';
import { machine, table } from './support/report';

const ROOT = resolve(__dirname, '..', '..');
const REPS = Number(process.env.BENCH_STARTUP_REPS ?? 7);
const SETTLE_MS = 2000;
const REST_MS = Number(process.env.BENCH_STARTUP_REST_S ?? 15) * 1000;

type Start = { startupMs: number; cpuMs: number; settledRssMb: number; restRssMb: number };

/** Starts one build, waits for /health, reads its RSS 2 s later and at rest, stops it. */
async function measure(mainJs: string, port: number): Promise<Start> {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-startup-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256-tokens',
    LOG_LEVEL: 'error',
    ...(process.env.BENCH_RABBITMQ_URL ? { RABBITMQ_URL: process.env.BENCH_RABBITMQ_URL, RABBITMQ_QUEUE: `herald-startup-${port}` } : {}),
  };
  const spawned = performance.now();
  const child = spawn(process.execPath, [...serveCommand().flags, mainJs], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const startupMs = await untilHealthy(`http://127.0.0.1:${port}/health`, () => child.exitCode, spawned);
    const startupCpuMs = cpuMs(child.pid!); // what the start-up cost, less bent by other processes than the wall time
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const settledRssMb = rssMb(child.pid!);
    await new Promise((r) => setTimeout(r, Math.max(0, spawned + REST_MS - performance.now())));
    return { startupMs, cpuMs: startupCpuMs, settledRssMb, restRssMb: rssMb(child.pid!) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const builds = (args.length ? args : [`this build=${serveCommand().script}`]).map((arg) => {
    const [label, path] = arg.includes('=') ? arg.split('=', 2) : [arg, arg];
    return { label, path: resolve(path), cold: undefined as Start | undefined, starts: [] as Start[] };
  });
  const loadBefore = load();
  for (const build of builds) {
    if (build.path.endsWith('.cjs')) rmSync(build.path.replace(/\.cjs$/, '-server.cjs.v8-cache'), { force: true }); // the entry's cache
    build.cold = await measure(build.path, await freePort());
  }
  for (let rep = 0; rep < REPS; rep++) {
    const order = rep % 2 === 0 ? builds : [...builds].reverse();
    for (const build of order) build.starts.push(await measure(build.path, await freePort()));
  }
  const range = (xs: number[], f: (x: number) => string) => `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
  const seconds = (x: number) => (x / 1000).toFixed(2);
  console.log(
    `${machine()}; ${REPS} starts each with the code cache, alternating, after one without; median (min–max); load average ${loadBefore} before, ${load()} after` +
      (process.env.BENCH_RABBITMQ_URL ? '; RABBITMQ_URL set' : ''),
  );
  console.log(
    table(
      builds.map((b) => ({
        build: b.label,
        'start-up s': range(b.starts.map((s) => s.startupMs), seconds),
        'CPU s to start': range(b.starts.map((s) => s.cpuMs), seconds),
        'RSS 2 s after MB': range(b.starts.map((s) => s.settledRssMb), String),
        [`RSS at rest (${REST_MS / 1000} s) MB`]: range(b.starts.map((s) => s.restRssMb), String),
        'first start (no cache): s, CPU s, RSS 2 s after, at rest MB': `${seconds(b.cold!.startupMs)}, ${seconds(b.cold!.cpuMs)}, ${b.cold!.settledRssMb}, ${b.cold!.restRssMb}`,
      })),
    ),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
