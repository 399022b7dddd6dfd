import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * The inbox of job events (job-events), and the outbox (notifications): one
 * notification per event with what the mails are rendered from, one delivery per
 * recipient with its status.
 */
export class Notifications1764000000002 implements MigrationInterface {
  name = 'Notifications1764000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    const now = { type: t.timestamp, default: 'CURRENT_TIMESTAMP' };

    await queryRunner.createTable(
      new Table({
        name: 'job_events',
        columns: [
          { name: 'id', type: 'varchar', length: '128', isPrimary: true },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'schema_version', type: 'integer' },
          { name: 'application_id', type: 'varchar', length: '255' },
          { name: 'application_name', type: 'varchar', length: '255' },
          { name: 'occurred_at', type: t.timestamp },
          { name: 'received_at', ...now },
          { name: 'source', type: 'varchar', length: '16' },
          { name: 'recipients', type: 'integer' },
        ],
        indices: [{ name: 'IDX_job_events_received', columnNames: ['received_at'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'notifications',
        columns: [
          { name: 'event_id', type: 'varchar', length: '128', isPrimary: true },
          { name: 'event_type', type: 'varchar', length: '64' },
          { name: 'payload', type: 'text' },
          { name: 'created_at', ...now },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'deliveries',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'event_id', type: 'varchar', length: '128' },
          { name: 'event_type', type: 'varchar', length: '64' },
          { name: 'application_id', type: 'varchar', length: '255' },
          { name: 'recipient_id', type: 'varchar', length: '255' },
          { name: 'recipient_email', type: 'varchar', length: '320' },
          { name: 'recipient_name', type: 'varchar', length: '255', isNullable: true },
          { name: 'recipient_locale', type: 'varchar', length: '35', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'next_attempt_at', ...now },
          { name: 'lease_owner', type: 'varchar', length: '64', isNullable: true },
          { name: 'lease_expires_at', type: t.timestamp, isNullable: true },
          { name: 'last_reply', type: 'text', isNullable: true },
          { name: 'last_error', type: 'text', isNullable: true },
          { name: 'message_id', type: 'varchar', length: '255', isNullable: true },
          { name: 'sent_at', type: t.timestamp, isNullable: true },
          { name: 'created_at', ...now },
          { name: 'updated_at', ...now },
        ],
        foreignKeys: [{ columnNames: ['event_id'], referencedTableName: 'notifications', referencedColumnNames: ['event_id'], onDelete: 'CASCADE' }],
        uniques: [{ name: 'UQ_deliveries_event_recipient', columnNames: ['event_id', 'recipient_id'] }],
      }),
    );
    // The dispatcher's claim: due deliveries by status and time.
    await queryRunner.createIndex('deliveries', new TableIndex({ name: 'IDX_deliveries_due', columnNames: ['status', 'next_attempt_at'] }));
    // A person's delivery log, newest first.
    await queryRunner.createIndex('deliveries', new TableIndex({ name: 'IDX_deliveries_recipient', columnNames: ['recipient_id', 'id'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['deliveries', 'notifications', 'job_events']) await queryRunner.dropTable(table);
  }
}
