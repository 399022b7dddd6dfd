import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable, isStorageFull, isUniqueViolation } from './database-errors';
import { describeIf, NEEDS_POSTGRES } from '../../test/support/skipped-suites';

/**
 * The classifier against errors as the drivers really produce them: SQLSTATEs
 * raised by a real PostgreSQL server (RAISE … USING ERRCODE sends the code over the
 * wire as the server does for its own errors; nothing of the shared server is
 * touched) and read through pg and TypeORM, a session the server really ends, a
 * port nobody listens on, and SQLite's own codes through better-sqlite3.
 */

/** What `sql` fails with (the test fails if it does not). */
async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

const PG_URL = process.env.HERALD_TEST_DATABASE_URL;

describeIf(!!PG_URL, NEEDS_POSTGRES)('on PostgreSQL (real SQLSTATEs through pg and TypeORM)', () => {
  let dataSource: DataSource;
  beforeAll(async () => {
    dataSource = await new DataSource({ type: 'postgres', url: PG_URL, extra: { max: 2 }, logging: false }).initialize();
  });
  afterAll(() => dataSource?.destroy());

  /** The error PostgreSQL answers when it raises `code`, as TypeORM hands it over (a QueryFailedError around pg's DatabaseError). */
  const raised = (code: string) => failure(() => dataSource.query(`DO $$ BEGIN RAISE EXCEPTION 'raised by the test' USING ERRCODE = '${code}'; END $$`));

  it.each([
    ['57P01', 'admin shutdown (a restart ends the sessions)'],
    ['57P02', 'crash shutdown'],
    ['57P03', 'cannot connect now (starting up, shutting down, in recovery)'],
    ['08000', 'connection exception'],
    ['08003', 'connection does not exist'],
    ['08006', 'connection failure'],
    ['53000', 'insufficient resources'],
    ['53300', 'too many connections'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock detected'],
    ['55P03', 'lock not available'],
    ['25006', 'read-only transaction (a standby)'],
    ['58030', 'I/O error'],
  ])('%s (%s) is unavailable, not full', async (code) => {
    const error = await raised(code);
    expect((error as { driverError: { code: string } }).driverError.code).toBe(code);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isStorageFull(error)).toBe(false);
  });

  it.each([
    ['53100', 'disk full'],
    ['53200', 'out of memory'],
  ])('%s (%s) is unavailable, and full (it ends when room is made)', async (code) => {
    const error = await raised(code);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isStorageFull(error)).toBe(true);
  });

  it.each([
    ['23505', 'unique violation'],
    ['23514', 'check violation'],
    ['23503', 'foreign key violation'],
    ['22001', 'value too long'],
    ['42P01', 'undefined table'],
    ['42501', 'insufficient privilege'],
    ['P0001', 'raise exception'],
  ])('%s (%s) is not unavailable: it fails the same way every time', async (code) => {
    const error = await raised(code);
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(isUniqueViolation(error)).toBe(code === '23505');
  });

  it('a session the server ends (pg_terminate_backend, as in a restart): the query and the next one on that client', async () => {
    const victim = new Client({ connectionString: PG_URL });
    victim.on('error', () => undefined); // the client's own report of the lost connection
    await victim.connect();
    const other = new Client({ connectionString: PG_URL });
    await other.connect();
    try {
      const pid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const running = failure(() => victim.query('SELECT pg_sleep(30)'));
      // Only the session this test opened.
      for (let ended = false; !ended; ) ended = (await other.query('SELECT pg_terminate_backend($1) AS ended', [pid])).rows[0].ended as boolean;
      const error = await running;
      expect(isDatabaseUnavailable(error)).toBe(true);
      const next = await failure(() => victim.query('SELECT 1'));
      expect(isDatabaseUnavailable(next)).toBe(true);
    } finally {
      await other.end();
      await victim.end().catch(() => undefined);
    }
  });
});

describe('connections that fail (real sockets)', () => {
  it.each(['127.0.0.1', 'localhost'])('nobody listening on %s (the server down or restarting): unavailable', async (host) => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const client = new Client({ host, port, user: 'herald', database: 'herald', connectionTimeoutMillis: 5000 });
    const error = await failure(() => client.connect());
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('a connection cut while the server answers (a proxy or the server going away): unavailable', async () => {
    const cutting = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => cutting.listen(0, '127.0.0.1', r));
    try {
      const client = new Client({ host: '127.0.0.1', port: (cutting.address() as AddressInfo).port, user: 'herald', database: 'herald' });
      client.on('error', () => undefined);
      const error = await failure(() => client.connect());
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await new Promise((r) => cutting.close(r));
    }
  });
});

describe('on SQLite (better-sqlite3 through TypeORM)', () => {
  let dir: string;
  let dataSource: DataSource;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-db-errors-'));
    dataSource = await new DataSource({ type: 'better-sqlite3', database: join(dir, 'test.sqlite'), enableWAL: true, logging: false }).initialize();
    await dataSource.query('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
  });
  afterEach(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SQLITE_FULL (max_page_count reached, as a full disk): unavailable, and full', async () => {
    const pages = Number(Object.values((await dataSource.query('PRAGMA page_count'))[0])[0]);
    await dataSource.query(`PRAGMA max_page_count = ${pages}`);
    const error = await failure(() => dataSource.query('INSERT INTO t (body) VALUES (?)', ['x'.repeat(100_000)]));
    expect((error as { driverError: { code: string } }).driverError.code).toBe('SQLITE_FULL');
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isStorageFull(error)).toBe(true);
  });

  it('SQLITE_BUSY (another connection holds the write lock): unavailable, not full', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Sqlite = require('better-sqlite3') as new (path: string) => { exec(sql: string): unknown; pragma(sql: string): unknown; close(): void };
    const other = new Sqlite(join(dir, 'test.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    try {
      await dataSource.query('PRAGMA busy_timeout = 0');
      const error = await failure(() => dataSource.query('INSERT INTO t (body) VALUES (?)', ['x']));
      expect((error as { driverError: { code: string } }).driverError.code).toBe('SQLITE_BUSY');
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(isStorageFull(error)).toBe(false);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('a constraint or a bad statement is not unavailable', async () => {
    await dataSource.query('INSERT INTO t (id, body) VALUES (1, ?)', ['x']);
    const duplicate = await failure(() => dataSource.query('INSERT INTO t (id, body) VALUES (1, ?)', ['y']));
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
    expect(isDatabaseUnavailable(await failure(() => dataSource.query('SELECT nothing FROM nowhere')))).toBe(false);
  });
});
