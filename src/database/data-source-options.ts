import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { types as pgTypes, defaults as pgDefaults } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/herald-config';
import { MIGRATIONS } from './migrations';
import { HeraldTypeOrmLogger } from './typeorm-logger';

const PG_TIMESTAMP_WITHOUT_TZ = 1114;

/**
 * Time is UTC in storage. Timestamp columns are `timestamp` on PostgreSQL and
 * `datetime` on SQLite (what TypeORM maps a `Date` property to on each); the
 * session runs in UTC and pg reads and writes those values as UTC.
 */
function usePgUtc(): void {
  pgTypes.setTypeParser(PG_TIMESTAMP_WITHOUT_TZ, (text: string) => new Date(`${text.replace(' ', 'T')}Z`));
  pgDefaults.parseInputDatesAsUTC = true;
}

/**
 * The one description of Herald's database, shared by the app (DatabaseModule)
 * and the TypeORM CLI (ormconfig.ts). Entities are registered by each module
 * (`TypeOrmModule.forFeature`) and collected with `autoLoadEntities`; the CLI
 * passes them explicitly.
 */
export function dataSourceOptions(db: DatabaseConfig): DataSourceOptions {
  const common = {
    migrations: MIGRATIONS,
    migrationsTableName: 'herald_migrations',
    migrationsRun: false, // openDatabase() runs them, after making sure the schema exists
    // Each in its own transaction, as `herald migrate` runs them, also for the TypeORM CLI (whose
    // default, all in one, refuses migrations that run outside a transaction: CREATE INDEX CONCURRENTLY).
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    // Failed and slow statements, warnings and migrations, through Nest's logger and never
    // with their parameters (they carry the contents of events). A logger instance decides
    // for itself what to log: TypeORM's `logging` option only configures its own loggers.
    logger: new HeraldTypeOrmLogger(),
  };
  if (db.type === 'postgres') {
    usePgUtc();
    return {
      ...common,
      type: 'postgres',
      url: db.url,
      schema: db.schema,
      // Pipeline mode (pg ≥ 8.23): statements a transaction asks for together (Promise.all)
      // are written at once and answered in one round trip, instead of one after the other.
      extra: { max: 10, options: '-c timezone=UTC', pipeline: true },
      applicationName: 'herald',
    };
  }
  if (db.path !== ':memory:') mkdirSync(dirname(db.path), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: db.path,
    enableWAL: db.path !== ':memory:',
    prepareDatabase: (sqlite: { pragma(sql: string): unknown }) => {
      sqlite.pragma('busy_timeout = 5000');
      sqlite.pragma('foreign_keys = ON');
      sqlite.pragma('synchronous = NORMAL');
      // SQLite's own default page cache (2 MB) rather than better-sqlite3's 16 MB: the
      // outbox's working set is the few pages of due deliveries, and memory is counted.
      sqlite.pragma('cache_size = -2000');
    },
  };
}
