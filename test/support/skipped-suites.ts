import { basename } from 'node:path';

/**
 * `describe` (or `it`) when what a suite needs is here; otherwise `describe.skip`
 * (`it.skip`) that says so, one line per skipped suite:
 *
 *   skipped: broker.e2e-spec.ts needs HERALD_TEST_RABBITMQ_URL: job events over RabbitMQ (sqlite)
 *
 * Written to stdout directly: Jest drops what a file logs through `console` when all its
 * tests are skipped and other files run beside it (the default reporter prints no
 * header, hence no console, for a skipped file); what a test file writes to stdout it shows.
 */
export function describeIf(available: boolean, needs: string): jest.Describe {
  return available ? describe : announcing(describe.skip, needs);
}

/** The same for one test. */
export function itIf(available: boolean, needs: string): jest.It {
  return available ? it : announcing(it.skip, needs);
}

/** What a suite needs when it runs on one database only. */
export const NEEDS_POSTGRES = 'PostgreSQL (HERALD_TEST_DATABASE_URL)';
export const NEEDS_SQLITE = 'SQLite (HERALD_TEST_DATABASE_URL unset)';

function announcing<T extends jest.Describe | jest.It>(skip: T, needs: string): T {
  const file = basename(expect.getState().testPath ?? 'this file');
  const skipping = (title: unknown, ...rest: unknown[]) => {
    process.stdout.write(`skipped: ${file} needs ${needs}: ${String(title)}\n`);
    return (skip as unknown as (...args: unknown[]) => unknown)(title, ...rest);
  };
  return Object.assign(skipping, skip) as unknown as T;
}
