import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Admins' mail templates and branding (src/notifications/mail-templates/,
 * src/notifications/mail-branding/). Each change of a type's (or the layout's)
 * template in a language is a row of `mail_template_versions`, numbered per
 * type and language; the latest is in effect, and a part left null is Herald's
 * (the files). `mail_branding` is one row (id 1), its `revision` counting changes.
 */
export class MailTemplates1765000000020 implements MigrationInterface {
  name = 'MailTemplates1765000000020';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'mail_template_versions',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'language', type: 'varchar', length: '16' },
          { name: 'version', type: 'integer' },
          { name: 'change', type: 'varchar', length: '16' },
          { name: 'restored_from', type: 'integer', isNullable: true },
          { name: 'subject', type: 'text', isNullable: true },
          { name: 'html', type: 'text', isNullable: true },
          { name: 'text', type: 'text', isNullable: true },
          { name: 'created_at', type: timestamp },
          { name: 'created_by', type: 'varchar', length: '255' },
          { name: 'created_by_name', type: 'varchar', length: '255', isNullable: true },
        ],
      }),
    );
    await queryRunner.createIndex('mail_template_versions', new TableIndex({ name: 'UQ_mail_template_versions', columnNames: ['type', 'language', 'version'], isUnique: true }));
    await queryRunner.createTable(
      new Table({
        name: 'mail_branding',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true },
          { name: 'revision', type: 'integer' },
          { name: 'product_name', type: 'varchar', length: '100', isNullable: true },
          { name: 'logo_url', type: 'varchar', length: '2048', isNullable: true },
          { name: 'logo_type', type: 'varchar', length: '32', isNullable: true },
          { name: 'logo_data', type: 'text', isNullable: true },
          { name: 'accent_color', type: 'varchar', length: '7', isNullable: true },
          { name: 'footer', type: 'varchar', length: '500', isNullable: true },
          { name: 'help_link', type: 'varchar', length: '2048', isNullable: true },
          { name: 'updated_at', type: timestamp },
          { name: 'updated_by', type: 'varchar', length: '255' },
          { name: 'updated_by_name', type: 'varchar', length: '255', isNullable: true },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('mail_branding');
    await queryRunner.dropTable('mail_template_versions');
  }
}
