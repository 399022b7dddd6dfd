import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * How often, per preference row: `frequency` (null: IMMEDIATELY, which every row
 * written before meant) and the daily digest's hour. `enabled` stays: false is NEVER.
 */
export class NotificationFrequency1764000000010 implements MigrationInterface {
  name = 'NotificationFrequency1764000000010';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('preferences', [
      new TableColumn({ name: 'frequency', type: 'varchar', length: '16', isNullable: true }),
      new TableColumn({ name: 'digest_hour', type: 'integer', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('preferences', 'digest_hour');
    await queryRunner.dropColumn('preferences', 'frequency');
  }
}
