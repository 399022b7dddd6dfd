import type { DataSource } from 'typeorm';
import { openDatabase, testDatabases } from '../../test/support/memory-database';
import { Sql } from './sql';

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
