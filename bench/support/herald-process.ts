import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { exited, stopChild, tempDir, track } from './children';
import { cpuMs, untilHealthy } from './process-stats';

const ROOT = resolve(__dirname, '..', '..', '..');
export const BENCH_JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-tokens';

/**
 * What `npm start` runs (the `serve` script of `root`'s package.json: `node <flags> <script>`,
 * the script being the bundle dist/herald.cjs): the benchmarks measure Herald as it runs.
 */
export function serveCommand(root = ROOT): { flags: string[]; script: string } {
  const serve = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.serve;
  const words = serve.trim().split(/\s+/);
  return { flags: words.slice(words.indexOf('node') + 1, -1), script: join(root, words[words.length - 1]) };
}

/**
 * The Herald build a benchmark runs, and how: `build` (a path to a herald.cjs, e.g. another
 * worktree's dist/herald.cjs for an A/B), else BENCH_HERALD_SCRIPT, else this tree's `serve`
 * script. A build in some tree's dist/ runs with that tree's `serve` flags and in that tree
 * (its package.json one folder above dist/); anything else with this tree's flags.
 */
export function heraldCommand(build = process.env.BENCH_HERALD_SCRIPT): { flags: string[]; script: string; cwd: string } {
  if (!build) return { ...serveCommand(), cwd: ROOT };
  const script = resolve(build);
  if (!existsSync(script)) throw new Error(`Herald build ${script} does not exist (run npm run build in its tree)`);
  const tree = dirname(dirname(script));
  const own = existsSync(join(tree, 'package.json')) && /"serve"\s*:/.test(readFileSync(join(tree, 'package.json'), 'utf8'));
  return { flags: serveCommand(own ? tree : ROOT).flags, script, cwd: own ? tree : ROOT };
}

/**
 * A port free now (the system's pick), not one drawn at random: on a machine where other
 * benchmarks and tests start servers too, a random one in a small range was taken at times.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `node <flags> <script>` as one line, for reports. */
export const commandLine = (c: { flags: string[]; script: string }) => ['node', ...c.flags, c.script].join(' ');

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

  /**
   * Starts Herald on a fresh data directory, or on `dataDir` (what a stop with `keepData` left);
   * `build`: another herald.cjs (see heraldCommand).
   */
  static async start(env: Record<string, string> = {}, port?: number, dataDir = tempDir('herald-bench-'), build?: string): Promise<HeraldProcess> {
    port ??= await freePort();
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
    const { flags, script, cwd } = heraldCommand(build);
    const spawned = performance.now();
    const child = track(spawn(process.execPath, [...flags, script], {
      cwd,
      // BENCH_HERALD_NODE_OPTIONS=--cpu-prof profiles Herald itself.
      env: { PATH: process.env.PATH, NODE_OPTIONS: process.env.BENCH_HERALD_NODE_OPTIONS ?? '', ...fullEnv },
      stdio: ['ignore', 'inherit', 'inherit'],
    }));
    const url = `http://127.0.0.1:${port}`;
    try {
      // A loaded machine can take longer than 30 s (the first start of a build writes its code cache).
      const startupMs = await untilHealthy(`${url}/health`, () => child.exitCode, spawned, 120_000);
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
    await stopChild(this.child, { sig: 'SIGKILL' });
  }

  /** Stops Herald (SIGTERM; SIGKILL after 15 s); its data (and PostgreSQL schema) go too unless `keepData` (to start it again on them). */
  async stop({ keepData = false } = {}): Promise<void> {
    if (!exited(this.child)) await stopChild(this.child, { graceMs: 15_000 });
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
