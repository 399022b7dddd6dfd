import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { stopChild, track } from '../support/children';
import { cpuMs, untilHealthy } from '../support/process-stats';

/**
 * The peer stack (bench/peers/stack) in a child process: `node <nodeFlags> main.js`.
 * bench:peer gives it Herald's `serve` flags (its heap caps) by default, or Node's
 * defaults (no flags), as such a service is often run; `BENCH_PEER_NODE_OPTIONS`
 * adds flags (e.g. `--cpu-prof`).
 */
export class PeerProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    /** From spawning the process to its first healthy answer, in ms. */
    readonly startupMs: number,
  ) {}

  /** `quiet`: its stderr (the worker's errors) is dropped; `nodeFlags`: Node's flags before the script. */
  static async start(
    env: { PORT: number; REDIS_PORT: number; SMTP_PORT: number; DATABASE_PATH: string; JWT_SECRET: string; SMTP_POOL_SIZE: number },
    { quiet = false, nodeFlags = [] as string[] } = {},
  ): Promise<PeerProcess> {
    const spawned = performance.now();
    const child = track(spawn(process.execPath, [...nodeFlags, join(__dirname, 'stack', 'main.js')], {
      env: { PATH: process.env.PATH, NODE_OPTIONS: process.env.BENCH_PEER_NODE_OPTIONS ?? '', ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) },
      stdio: ['ignore', 'inherit', quiet ? 'ignore' : 'inherit'],
    }));
    const url = `http://127.0.0.1:${env.PORT}`;
    try {
      return new PeerProcess(child, url, await untilHealthy(`${url}/health`, () => child.exitCode, spawned));
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  cpuMs(): number {
    return cpuMs(this.child.pid!);
  }

  /** SIGTERM; SIGKILL after 15 s. */
  async stop(): Promise<void> {
    await stopChild(this.child, { graceMs: 15_000 });
  }
}
