import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Per delivery, the relay-wide failures (the session lost while sending it) seen
 * while the relay worked for others, and when the last one was: after
 * RELAY_FAILURES_PER_MESSAGE of them they are the message's own failure.
 */
export class DeliveryRelayFailures1764000000014 implements MigrationInterface {
  name = 'DeliveryRelayFailures1764000000014';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = columnTypes(queryRunner);
    await queryRunner.addColumns('deliveries', [
      new TableColumn({ name: 'relay_failures', type: 'integer', default: 0 }),
      new TableColumn({ name: 'relay_failed_at', type: timestamp, isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('deliveries', 'relay_failed_at');
    await queryRunner.dropColumn('deliveries', 'relay_failures');
  }
}
