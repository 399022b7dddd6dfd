import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tablePath } from './column-types';

/**
 * PostgreSQL: the claim's index ends with `id`, the claim's last sort key, so that a
 * state's due deliveries come out of it in the claim's whole order. Without it, ties on
 * (priority, next_attempt_at) — a fan-out's deliveries, written in one statement, share
 * both — were sorted again, up to the whole backlog. Built CONCURRENTLY (writes go on
 * while it builds), hence outside a transaction; each step can run again if one failed
 * (an index left INVALID by a failed build is dropped first). SQLite: nothing to do,
 * every index there ends with the rowid, which `id` is.
 */
export class DeliveryClaimIndexId1766000000810 implements MigrationInterface {
  name = 'DeliveryClaimIndexId1766000000810';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') return;
    const index = (name: string) => tablePath(queryRunner, name); // an index lives in its table's schema
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index('IDX_deliveries_claim_next')}`);
    await queryRunner.query(`CREATE INDEX CONCURRENTLY "IDX_deliveries_claim_next" ON ${tablePath(queryRunner, 'deliveries')} (status, priority, next_attempt_at, id)`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index('IDX_deliveries_claim')}`);
    await queryRunner.query(`ALTER INDEX ${index('IDX_deliveries_claim_next')} RENAME TO "IDX_deliveries_claim"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') return;
    // Undone in a transaction (TypeORM's undo ignores `transaction`): not CONCURRENTLY.
    await queryRunner.query(`DROP INDEX ${tablePath(queryRunner, 'IDX_deliveries_claim')}`);
    await queryRunner.query(`CREATE INDEX "IDX_deliveries_claim" ON ${tablePath(queryRunner, 'deliveries')} (status, priority, next_attempt_at)`);
  }
}
