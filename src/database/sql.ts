import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * For the few statements on the hot path that are written as SQL (fixed text,
 * prepared once by the driver, no query building per call): the dialect's
 * spelling of table names and placeholders.
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

  /** `?` placeholders as the driver wants them: $1, $2, … on PostgreSQL. */
  statement(sql: string): string {
    let n = 0;
    return this.postgres ? sql.replace(/\?/g, () => `$${++n}`) : sql;
  }
}
