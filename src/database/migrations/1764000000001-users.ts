import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Users, applications, memberships, notification preferences. The indexes serve
 * the recipients query: memberships by (application, role), preferences by
 * (user, event type, application) — one unique index for per-application rows
 * and a partial one for the global row (application_id IS NULL).
 */
export class Users1764000000001 implements MigrationInterface {
  name = 'Users1764000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    const created = { name: 'created_at', type: t.timestamp, default: 'CURRENT_TIMESTAMP' };
    const updated = { name: 'updated_at', type: t.timestamp, default: 'CURRENT_TIMESTAMP' };
    const id = { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' as const };

    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          id,
          { name: 'external_id', type: 'varchar', length: '255', isUnique: true },
          { name: 'display_name', type: 'varchar', length: '255', isNullable: true },
          { name: 'email', type: 'varchar', length: '320', isNullable: true },
          { name: 'notifications_enabled', type: 'boolean', default: false },
          { name: 'locale', type: 'varchar', length: '35', isNullable: true },
          created,
          updated,
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'applications',
        columns: [id, { name: 'external_id', type: 'varchar', length: '255', isUnique: true }, { name: 'name', type: 'varchar', length: '255' }, created],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'memberships',
        columns: [
          { name: 'application_id', type: 'integer', isPrimary: true },
          { name: 'role', type: 'varchar', length: '16', isPrimary: true },
          { name: 'user_id', type: 'integer', isPrimary: true },
          created,
        ],
        foreignKeys: [
          { columnNames: ['application_id'], referencedTableName: 'applications', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
          { columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        ],
        indices: [{ name: 'IDX_memberships_user', columnNames: ['user_id'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'preferences',
        columns: [
          id,
          { name: 'user_id', type: 'integer' },
          { name: 'event_type', type: 'varchar', length: '64' },
          { name: 'application_id', type: 'integer', isNullable: true },
          { name: 'enabled', type: 'boolean' },
          updated,
        ],
        foreignKeys: [
          { columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
          { columnNames: ['application_id'], referencedTableName: 'applications', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        ],
      }),
    );
    await queryRunner.createIndex(
      'preferences',
      new TableIndex({ name: 'UQ_preferences_app', columnNames: ['user_id', 'event_type', 'application_id'], isUnique: true }),
    );
    await queryRunner.createIndex(
      'preferences',
      new TableIndex({ name: 'UQ_preferences_global', columnNames: ['user_id', 'event_type'], isUnique: true, where: 'application_id IS NULL' }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['preferences', 'memberships', 'applications', 'users']) await queryRunner.dropTable(table);
  }
}
