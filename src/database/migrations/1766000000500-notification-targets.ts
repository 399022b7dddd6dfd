import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Notification targets (src/webhooks/): an application's Teams, Slack or signed
 * webhooks. The URL and the signing key are stored encrypted (ENC(...)); `types` is
 * JSON text. Deliveries to them are ordinary deliveries (channel teams, slack or
 * webhook; recipient `target <id>`), so nothing else changes.
 */
export class NotificationTargets1766000000500 implements MigrationInterface {
  name = 'NotificationTargets1766000000500';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'notification_targets',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'application_id', type: 'varchar', length: '255' },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'name', type: 'varchar', length: '255' },
          { name: 'url', type: 'text' },
          { name: 'host', type: 'varchar', length: '255' },
          { name: 'secret', type: 'text', isNullable: true },
          { name: 'types', type: 'text' },
          { name: 'frequency', type: 'varchar', length: '32' },
          { name: 'digest_hour', type: 'integer', isNullable: true },
          { name: 'language', type: 'varchar', length: '35', isNullable: true },
          { name: 'time_zone', type: 'varchar', length: '64', isNullable: true },
          { name: 'enabled', type: 'boolean', default: true },
          { name: 'disabled_reason', type: 'varchar', length: '500', isNullable: true },
          { name: 'disabled_at', type: timestamp, isNullable: true },
          { name: 'created_at', type: timestamp },
          { name: 'created_by', type: 'varchar', length: '255' },
        ],
      }),
    );
    await queryRunner.createIndex('notification_targets', new TableIndex({ name: 'IDX_notification_targets_application', columnNames: ['application_id'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('notification_targets');
  }
}
