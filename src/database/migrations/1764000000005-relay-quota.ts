import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/** The relay's sending quota, counted per period across processes (RelayQuota). */
export class RelayQuota1764000000005 implements MigrationInterface {
  name = 'RelayQuota1764000000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'relay_quota_usage',
        columns: [
          { name: 'period', type: 'varchar', length: '32', isPrimary: true },
          { name: 'used', type: 'integer' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('relay_quota_usage');
  }
}
