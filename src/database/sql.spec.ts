import { type DataSource, QueryFailedError } from 'typeorm';
import { openDatabase, testDatabases } from '../../test/support/memory-database';
import { roundTrips } from '../../test/support/round-trips';
import { isUniqueViolation } from './database-errors';
import { Sql } from './sql';
import type { Transactions } from './transactions';

describe.each(testDatabases('herald_sql'))('Sql.jsonRows ($name)', ({ database: databaseOf }) => {
  const database = databaseOf();
  let dataSource: DataSource;
  let sql: Sql;

  beforeAll(async () => {
    ({ dataSource } = await openDatabase(database, []));
    sql = new Sql(dataSource);
  });
  afterAll(async () => {
    if (database.type === 'postgres') await dataSource.query(`DROP SCHEMA "${database.schema}" CASCADE`);
    await dataSource.destroy();
  });

  const rows = [
    { name: 'b', count: 2, note: null },
    { name: 'a', count: 1, note: 'x' },
    { name: 'c', count: 3, note: "it's" },
  ];

  it('reads a JSON array parameter as rows of the named columns', async () => {
    const found = await dataSource.query(sql.statement(`SELECT v.name, v.count, v.note FROM ${sql.jsonRows({ name: 'varchar', count: 'integer', note: 'text' })} ORDER BY v.name`), [JSON.stringify(rows)]);
    expect(found.map((r: { name: string; count: number | string; note: string | null }) => [r.name, Number(r.count), r.note])).toEqual([
      ['a', 1, 'x'],
      ['b', 2, null],
      ['c', 3, "it's"],
    ]);
  });

  it('numbers the rows in the order of the array when asked, and takes other parameters around it', async () => {
    const found = await dataSource.query(
      sql.statement(`SELECT v.name, ? AS tag FROM ${sql.jsonRows({ name: 'varchar' }, { ordinal: 'n' })} WHERE v.name <> ? ORDER BY v.n`),
      ['t', JSON.stringify(rows), 'a'],
    );
    expect(found.map((r: { name: string; tag: string }) => [r.name, r.tag])).toEqual([
      ['b', 't'],
      ['c', 't'],
    ]);
  });
});

