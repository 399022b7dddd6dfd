import { DataSource, type DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../../src/config/herald-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ManualClock } from '../../src/clock/manual-clock';
import { DatabaseHealth } from '../../src/database/database-health';
import { runMigrations } from '../../src/database/prepare-database';
import { Transactions } from '../../src/database/transactions';

/** Herald's real schema (every migration) on `database`, with the given entities and the Transactions over it. */
export async function openDatabase(database: DatabaseConfig, entities: DataSourceOptions['entities']): Promise<{ dataSource: DataSource; transactions: Transactions }> {
  const dataSource = await new DataSource({ ...dataSourceOptions(database), entities, logger: 'advanced-console', logging: false }).initialize();
  await runMigrations(dataSource);
  return { dataSource, transactions: new Transactions(dataSource, new DatabaseHealth(new ManualClock())) };
}

/**
 * Herald's real schema (every migration) in an SQLite database in memory, for unit
 * tests: opened in a few milliseconds, gone when closed.
 */
export function memoryDatabase(entities: DataSourceOptions['entities']): Promise<{ dataSource: DataSource; transactions: Transactions }> {
  return openDatabase({ type: 'sqlite', path: ':memory:' }, entities);
}

let schemas = 0;

/**
 * The databases a unit test of SQL runs on: SQLite in memory, and PostgreSQL when
 * HERALD_TEST_DATABASE_URL is set (each call of `database()` a schema of its own,
 * named after `prefix`, which the test drops).
 */
export function testDatabases(prefix: string): Array<{ name: 'sqlite' | 'postgres'; database: () => DatabaseConfig }> {
  const url = process.env.HERALD_TEST_DATABASE_URL;
  return [
    { name: 'sqlite', database: () => ({ type: 'sqlite', path: ':memory:' }) },
    ...(url ? [{ name: 'postgres' as const, database: (): DatabaseConfig => ({ type: 'postgres', url, schema: `${prefix}_${process.pid}_${++schemas}` }) }] : []),
  ];
}
