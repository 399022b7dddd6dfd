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
 * BENCH_STARTUP_REPS sets the repetitions (default 5).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serveCommand } from './support/herald-process';
import { rssMb, untilHealthy } from './support/process-stats';
import { machine, table } from './support/report';

const ROOT = resolve(__dirname, '..', '..');
const REPS = Number(process.env.BENCH_STARTUP_REPS ?? 5);
const SETTLE_MS = 2000;

/** Starts one build, waits for /health, lets it settle, reads its RSS, stops it. */
async function measure(mainJs: string, port: number): Promise<{ startupMs: number; idleRssMb: number }> {
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
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { startupMs, idleRssMb: rssMb(child.pid!) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const builds = (args.length ? args : [`this build=${serveCommand().script}`]).map((arg) => {
    const [label, path] = arg.includes('=') ? arg.split('=', 2) : [arg, arg];
    return { label, path: resolve(path), startupMs: [] as number[], idleRssMb: [] as number[] };
  });
  for (let rep = 0; rep < REPS; rep++) {
    const order = rep % 2 === 0 ? builds : [...builds].reverse();
    for (const build of order) {
      const m = await measure(build.path, 39000 + Math.floor(Math.random() * 1000));
      build.startupMs.push(m.startupMs);
      build.idleRssMb.push(m.idleRssMb);
    }
  }
  const range = (xs: number[], f: (x: number) => string) => `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
  console.log(`${machine()}; ${REPS} starts each, alternating; median (min–max)${process.env.BENCH_RABBITMQ_URL ? '; RABBITMQ_URL set' : ''}`);
  console.log(
    table(
      builds.map((b) => ({
        build: b.label,
        'start-up s': range(b.startupMs, (x) => (x / 1000).toFixed(2)),
        'idle RSS MB': range(b.idleRssMb, (x) => String(x)),
      })),
    ),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