describe.each(testDatabases('herald_sql_prepared'))('Sql.prepare ($name)', ({ name, database: databaseOf }) => {
  const database = databaseOf();
  let dataSource: DataSource;
  let transactions: Transactions;
  let sql: Sql;
  // In the test's own schema on PostgreSQL.
  const things = database.type === 'postgres' ? `"${database.schema}".sql_things` : 'sql_things';

  beforeAll(async () => {
    ({ dataSource, transactions } = await openDatabase(database, []));
    sql = new Sql(dataSource);
    await dataSource.query(`CREATE TABLE ${things} (id integer PRIMARY KEY, name varchar(16) NOT NULL, flag boolean NOT NULL)`);
  });
  afterAll(async () => {
    if (database.type === 'postgres') await dataSource.query(`DROP SCHEMA "${database.schema}" CASCADE`);
    await dataSource.destroy();
  });

  it("runs in the manager's transaction: rows of a RETURNING or a SELECT, nothing of a write without one, booleans bound", async () => {
    const insert = sql.prepare(`INSERT INTO ${things} (id, name, flag) VALUES (?, ?, ?) RETURNING id, name`);
    const count = sql.prepare(`SELECT COUNT(*) AS "n" FROM ${things} WHERE flag = ?`);
    const rename = sql.prepare(`UPDATE ${things} SET name = ? WHERE id = ?`);
    await expect(
      transactions.run(async (manager) => {
        expect(await insert.query(manager, [1, 'one', true])).toEqual([{ id: 1, name: 'one' }]);
        expect(await rename.query(manager, ['uno', 1])).toEqual([]);
        expect(Number((await count.query<{ n: number }>(manager, [true]))[0].n)).toBe(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(Number((await count.query<{ n: number }>(dataSource.manager, [true]))[0].n)).toBe(0);
    await transactions.run((manager) => insert.query(manager, [2, 'two', false]));
    expect(await dataSource.query(`SELECT name FROM ${things}`)).toEqual([{ name: 'two' }]);
  });

  it("fails as TypeORM's queries fail: a QueryFailedError with the driver's code", async () => {
    const insert = sql.prepare(`INSERT INTO ${things} (id, name, flag) VALUES (?, ?, ?)`);
    await transactions.run((manager) => insert.query(manager, [3, 'three', true]));
    const failure = await transactions.run((manager) => insert.query(manager, [3, 'again', true])).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QueryFailedError);
    expect(isUniqueViolation(failure)).toBe(true);
  });

  if (name === 'postgres') {
    it('on PostgreSQL sends the statements a transaction asks for together before the first is answered: one round trip', async () => {
      const select = sql.prepare('SELECT ?::int AS "n"');
      const { result, trips } = await transactions.run((manager) => roundTrips(manager, () => Promise.all([1, 2, 3].map((n) => select.query(manager, [n])))));
      expect(result).toEqual([[{ n: 1 }], [{ n: 2 }], [{ n: 3 }]]);
      expect(trips).toBe(1);
    });
  }

  if (name === 'sqlite') {
    it('on SQLite runs a statement once per parameter list in one transaction of its own, none written if one fails, or in the open one, answering the rowids inserted', async () => {
      const insert = sql.prepare(`INSERT INTO ${things} (id, name, flag) VALUES (?, ?, ?)`);
      const names = async () => (await dataSource.query(`SELECT name FROM ${things} WHERE id >= 10 ORDER BY id`)).map((r: { name: string }) => r.name);
      const connection = (dataSource.driver as unknown as { databaseConnection: { exec(sql: string): unknown } }).databaseConnection;
      const exec = jest.spyOn(connection, 'exec');
      expect(
        insert.runEach([
          [10, 'ten', true],
          [11, 'eleven', false],
        ]),
      ).toEqual([10, 11]); // the rowid of each row inserted
      expect(exec.mock.calls.map(([statement]) => statement)).toEqual(['BEGIN IMMEDIATE', 'COMMIT']);
      exec.mockRestore();
      expect(await names()).toEqual(['ten', 'eleven']);
      const failure = (() => {
        try {
          return insert.runEach([
            [12, 'twelve', true],
            [10, 'ten again', true],
          ]);
        } catch (error) {
          return error;
        }
      })();
      expect(isUniqueViolation(failure)).toBe(true);
      expect(await names()).toEqual(['ten', 'eleven']);
      await expect(
        transactions.run(async () => {
          insert.runEach([[13, 'thirteen', true]]);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await names()).toEqual(['ten', 'eleven']);
    });

    it("on SQLite runs a better-sqlite3 statement prepared once, not TypeORM's query runner, and prepares it again on a new connection", async () => {
      const select = sql.prepare('SELECT name FROM sql_things WHERE id = ?');
      const connection = (dataSource.driver as unknown as { databaseConnection: { prepare(sql: string): unknown } }).databaseConnection;
      const prepare = jest.spyOn(connection, 'prepare');
      const runner = jest.spyOn(dataSource.createQueryRunner(), 'query'); // SQLite: the one shared runner
      expect(await select.query(dataSource.manager, [2])).toEqual([{ name: 'two' }]);
      expect(await select.query(dataSource.manager, [3])).toEqual([{ name: 'three' }]);
      expect(prepare).toHaveBeenCalledTimes(1);
      expect(runner).not.toHaveBeenCalled();
      prepare.mockRestore();
      runner.mockRestore();
      await dataSource.destroy(); // in memory: the new connection's database is empty
      await dataSource.initialize();
      await expect(select.query(dataSource.manager, [2])).rejects.toThrow(/no such table: sql_things/);
    });
  }
});
