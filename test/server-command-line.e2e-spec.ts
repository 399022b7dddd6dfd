import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, ROOT } from './support/built-app';

/** The built server (what `./herald start`, `npm start` and the image run) and its command line. */
describe("the server's command line (dist/herald.cjs)", () => {
  let dataDir: string;
  beforeAll(() => {
    ensureBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'herald-args-'));
  }, 300_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  // Should it start after all, on a port of its own and a directory thrown away, killed after 20 s.
  const serve = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, 'dist', 'herald.cjs'), ...args], { cwd: dataDir, encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' } });

  it('prints its usage for --help and -h, and exits 0 without starting', () => {
    for (const flag of ['--help', '-h']) {
      const run = serve(flag);
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(run.stdout).toMatch(/^usage: herald server/);
    }
  });

  it('refuses an argument it would otherwise ignore, with exit code 2', () => {
    const run = serve('--port', '4000');
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^herald: the server takes no arguments \(got '--port'\): .* PORT=4000/);
  });
});
