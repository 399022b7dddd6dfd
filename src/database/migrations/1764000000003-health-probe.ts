import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/** The write probe's table (DatabaseProbe): empty but for the instant of a probe. */
export class HealthProbe1764000000003 implements MigrationInterface {
  name = 'HealthProbe1764000000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'health_probe',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true },
          { name: 'payload', type: 'text' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('health_probe');
  }
}
