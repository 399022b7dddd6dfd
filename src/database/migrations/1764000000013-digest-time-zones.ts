import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * A waiting digest entry keeps its recipient's time zone as planned (beside the
 * locale), so the digest mail is written in the zone its window was computed in.
 * Null: the admin's default when the mail is written (entries from before this).
 */
export class DigestTimeZones1764000000013 implements MigrationInterface {
  name = 'DigestTimeZones1764000000013';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('digest_entries', new TableColumn({ name: 'recipient_time_zone', type: 'varchar', length: '64', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('digest_entries', 'recipient_time_zone');
  }
}
