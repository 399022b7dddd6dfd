import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { columnTypes, tablePath } from './column-types';

/**
 * The relay quota in sliding windows (RelayQuota): the fixed minutes and days
 * counted before (`m:`, `d:` rows) are dropped, and a `lock` row serializes
 * grants across processes. The relay's health gains the adaptive rate a
 * throttling reply sets (RelayHealth: halved at each, grown back while replies are clean).
 */
export class SlidingQuota1766000000100 implements MigrationInterface {
  name = 'SlidingQuota1766000000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = columnTypes(queryRunner);
    const quota = tablePath(queryRunner, 'relay_quota_usage');
    await queryRunner.query(`DELETE FROM ${quota}`);
    await queryRunner.query(`INSERT INTO ${quota} (period, used) VALUES ('lock', 0)`);
    await queryRunner.addColumns('relay_health', [
      new TableColumn({ name: 'paced_rate', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'paced_rate_max', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'paced_rate_at', type: timestamp, isNullable: true }),
      new TableColumn({ name: 'paced_rate_reply', type: 'text', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['paced_rate_reply', 'paced_rate_at', 'paced_rate_max', 'paced_rate']) await queryRunner.dropColumn('relay_health', column);
    await queryRunner.query(`DELETE FROM ${tablePath(queryRunner, 'relay_quota_usage')}`);
  }
}
