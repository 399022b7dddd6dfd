import { type DataSource, type EntityManager, type EntityTarget, type ObjectLiteral, QueryFailedError } from 'typeorm';

/** A column of rows read from JSON, with its type as PostgreSQL names it (SQLite reads JSON's own types). */
export type JsonColumns = Record<string, string>;

/**
 * For the few statements on the hot path that are written as SQL (fixed text,
 * prepared once by the driver, no query building per call): the dialect's
 * spelling of table names, placeholders and rows given as one JSON parameter.
 */
export class Sql {
  readonly postgres: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.postgres = dataSource.options.type === 'postgres';
  }

  /** An entity's table: "schema"."table" on PostgreSQL, "table" on SQLite. */
  table(entity: EntityTarget<ObjectLiteral>): string {
    return this.dataSource
      .getMetadata(entity)
      .tablePath.split('.')
      .map((part) => `"${part}"`)
      .join('.');
  }

  /**
   * A statement of fixed text for the hot path, run with `query(manager, parameters)`
   * in the manager's transaction: on SQLite, a better-sqlite3 statement prepared once
   * and run directly; on PostgreSQL, through the manager as any query. `?`
   * placeholders, as for statement().
   */
  prepare(sql: string): SqlStatement {
    return new SqlStatement(this.dataSource, this.statement(sql));
  }

  /** `?` placeholders as the driver wants them: $1, $2, … on PostgreSQL. */
  statement(sql: string): string {
    let n = 0;
    return this.postgres ? sql.replace(/\?/g, () => `$${++n}`) : sql;
  }

  /**
   * One `?` parameter, a JSON array of objects, as rows named `alias` with these
   * columns (a batch in one statement of fixed text): `json_to_recordset` on
   * PostgreSQL, `json_each` on SQLite. `ordinal` adds a column numbering the rows
   * in the array's order (from 1 on PostgreSQL, 0 on SQLite: order by it, do not
   * read it).
   */
  jsonRows(columns: JsonColumns, { alias = 'v', ordinal }: { alias?: string; ordinal?: string } = {}): string {
    const names = Object.keys(columns);
    if (this.postgres) {
      const typed = Object.entries(columns).map(([c, t]) => `${c} ${t}`).join(', ');
      return ordinal
        ? `ROWS FROM (json_to_recordset(?::json) AS (${typed})) WITH ORDINALITY AS ${alias}(${[...names, ordinal].join(', ')})`
        : `json_to_recordset(?::json) AS ${alias}(${typed})`;
    }
    const read = names.map((c) => `json_extract(value, '$.${c}') AS ${c}`);
    return `(SELECT ${[...read, ...(ordinal ? [`key AS ${ordinal}`] : [])].join(', ')} FROM json_each(?)) AS ${alias}`;
  }
}

/** What SqlStatement uses of better-sqlite3 (TypeORM types its connection as `any`). */
interface SqliteStatement {
  /** Returns rows (a SELECT, or a statement with RETURNING). */
  readonly reader: boolean;
  all(...parameters: unknown[]): unknown[];
  run(...parameters: unknown[]): { lastInsertRowid: number | bigint };
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  readonly inTransaction: boolean;
  exec(sql: string): unknown;
}

/**
 * One statement of fixed text (Sql.prepare). On SQLite TypeORM's query runner wraps
 * each synchronous statement in a logger call, two event broadcasts, a
 * statement-cache look-up and three awaits, per statement: here the statement is
 * prepared once per connection and run as it is. The same rules hold: the one
 * connection is the transaction's (Transactions queues whoever uses it), booleans
 * are bound as 0/1, and a failure is TypeORM's QueryFailedError (the driver's error
 * and code in `driverError`), logged by TypeORM's logger.
 */
export class SqlStatement {
  private prepared?: { connection: SqliteConnection; statement: SqliteStatement };

  constructor(
    private readonly dataSource: DataSource,
    readonly sql: string,
  ) {}

  /** Rows for a statement that returns rows; an empty array for one that does not. */
  async query<T = Record<string, unknown>>(manager: EntityManager, parameters: readonly unknown[] = []): Promise<T[]> {
    if (this.dataSource.options.type === 'postgres') {
      // As manager.query runs it, but the rows alone (manager.query gives [rows, count] for an UPDATE or a DELETE).
      const runner = manager.queryRunner ?? this.dataSource.createQueryRunner();
      try {
        return (await runner.query(this.sql, [...parameters], true)).records as T[];
      } finally {
        if (!manager.queryRunner) await runner.release();
      }
    }
    const bound = parameters.map((p) => (typeof p === 'boolean' ? Number(p) : p));
    try {
      const statement = this.statement();
      return (statement.reader ? statement.all(...bound) : (statement.run(...bound), [])) as T[];
    } catch (error) {
      this.dataSource.logger.logQueryError(error as Error, this.sql, bound);
      throw new QueryFailedError(this.sql, bound, error as Error);
    }
  }

  /**
   * SQLite only: the statement once per parameter list, all in one transaction — the
   * connection's open one, else one of its own (BEGIN IMMEDIATE … COMMIT, rolled back
   * if a statement fails). Synchronous, so nothing else runs on the connection in
   * between. For a batch that one statement over JSON rows writes more slowly: an
   * UPDATE … FROM json_each costs SQLite about 1.7× the CPU per row of the same UPDATE
   * by id, run once per row (see docs/benchmarks-history.md, "outcomes as an UPDATE by id each on SQLite"),
   * and an INSERT … SELECT from JSON rows about 1.4× that of an INSERT of one row's values, run once per row.
   * Answers, for an INSERT, the rowid of each row inserted, in order.
   */
  runEach(parameterLists: readonly (readonly unknown[])[]): number[] {
    if (this.dataSource.options.type === 'postgres') throw new Error('runEach is for SQLite: on PostgreSQL each statement is a round trip');
    const statement = this.statement();
    const connection = this.prepared!.connection;
    const own = !connection.inTransaction;
    const rowids: number[] = [];
    let bound: unknown[] = [];
    try {
      if (own) connection.exec('BEGIN IMMEDIATE');
      for (const parameters of parameterLists) {
        bound = parameters.map((p) => (typeof p === 'boolean' ? Number(p) : p));
        rowids.push(Number(statement.run(...bound).lastInsertRowid));
      }
      if (own) connection.exec('COMMIT');
      return rowids;
    } catch (error) {
      try {
        if (own && connection.inTransaction) connection.exec('ROLLBACK');
      } catch {
        // the statement's error is the one that tells (SQLite may have rolled back by itself)
      }
      this.dataSource.logger.logQueryError(error as Error, this.sql, bound);
      throw new QueryFailedError(this.sql, bound, error as Error);
    }
  }

  /** Prepared again for a new connection (the data source closed and opened again). */
  private statement(): SqliteStatement {
    const connection = (this.dataSource.driver as { databaseConnection?: SqliteConnection }).databaseConnection;
    if (!connection) throw new Error('the database connection is not open');
    if (this.prepared?.connection !== connection) this.prepared = { connection, statement: connection.prepare(this.sql) };
    return this.prepared.statement;
  }
}
