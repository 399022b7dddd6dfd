import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';
import { tablePath } from './column-types';

/**
 * The outbox claims due deliveries by (priority, next_attempt_at, id): an index in
 * that order under the status lets a claim read the first of them and stop, where
 * (status, next_attempt_at) made it read and sort every due delivery — the whole
 * backlog — for each batch it claimed. It replaces that index (the claim was its only reader).
 * Outside a transaction: PostgreSQL builds and drops CONCURRENTLY (writes to deliveries go on
 * meanwhile), which a transaction cannot hold. Each step can run again if one failed (an
 * index left INVALID by a failed build is dropped first; SQLite's statements say IF [NOT] EXISTS).
 */
export class DeliveryClaimIndex1766000000800 implements MigrationInterface {
  name = 'DeliveryClaimIndex1766000000800';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    const index = (name: string) => tablePath(queryRunner, name); // an index lives in its table's schema
    const columns = '(status, priority, next_attempt_at)';
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index('IDX_deliveries_claim')}`);
      await queryRunner.query(`CREATE INDEX CONCURRENTLY "IDX_deliveries_claim" ON ${tablePath(queryRunner, 'deliveries')} ${columns}`);
      await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index('IDX_deliveries_due')}`);
    } else {
      await queryRunner.query(`CREATE INDEX IF NOT EXISTS "IDX_deliveries_claim" ON "deliveries" ${columns}`);
      await queryRunner.query(`DROP INDEX IF EXISTS "IDX_deliveries_due"`);
    }
  }

  // Undone in a transaction (TypeORM's undo ignores `transaction`): not CONCURRENTLY.
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('deliveries', new TableIndex({ name: 'IDX_deliveries_due', columnNames: ['status', 'next_attempt_at'] }));
    await queryRunner.dropIndex('deliveries', 'IDX_deliveries_claim');
  }
}
