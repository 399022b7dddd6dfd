import { type MigrationInterface, type QueryRunner, Table, TableUnique } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Quiet hours (src/users/quiet-hours/): a person's own, an application's default
 * and the installation's, one row each. The mails they hold wait in
 * digest_entries (kind QUIET) until they end: no column there changes.
 */
export class QuietHours1766000000400 implements MigrationInterface {
  name = 'QuietHours1766000000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'quiet_hours',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'scope', type: 'varchar', length: '16' },
          { name: 'owner_id', type: 'varchar', length: '255' },
          { name: 'enabled', type: 'boolean' },
          { name: 'start_time', type: 'varchar', length: '5' },
          { name: 'end_time', type: 'varchar', length: '5' },
          { name: 'weekends', type: 'boolean' },
          { name: 'time_zone', type: 'varchar', length: '64', isNullable: true },
          { name: 'break_through', type: 'varchar', length: '1000' },
          { name: 'updated_at', type: timestamp, default: 'CURRENT_TIMESTAMP' },
        ],
        uniques: [new TableUnique({ name: 'quiet_hours_scope_owner', columnNames: ['scope', 'owner_id'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('quiet_hours');
  }
}
