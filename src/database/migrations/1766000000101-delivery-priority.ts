import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { tablePath } from './column-types';

/**
 * What goes first when pacing makes a queue: `deliveries.priority`, 0 for mails
 * about a job that failed or was stopped, 1 for the rest; the outbox claims by
 * (priority, next_attempt_at, id). Existing rows get theirs from their event type.
 */
export class DeliveryPriority1766000000101 implements MigrationInterface {
  name = 'DeliveryPriority1766000000101';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('deliveries', new TableColumn({ name: 'priority', type: 'smallint', default: 1 }));
    await queryRunner.query(`UPDATE ${tablePath(queryRunner, 'deliveries')} SET priority = 0 WHERE event_type IN ('JOB_FAILED', 'JOB_STOPPED')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('deliveries', 'priority');
  }
}
