import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverArguments, SERVER_USAGE } from './server-arguments';

const ROOT = join(__dirname, '..');

/**
 * `./herald start --help` (and the server's own --help, `node dist/herald.cjs --help`)
 * prints the usage and exits 0 instead of starting Herald. The wrapper answers it
 * before it looks for Node, installs or builds: this runs in milliseconds.
 */
describe('help of ./herald start and of the server', () => {
  // A PATH with no Node or npm: should the wrapper ever go past the help, it stops at once
  // ("no Node …") rather than fetch Node, run npm ci or start a server.
  let bin: string;
  beforeAll(() => {
    bin = mkdtempSync(join(tmpdir(), 'herald-path-'));
    for (const tool of ['bash', 'dirname', 'cat']) symlinkSync(execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
  });
  afterAll(() => rmSync(bin, { recursive: true, force: true }));
  const wrapper = (...args: string[]) => spawnSync(join(bin, 'bash'), [join(ROOT, 'herald'), ...args], { encoding: 'utf8', timeout: 10_000, env: { PATH: bin } });

  it.each([['start', '--help'], ['start', '-h'], ['start', 'help']])('./herald %s %s prints the usage and exits 0, starting nothing', (...args) => {
    const run = wrapper(...args);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(/^usage: \.\/herald start\n/);
    expect(run.stdout).toContain('takes no arguments');
  });

  it('./herald --help and ./herald -h list the commands and exit 0', () => {
    for (const flag of ['--help', '-h']) {
      const run = wrapper(flag);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^usage: \.\/herald <command>/);
    }
  });

  it('the server answers --help with its usage, and refuses any other argument (exit 2) rather than ignore it', () => {
    expect(serverArguments(['--help'])).toEqual({ exitCode: 0, out: SERVER_USAGE });
    expect(serverArguments(['-h'])).toEqual({ exitCode: 0, out: SERVER_USAGE });
    expect(serverArguments(['--port', '4000'])).toEqual({ exitCode: 2, err: expect.stringMatching(/^herald: the server takes no arguments \(got '--port'\): its configuration comes from the environment, e.g\. PORT=4000/) });
    expect(serverArguments([])).toBeNull();
  });
});
