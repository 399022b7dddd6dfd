import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * Whether a person last called Herald with the ADMIN role: roles live in tokens, so
 * this is what Herald knows of who its admins are (they receive the relay outage summary).
 */
export class UserAdmin1764000000010 implements MigrationInterface {
  name = 'UserAdmin1764000000010';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('users', new TableColumn({ name: 'admin', type: 'boolean', default: false }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('users', 'admin');
  }
}
