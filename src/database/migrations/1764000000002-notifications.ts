import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Job events (inbox) and deliveries (outbox) (issue 4). */
export class Notifications1764000000002 implements MigrationInterface {
  name = 'Notifications1764000000002';

  async up(_queryRunner: QueryRunner): Promise<void> {}

  async down(_queryRunner: QueryRunner): Promise<void> {}
}
