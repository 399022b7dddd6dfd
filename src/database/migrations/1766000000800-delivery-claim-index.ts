import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/**
 * The outbox claims due deliveries by (priority, next_attempt_at, id): an index in
 * that order under the status lets a claim read the first of them and stop, where
 * (status, next_attempt_at) made it read and sort every due delivery — the whole
 * backlog — for each batch it claimed. It replaces that index (the claim was its only reader).
 */
export class DeliveryClaimIndex1766000000800 implements MigrationInterface {
  name = 'DeliveryClaimIndex1766000000800';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('deliveries', new TableIndex({ name: 'IDX_deliveries_claim', columnNames: ['status', 'priority', 'next_attempt_at'] }));
    await queryRunner.dropIndex('deliveries', 'IDX_deliveries_due');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('deliveries', new TableIndex({ name: 'IDX_deliveries_due', columnNames: ['status', 'next_attempt_at'] }));
    await queryRunner.dropIndex('deliveries', 'IDX_deliveries_claim');
  }
}
