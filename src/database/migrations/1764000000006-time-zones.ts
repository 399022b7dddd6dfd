import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * Each person's IANA time zone (null: the admin's default), copied onto each
 * delivery as the locale is, so a mail is written as its recipient was when the
 * event was planned. The admin's default language and time zone are rows of
 * `properties` (mail.default-*), which need no change of schema.
 */
export class TimeZones1764000000006 implements MigrationInterface {
  name = 'TimeZones1764000000006';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('users', new TableColumn({ name: 'time_zone', type: 'varchar', length: '64', isNullable: true }));
    await queryRunner.addColumn('deliveries', new TableColumn({ name: 'recipient_time_zone', type: 'varchar', length: '64', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('deliveries', 'recipient_time_zone');
    await queryRunner.dropColumn('users', 'time_zone');
  }
}
