import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

const ROOT = resolve(__dirname, '..', '..', '..');
export const BENCH_JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-tokens';

/** The Node.js flags `npm start` runs Herald with (the `serve` script): the benchmarks measure Herald as it runs. */
function serveFlags(): string[] {
  const serve = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.serve;
  const words = serve.split(/\s+/);
  return words.slice(words.indexOf('node') + 1, words.indexOf('dist/src/main.js'));
}

/** Linux's USER_HZ: the unit of the CPU times in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;

/** A built Herald (dist/src/main.js) in a child process, as it runs in production. */
export class HeraldProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly dataDir: string,
    /** The environment it runs with (beyond PATH). */
    readonly env: Record<string, string>,
  ) {}

  static async start(env: Record<string, string> = {}, port = 39000 + Math.floor(Math.random() * 1000)): Promise<HeraldProcess> {
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
    const fullEnv: Record<string, string> = {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: BENCH_JWT_SECRET,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      GRAPHQL_IDE: 'false',
      ...env,
    };
    const child = spawn(process.execPath, [...serveFlags(), join(ROOT, 'dist', 'src', 'main.js')], {
      cwd: ROOT,
      // BENCH_HERALD_NODE_OPTIONS=--cpu-prof profiles Herald itself.
      env: { PATH: process.env.PATH, NODE_OPTIONS: process.env.BENCH_HERALD_NODE_OPTIONS ?? '', ...fullEnv },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`Herald exited with ${child.exitCode}`);
      try {
        if ((await fetch(`${url}/health`)).ok) return new HeraldProcess(child, url, dataDir, fullEnv);
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    throw new Error('Herald did not become healthy in 30 s');
  }

  /** CPU time Herald's process has used so far (user + system, all threads), in ms. */
  cpuMs(): number {
    const fields = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dataDir, { recursive: true, force: true });
    const { DATABASE_URL: url, DATABASE_SCHEMA: schema } = this.env;
    if (url && schema) {
      const client = new Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
    }
  }
}
