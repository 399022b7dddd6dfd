import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, type DataSourceOptions } from 'typeorm';

/** How often a process that waits for another's migrations asks for their lock again. */
const LOCK_RETRY_MS = 200;

/** Creates Herald's PostgreSQL schema if needed (the migrations table lives in it). */
async function ensureSchema(dataSource: DataSource): Promise<void> {
  const options = dataSource.options;
  if (options.type === 'postgres' && options.schema) {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
  }
}

/**
 * Runs pending migrations, each in its own transaction; returns their names. On
 * PostgreSQL one process migrates a schema at a time (replicas that start together
 * all run this): the others wait on an advisory lock, held by a connection of its
 * own, then find nothing left to do. Without it they ran the same migrations at
 * once, and those that run outside a transaction (CREATE INDEX CONCURRENTLY) could undo each other.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const options = dataSource.options;
  if (options.type !== 'postgres') return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  const lock = dataSource.createQueryRunner();
  const key = `herald migrations ${options.schema ?? 'public'}`;
  try {
    // Asked again and again rather than waited on: a session waiting in pg_advisory_lock holds a
    // snapshot, which CREATE INDEX CONCURRENTLY (in the lock holder's migrations) would wait for.
    while (!(await lock.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [key]))[0].locked) await sleep(LOCK_RETRY_MS);
    await ensureSchema(dataSource); // (CREATE SCHEMA IF NOT EXISTS is not safe at once either)
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  } finally {
    // (Released with its session too, should this connection break.)
    await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => undefined);
    await lock.release();
  }
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
