import type { QueryRunner } from 'typeorm';

/** Column types that differ between the two dialects; everything else is spelled the same. */
export function columnTypes(queryRunner: QueryRunner) {
  const postgres = queryRunner.connection.options.type === 'postgres';
  return {
    /** UTC instants (see data-source-options.ts). */
    timestamp: postgres ? 'timestamp' : 'datetime',
  };
}

/**
 * A table's name for a statement written as SQL in a migration: "schema"."table"
 * on PostgreSQL (Herald's tables live in their own schema), "table" on SQLite.
 */
export function tablePath(queryRunner: QueryRunner, table: string): string {
  const options = queryRunner.connection.options;
  const schema = options.type === 'postgres' ? options.schema : undefined;
  return (schema ? [schema, table] : [table]).map((part) => `"${part}"`).join('.');
}

/**
 * A field of a JSON text column as text, in the dialect's spelling (for migrations
 * that move data between a JSON payload and columns).
 */
export function jsonText(queryRunner: QueryRunner, column: string, field: string): string {
  return queryRunner.connection.options.type === 'postgres' ? `(${column})::json #>> '{${field.split('.').join(',')}}'` : `json_extract(${column}, '$.${field}')`;
}
