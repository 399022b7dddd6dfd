import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { cpuMs, untilHealthy } from './process-stats';

const ROOT = resolve(__dirname, '..', '..', '..');
export const BENCH_JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-tokens';

/**
 * What `npm start` runs (the `serve` script: `node <flags> <script>`, the script being the
 * bundle dist/herald.cjs): the benchmarks measure Herald as it runs.
 */
export function serveCommand(): { flags: string[]; script: string } {
  const serve = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.serve;
  const words = serve.trim().split(/\s+/);
  return { flags: words.slice(words.indexOf('node') + 1, -1), script: join(ROOT, words[words.length - 1]) };
}

/** A built Herald (the `serve` script's, dist/herald.cjs) in a child process, as it runs in production. */
export class HeraldProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly dataDir: string,
    /** The environment it runs with (beyond PATH). */
    readonly env: Record<string, string>,
    /** From spawning the process to its first healthy answer, in ms. */
    readonly startupMs: number,
  ) {}

  /** Starts Herald on a fresh data directory, or on `dataDir` (what a stop with `keepData` left). */
  static async start(env: Record<string, string> = {}, port = 39000 + Math.floor(Math.random() * 1000), dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-'))): Promise<HeraldProcess> {
    const fullEnv: Record<string, string> = {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: BENCH_JWT_SECRET,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      GRAPHQL_IDE: 'false',
      // The mail cap stays on (its count is paid for on every planned mail) but this high
      // it folds none of the benchmarks' mails: they measure mails sent.
      MAIL_CAP_COUNT: '100000',
      ...env,
    };
    const spawned = performance.now();
    const { flags, script } = serveCommand();
    // BENCH_HERALD_SCRIPT=path/to/herald.cjs runs another build (an A/B of two builds, run by run).
    const child = spawn(process.execPath, [...flags, process.env.BENCH_HERALD_SCRIPT ? resolve(process.env.BENCH_HERALD_SCRIPT) : script], {
      cwd: ROOT,
      // BENCH_HERALD_NODE_OPTIONS=--cpu-prof profiles Herald itself.
      env: { PATH: process.env.PATH, NODE_OPTIONS: process.env.BENCH_HERALD_NODE_OPTIONS ?? '', ...fullEnv },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      const startupMs = await untilHealthy(`${url}/health`, () => child.exitCode, spawned);
      return new HeraldProcess(child, url, dataDir, fullEnv, startupMs);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }

  /** CPU time Herald's process has used so far (user + system, all threads), in ms. */
  cpuMs(): number {
    return cpuMs(this.child.pid!);
  }

  /** Kills Herald at once (SIGKILL), as a crash or a power cut would; its data stay, to start it again on them. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }

  /** Stops Herald; its data (and PostgreSQL schema) go too unless `keepData` (to start it again on them). */
  async stop({ keepData = false } = {}): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    if (keepData) return;
    rmSync(this.dataDir, { recursive: true, force: true });
    const { DATABASE_URL: url, DATABASE_SCHEMA: schema } = this.env;
    if (url && schema) {
      const client = new Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
    }
  }
}
