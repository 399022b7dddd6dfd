import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, ROOT } from './support/built-app';

/**
 * Logs as an operator reads them from a file or a pipe (systemd, docker logs,
 * `herald … > file`): the real server (dist/herald.cjs) and the CLI as child
 * processes whose stdout and stderr are pipes, not terminals. Colour codes belong
 * on a terminal only; NO_COLOR and FORCE_COLOR say otherwise when set.
 */
const ESC = '\u001b[';
const JWT_SECRET = 'colour-test-secret-that-is-long-enough-for-hs256';

let dataDir: string;
beforeAll(() => ensureBuilt(), 300_000);
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'herald-colours-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts the server with its output piped here, waits until it is ready, stops it, and answers what it wrote. */
function serve(env: Record<string, string> = {}): Promise<{ output: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'herald.cjs')], {
      cwd: dataDir, // no .env of the project's
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', JWT_SECRET, ...env },
    });
    let output = '';
    let stopping = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Herald did not get ready: ${output}`));
    }, 60_000);
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!stopping && output.includes('GraphQL ready')) {
        stopping = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ output, code });
    });
  });
}

describe('log colours', () => {
  it('writes no colour codes when its output is a pipe or a file', async () => {
    const { output, code } = await serve();
    expect(output).toContain('GraphQL ready');
    expect(output).toContain('SIGTERM received: stopping');
    expect(code).toBe(0);
    expect(output.split('\n').filter((line) => line.includes(ESC)).slice(0, 1)).toEqual([]); // the first coloured line, if any
  });

  it('colours them with FORCE_COLOR, and never with NO_COLOR', async () => {
    expect((await serve({ FORCE_COLOR: '1' })).output).toContain(`${ESC}32m`);
    expect((await serve({ FORCE_COLOR: '1', NO_COLOR: '1' })).output).not.toContain(ESC);
  });

  it("keeps the CLI's stdout for what the command prints: its logs go to stderr, uncoloured", () => {
    const cli = spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli.js'), 'migrate'], {
      cwd: dataDir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, LOG_LEVEL: 'debug' },
    });
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/^applied: InitialSchema1764000000000(, \w+)+\n$/);
    expect(cli.stderr).toContain('Migration InitialSchema1764000000000 has been executed successfully');
    expect(cli.stderr).not.toContain(ESC);
  });
});
