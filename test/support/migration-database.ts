import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { HeraldTestApp, type TestStorage } from './herald-test-app';

/** A migration suite's own connection to an app's storage, with SQL that reads the same on SQLite and PostgreSQL. */
export interface MigrationDatabase {
  db: DataSource;
  /** A table's name, in the storage's schema on PostgreSQL. */
  table(name: string): string;
  /** `n` bound parameters: `$1, $2, …` on PostgreSQL, `?, ?, …` on SQLite. */
  params(n: number): string;
  /** Inserts one row; answers its id (0 for a table without one). */
  insert(name: string, row: Record<string, unknown>): Promise<number>;
}

/**
 * Opens `storage` with these migrations known (those before the one under test, to
 * write rows as the code before it did; or all of them). Runs none: the suite runs
 * them (runMigrations) and checks which ran. Destroy `db` when done.
 */
export async function openMigrationDatabase(storage: TestStorage, migrations: Function[]): Promise<MigrationDatabase> {
  const options = dataSourceOptions(HeraldTestApp.config(storage).database);
  const db = await new DataSource({ ...options, migrations, logger: 'advanced-console', logging: false }).initialize();
  const postgres = options.type === 'postgres';
  const table = (name: string) => (postgres ? `"${options.schema}"."${name}"` : `"${name}"`);
  const params = (n: number) => Array.from({ length: n }, (_, i) => (postgres ? `$${i + 1}` : '?')).join(', ');
  const insert = async (name: string, row: Record<string, unknown>) => {
    const columns = Object.keys(row);
    const rows = (await db.query(`INSERT INTO ${table(name)} (${columns.join(', ')}) VALUES (${params(columns.length)}) RETURNING *`, Object.values(row))) as Array<{ id?: number | string }>;
    return Number(rows[0].id ?? 0);
  };
  return { db, table, params, insert };
}
