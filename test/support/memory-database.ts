import { DataSource, type DataSourceOptions } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { DatabaseHealth } from '../../src/database/database-health';
import { runMigrations } from '../../src/database/prepare-database';
import { Transactions } from '../../src/database/transactions';

/**
 * Herald's real schema (every migration) in an SQLite database in memory, for unit
 * tests: opened in a few milliseconds, gone when closed.
 */
export async function memoryDatabase(entities: DataSourceOptions['entities']): Promise<{ dataSource: DataSource; transactions: Transactions }> {
  const dataSource = await new DataSource({ ...dataSourceOptions({ type: 'sqlite', path: ':memory:' }), entities, logger: 'advanced-console', logging: false }).initialize();
  await runMigrations(dataSource);
  return { dataSource, transactions: new Transactions(dataSource, new DatabaseHealth()) };
}
