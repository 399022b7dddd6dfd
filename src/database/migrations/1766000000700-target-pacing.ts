import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * A notification target's pace, shared by every Herald process (src/webhooks/sending/target-pacing.ts):
 * `not_before`, no post before this instant (epoch ms: its interval after the last post, a 429's
 * Retry-After); `busy_until`, a post is under way until it ends or this instant passes (epoch ms:
 * the request's timeout, should its process die). Both taken with conditional UPDATEs.
 */
export class TargetPacing1766000000700 implements MigrationInterface {
  name = 'TargetPacing1766000000700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('notification_targets', [
      new TableColumn({ name: 'not_before', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'busy_until', type: 'bigint', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('notification_targets', 'busy_until');
    await queryRunner.dropColumn('notification_targets', 'not_before');
  }
}
