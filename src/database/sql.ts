import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

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
