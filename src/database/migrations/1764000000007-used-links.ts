import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/** The single-use parts of preferences links already used (one-click unsubscribes, submitted forms). */
export class UsedLinks1764000000007 implements MigrationInterface {
  name = 'UsedLinks1764000000007';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'used_links',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'expires_at', type: t.timestamp },
        ],
      }),
    );
    await queryRunner.createIndex('used_links', new TableIndex({ name: 'IDX_used_links_expires_at', columnNames: ['expires_at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('used_links');
  }
}
