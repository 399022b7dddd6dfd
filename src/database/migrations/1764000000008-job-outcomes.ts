import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/** Herald's job outcome history (JobOutcomeEntity): what makes "still failing" and "fixed". */
export class JobOutcomes1764000000008 implements MigrationInterface {
  name = 'JobOutcomes1764000000008';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'job_outcomes',
        columns: [
          { name: 'application_id', type: 'varchar', length: '255', isPrimary: true },
          { name: 'job_kind', type: 'varchar', length: '64', isPrimary: true },
          { name: 'last_outcome', type: 'varchar', length: '16' },
          { name: 'last_occurred_at', type: 'varchar', length: '32' },
          { name: 'failures_in_row', type: 'integer' },
          { name: 'first_failure_at', type: 'varchar', length: '32', isNullable: true },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('job_outcomes');
  }
}
