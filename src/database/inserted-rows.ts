import type { EntityManager, InsertQueryBuilder, ObjectLiteral, QueryResult } from 'typeorm';

/**
 * Runs an INSERT (typically … ON CONFLICT DO NOTHING / INSERT OR IGNORE) with a
 * transaction's manager and answers how many rows it wrote, on both databases —
 * TypeORM's InsertResult does not say, and what was written decides what else to
 * record (an audit entry only for a row that is new).
 */
export async function insertedRows(manager: EntityManager, insert: InsertQueryBuilder<ObjectLiteral>): Promise<number> {
  if (!manager.queryRunner) throw new Error('insertedRows: the manager is not in a transaction');
  const [sql, parameters] = insert.getQueryAndParameters();
  const result = (await manager.queryRunner.query(sql, parameters, true)) as QueryResult;
  return result.affected ?? 0;
}
