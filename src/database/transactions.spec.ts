import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ManualClock } from '../clock/manual-clock';
import { DatabaseHealth } from './database-health';
import { Transactions } from './transactions';

/**
 * Transactions on SQLite's one shared connection, against a real database file:
 * after a write fails because the database is full, what is committed next must
 * really be committed — as another connection (another process) sees it.
 */
describe('Transactions (SQLite)', () => {
  let dir: string;
  let dataSource: DataSource;
  let transactions: Transactions;
  let health: DatabaseHealth;
  let clock: ManualClock;
  /** What another connection (another process) sees. */
  const committed = async () => {
    const other = await new DataSource({ type: 'better-sqlite3', database: join(dir, 'db.sqlite'), readonly: true }).initialize();
    try {
      return ((await other.query('SELECT name FROM items ORDER BY name')) as { name: string }[]).map((r) => r.name);
    } finally {
      await other.destroy();
    }
  };
  const insert = (name: string, size = 10) =>
    transactions.run((m) => m.query('INSERT INTO items (name, body) VALUES (?, ?)', [name, 'x'.repeat(size)]));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-tx-'));
    dataSource = await new DataSource({ type: 'better-sqlite3', database: join(dir, 'db.sqlite'), enableWAL: true, logging: false }).initialize();
    await dataSource.query('CREATE TABLE items (name TEXT PRIMARY KEY, body TEXT)');
    clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
    health = new DatabaseHealth(clock);
    transactions = new Transactions(dataSource, health);
  });
  afterEach(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits what follows a full database and a failed statement, and says the database was full', async () => {
    await insert('before');
    clock.advance(60_000);
    const pages = Number((await dataSource.query('PRAGMA page_count'))[0].page_count);
    await dataSource.query(`PRAGMA max_page_count = ${pages + 2}`);
    await expect(insert('too-big', 100_000)).rejects.toThrow(/full/);
    expect(health.state).toBe('full');
    expect(health.detail.since).toEqual(new Date(Date.UTC(2026, 0, 5, 9, 1))); // on the Clock, as /health/ready shows it
    await dataSource.query('PRAGMA max_page_count = 1073741823');
    // A statement that fails on its own: SQLite rolls back that statement only.
    await expect(insert('before')).rejects.toThrow(/UNIQUE/);
    await insert('after');
    expect(await committed()).toEqual(['after', 'before']);
    const runner = dataSource.createQueryRunner() as unknown as { isTransactionActive: boolean; transactionDepth: number };
    expect({ active: runner.isTransactionActive, depth: runner.transactionDepth }).toEqual({ active: false, depth: 0 });
  });

  it('runs writes one after the other on the one connection', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => insert(`n${String(i).padStart(2, '0')}`)));
    expect(await committed()).toHaveLength(20);
  });

  it('runs what was registered after the commit, when the writes are visible; nothing after a rollback', async () => {
    const seen: string[][] = [];
    let reading: Promise<unknown> | undefined;
    await transactions.run(async (m) => {
      await m.query("INSERT INTO items (name) VALUES ('a')");
      transactions.afterCommit(m, () => (reading = committed().then((names) => seen.push(names))));
      transactions.afterCommit(m, () => seen.push(['second']));
      expect(seen).toEqual([]); // not before the commit
    });
    expect(seen).toEqual([['second']]); // before run() resolves, in order (the first reads asynchronously)
    await expect(
      transactions.run(async (m) => {
        await m.query("INSERT INTO items (name) VALUES ('b')");
        transactions.afterCommit(m, () => seen.push(['rolled back']));
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    await reading;
    expect(seen).toEqual([['second'], ['a']]);
    expect(() => transactions.afterCommit(dataSource.manager, () => undefined)).toThrow(/not in a transaction/);
  });
});
