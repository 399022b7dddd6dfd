import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/**
 * A suite skipped for want of a service says so, one line naming what it needs, in
 * the output of a plain Jest run — several files at once, in worker processes (where
 * Jest drops the console output of a file whose tests are all skipped), without
 * HERALD_TEST_RABBITMQ_URL.
 */
describe('skipped suites', () => {
  it('print one line each, naming the variable they need', () => {
    const cacheDirectory = mkdtempSync(join(tmpdir(), 'herald-jest-cache-')); // no timings: Jest uses workers
    try {
      const run = spawnSync(
        process.execPath,
        [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--selectProjects', 'e2e', '--maxWorkers', '2', '--cacheDirectory', cacheDirectory, 'test/broker.e2e-spec.ts', 'test/producer.e2e-spec.ts'],
        { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH, NODE_OPTIONS: '--experimental-vm-modules', HOME: process.env.HOME } },
      );
      const output = `${run.stdout}${run.stderr}`;
      expect(run.status).toBe(0);
      expect(output).toMatch(/Test Suites: 2 skipped/);
      const lines = output.split('\n').filter((line) => line.startsWith('skipped: '));
      expect(lines.sort()).toEqual([
        expect.stringMatching(/^skipped: broker\.e2e-spec\.ts needs HERALD_TEST_RABBITMQ_URL: job events over RabbitMQ/),
        expect.stringMatching(/^skipped: producer\.e2e-spec\.ts needs HERALD_TEST_RABBITMQ_URL: producers/),
      ]);
    } finally {
      rmSync(cacheDirectory, { recursive: true, force: true });
    }
  });
});
