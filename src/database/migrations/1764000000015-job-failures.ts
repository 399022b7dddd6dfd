import { type MigrationInterface, type QueryRunner, Table, TableColumn } from 'typeorm';
import { tablePath } from './column-types';

/**
 * The job outcome history by `occurredAt` whatever the order of arrival: the
 * latest success per job kind (job_outcomes.last_success_at) and the failures
 * after it, each at its time (job_failures), so that an outcome arriving late
 * takes its place among them (JobHistory).
 *
 * Rows recorded before: a success is the latest success; a row of n failures
 * becomes n failures, the first at first_failure_at, the last at
 * last_occurred_at and those between (whose times were not kept) at the first's.
 */
export class JobFailures1764000000015 implements MigrationInterface {
  name = 'JobFailures1764000000015';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('job_outcomes', new TableColumn({ name: 'last_success_at', type: 'varchar', length: '32', isNullable: true }));
    await queryRunner.createTable(
      new Table({
        name: 'job_failures',
        columns: [
          { name: 'application_id', type: 'varchar', length: '255', isPrimary: true },
          { name: 'job_kind', type: 'varchar', length: '64', isPrimary: true },
          { name: 'occurred_at', type: 'varchar', length: '32', isPrimary: true },
          { name: 'event_id', type: 'varchar', length: '128', isPrimary: true },
        ],
      }),
    );
    const outcomes = tablePath(queryRunner, 'job_outcomes');
    const failures = tablePath(queryRunner, 'job_failures');
    await queryRunner.query(`UPDATE ${outcomes} SET last_success_at = last_occurred_at WHERE last_outcome = 'SUCCEEDED' AND last_occurred_at <> ''`);
    const rows = (await queryRunner.query(
      `SELECT application_id AS "applicationId", job_kind AS "jobKind", last_occurred_at AS "last", failures_in_row AS "count", first_failure_at AS "first"
       FROM ${outcomes} WHERE last_outcome = 'FAILED' AND failures_in_row > 0`,
    )) as Array<{ applicationId: string; jobKind: string; last: string; count: number | string; first: string | null }>;
    const postgres = queryRunner.connection.options.type === 'postgres';
    const insert = `INSERT INTO ${failures} (application_id, job_kind, occurred_at, event_id) VALUES (${postgres ? '$1, $2, $3, $4' : '?, ?, ?, ?'})`;
    for (const row of rows) {
      const count = Number(row.count);
      for (let n = 1; n <= count; n++) {
        const at = n === count ? row.last : (row.first ?? row.last);
        await queryRunner.query(insert, [row.applicationId, row.jobKind, at, `before-upgrade-${n}`]);
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('job_failures');
    await queryRunner.dropColumn('job_outcomes', 'last_success_at');
  }
}
