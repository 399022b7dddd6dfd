import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import { columnTypes } from './column-types';

/** The settings store: key/value rows, as in the product Herald replaces. */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'properties',
        columns: [
          { name: 'key', type: 'varchar', length: '128', isPrimary: true },
          { name: 'value', type: 'text', isNullable: true },
          { name: 'updated_at', type: t.timestamp, default: 'CURRENT_TIMESTAMP' },
          { name: 'updated_by', type: 'varchar', length: '255', isNullable: true },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('properties');
  }
}
