import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes, tablePath } from './column-types';

/**
 * Bounces (issue 28): what a report said about a delivery (BOUNCED, its status,
 * diagnostic and reporting server), found by its Message-ID (indexed); the
 * addresses suspended after bounces (users/suspensions); the reports of the
 * sender's mailbox, each claimed by one process and handled once (bounce_reports);
 * and the report mailbox's state as every process last saw it.
 */
export class Bounces1765000000010 implements MigrationInterface {
  name = 'Bounces1765000000010';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = columnTypes(queryRunner);
    // Nullable columns added in place (no copy of the table on SQLite, however many deliveries it holds).
    const deliveries = tablePath(queryRunner, 'deliveries');
    for (const column of ['"bounce_status" varchar(16)', '"bounce_class" varchar(8)', '"bounce_diagnostic" text', '"bounce_reporting_mta" varchar(255)', `"bounced_at" ${timestamp}`]) {
      await queryRunner.query(`ALTER TABLE ${deliveries} ADD COLUMN ${column}`);
    }
    await queryRunner.query(`CREATE INDEX "IDX_deliveries_message_id" ON ${deliveries} ("message_id")`);

    await queryRunner.createTable(
      new Table({
        name: 'address_suspensions',
        columns: [
          { name: 'address', type: 'varchar', length: '320', isPrimary: true },
          { name: 'hard_bounces', type: 'integer', default: 0 },
          { name: 'window_started_at', type: timestamp, isNullable: true },
          { name: 'last_bounce_at', type: timestamp, isNullable: true },
          { name: 'last_status', type: 'varchar', length: '16', isNullable: true },
          { name: 'last_diagnostic', type: 'text', isNullable: true },
          { name: 'last_reporting_mta', type: 'varchar', length: '255', isNullable: true },
          { name: 'last_delivery_id', type: 'integer', isNullable: true },
          { name: 'suspended_at', type: timestamp, isNullable: true },
          { name: 'reason', type: 'text', isNullable: true },
          { name: 'retry_at', type: timestamp, isNullable: true },
          { name: 'retry_delivery_id', type: 'integer', isNullable: true },
          { name: 'lifted_at', type: timestamp, isNullable: true },
          { name: 'lifted_by', type: 'varchar', length: '255', isNullable: true },
          { name: 'lift_reason', type: 'text', isNullable: true },
        ],
      }),
    );
    await queryRunner.createIndex('address_suspensions', new TableIndex({ name: 'IDX_address_suspensions_suspended', columnNames: ['suspended_at'] }));

    await queryRunner.createTable(
      new Table({
        name: 'bounce_reports',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'mailbox', type: 'varchar', length: '255' },
          { name: 'message_key', type: 'varchar', length: '255' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'claimed_by', type: 'varchar', length: '64', isNullable: true },
          { name: 'claimed_until', type: timestamp, isNullable: true },
          { name: 'outcome', type: 'varchar', length: '16', isNullable: true },
          { name: 'reason', type: 'text', isNullable: true },
          { name: 'subject', type: 'varchar', length: '255', isNullable: true },
          { name: 'delivery_id', type: 'integer', isNullable: true },
          { name: 'handled', type: 'boolean', default: false },
          { name: 'created_at', type: timestamp },
          { name: 'processed_at', type: timestamp, isNullable: true },
        ],
      }),
    );
    await queryRunner.createIndex('bounce_reports', new TableIndex({ name: 'IDX_bounce_reports_message', columnNames: ['mailbox', 'message_key'], isUnique: true }));

    await queryRunner.createTable(
      new Table({
        name: 'report_mailbox_state',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true },
          { name: 'mailbox', type: 'varchar', length: '255', isNullable: true },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'since', type: timestamp },
          { name: 'last_poll_at', type: timestamp, isNullable: true },
          { name: 'last_success_at', type: timestamp, isNullable: true },
          { name: 'last_error', type: 'text', isNullable: true },
          { name: 'last_error_at', type: timestamp, isNullable: true },
          { name: 'aside_at', type: timestamp, isNullable: true },
          { name: 'aside_reason', type: 'text', isNullable: true },
          { name: 'aside_subject', type: 'varchar', length: '255', isNullable: true },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('report_mailbox_state');
    await queryRunner.dropTable('bounce_reports');
    await queryRunner.dropTable('address_suspensions');
    const deliveries = await queryRunner.getTable('deliveries'); // as it is now, not as TypeORM last cached it
    await queryRunner.dropIndex(deliveries!, 'IDX_deliveries_message_id');
    await queryRunner.dropColumns(deliveries!, ['bounced_at', 'bounce_reporting_mta', 'bounce_diagnostic', 'bounce_class', 'bounce_status']);
  }
}
