import { DataSource, type DataSourceOptions } from 'typeorm';

/** Creates Herald's PostgreSQL schema if needed (the migrations table lives in it). */
async function ensureSchema(dataSource: DataSource): Promise<void> {
  const options = dataSource.options;
  if (options.type === 'postgres' && options.schema) {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
  }
}

/** Runs pending migrations, each in its own transaction; returns their names. */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  await ensureSchema(dataSource);
  const done = await dataSource.runMigrations({ transaction: 'each' });
  return done.map((m) => m.name);
}

/**
 * Opens the database and, when `migrationsRun` is set, brings the schema up to
 * date before anything else uses it: the schema first, then the migrations.
 */
export async function openDatabase(options: DataSourceOptions): Promise<{ dataSource: DataSource; applied: string[] }> {
  const dataSource = await new DataSource({ ...options, migrationsRun: false } as DataSourceOptions).initialize().catch((error: Error) => {
    // better-sqlite3 says "unable to open database file" and not which: name it.
    if (options.type !== 'better-sqlite3') throw error;
    throw new Error(`cannot open the SQLite database ${options.database}: ${error.message} (is its directory writable by this user?)`);
  });
  try {
    const applied = options.migrationsRun ? await runMigrations(dataSource) : [];
    return { dataSource, applied };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}
