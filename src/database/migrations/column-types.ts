import type { QueryRunner } from 'typeorm';

/** Column types that differ between the two dialects; everything else is spelled the same. */
export function columnTypes(queryRunner: QueryRunner) {
  const postgres = queryRunner.connection.options.type === 'postgres';
  return {
    /** UTC instants (see data-source-options.ts). */
    timestamp: postgres ? 'timestamp' : 'datetime',
  };
}
