import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex, TableUnique } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * How often, per preference row: `frequency` (null: IMMEDIATELY, which every row
 * written before meant) and the daily digest's hour; `enabled` stays (false is
 * NEVER). And the digests: events waiting for a person's window
 * (digest_entries), and the digests sent, one per person and window (digests).
 */
export class NotificationFrequency1764000000011 implements MigrationInterface {
  name = 'NotificationFrequency1764000000011';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = columnTypes(queryRunner);
    await queryRunner.addColumns('preferences', [
      new TableColumn({ name: 'frequency', type: 'varchar', length: '16', isNullable: true }),
      new TableColumn({ name: 'digest_hour', type: 'integer', isNullable: true }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'digest_entries',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'recipient_id', type: 'varchar', length: '255' },
          { name: 'window_start', type: timestamp },
          { name: 'window_end', type: timestamp },
          { name: 'event_id', type: 'varchar', length: '128' },
          { name: 'event_type', type: 'varchar', length: '64' },
          { name: 'application_id', type: 'varchar', length: '255' },
          { name: 'recipient_email', type: 'varchar', length: '320' },
          { name: 'recipient_name', type: 'varchar', length: '255', isNullable: true },
          { name: 'recipient_locale', type: 'varchar', length: '35', isNullable: true },
        ],
        indices: [new TableIndex({ columnNames: ['window_end'] }), new TableIndex({ columnNames: ['recipient_id', 'window_end'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'digests',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'recipient_id', type: 'varchar', length: '255' },
          { name: 'window_start', type: timestamp },
          { name: 'window_end', type: timestamp },
          { name: 'closer', type: 'varchar', length: '64' },
          { name: 'delivery_id', type: 'integer', isNullable: true },
        ],
        uniques: [new TableUnique({ name: 'digests_recipient_window', columnNames: ['recipient_id', 'window_end'] })],
        // The outbox's claim asks, per delivery, whether it is a digest.
        indices: [new TableIndex({ columnNames: ['delivery_id'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('digests');
    await queryRunner.dropTable('digest_entries');
    await queryRunner.dropColumn('preferences', 'digest_hour');
    await queryRunner.dropColumn('preferences', 'frequency');
  }
}
