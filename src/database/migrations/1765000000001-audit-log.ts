import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * The audit log (src/settings/audit-log/): who changed the SMTP settings, the mail
 * defaults or a person's role, and when. `kind` is text, so later kinds need no
 * migration; `fields` is JSON text (each field's before and after, a secret only
 * named). Newest first by id; filtered by kind and by time.
 */
export class AuditLog1765000000001 implements MigrationInterface {
  name = 'AuditLog1765000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'audit_log',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'at', type: timestamp },
          { name: 'kind', type: 'varchar', length: '64' },
          { name: 'target', type: 'varchar', length: '255' },
          { name: 'actor_id', type: 'varchar', length: '255' },
          { name: 'actor_name', type: 'varchar', length: '255', isNullable: true },
          { name: 'fields', type: 'text' },
        ],
      }),
    );
    await queryRunner.createIndex('audit_log', new TableIndex({ name: 'IDX_audit_log_kind', columnNames: ['kind', 'id'] }));
    await queryRunner.createIndex('audit_log', new TableIndex({ name: 'IDX_audit_log_at', columnNames: ['at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_log');
  }
}
