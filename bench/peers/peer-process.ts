import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { cpuMs, untilHealthy } from '../support/process-stats';

/**
 * The peer stack (bench/peers/stack) in a child process, started with Node's
 * defaults as such a service usually is (`BENCH_PEER_NODE_OPTIONS` adds flags,
 * e.g. Herald's heap caps, or `--cpu-prof`).
 */
export class PeerProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    /** From spawning the process to its first healthy answer, in ms. */
    readonly startupMs: number,
  ) {}

  /** `quiet`: its stderr (the worker's errors) is dropped. */
  static async start(env: { PORT: number; REDIS_PORT: number; SMTP_PORT: number; DATABASE_PATH: string; JWT_SECRET: string; SMTP_POOL_SIZE: number }, { quiet = false } = {}): Promise<PeerProcess> {
    const spawned = performance.now();
    const child = spawn(process.execPath, [join(__dirname, 'stack', 'main.js')], {
      env: { PATH: process.env.PATH, NODE_OPTIONS: process.env.BENCH_PEER_NODE_OPTIONS ?? '', ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) },
      stdio: ['ignore', 'inherit', quiet ? 'ignore' : 'inherit'],
    });
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

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}
