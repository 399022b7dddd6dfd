import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableUnique } from 'typeorm';
import { tablePath } from './column-types';

/**
 * The mail cap (src/notifications/cap/): per person the current cap window and how
 * many mails were wanted in it (cap_windows); the events folded beyond the cap wait
 * in digest_entries and leave as one summary mail (digests), told apart from
 * digests by `kind` — so one person's digest and summary that end at the same
 * instant are two mails.
 */
export class MailCap1764000000012 implements MigrationInterface {
  name = 'MailCap1764000000012';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('digest_entries', new TableColumn({ name: 'kind', type: 'varchar', length: '16', default: "'DIGEST'" }));
    await queryRunner.addColumn('digests', new TableColumn({ name: 'kind', type: 'varchar', length: '16', default: "'DIGEST'" }));
    await queryRunner.dropUniqueConstraint('digests', 'digests_recipient_window');
    await queryRunner.createUniqueConstraint('digests', new TableUnique({ name: 'digests_recipient_window_kind', columnNames: ['recipient_id', 'window_end', 'kind'] }));
    await queryRunner.createTable(
      new Table({
        name: 'cap_windows',
        columns: [
          { name: 'recipient_id', type: 'varchar', length: '255', isPrimary: true },
          // Epoch milliseconds (UTC): small, and compared as numbers in the upsert on both databases.
          { name: 'window_start', type: 'bigint' },
          { name: 'window_end', type: 'bigint' },
          { name: 'mails', type: 'integer' },
        ],
        // SQLite: the rows kept in their primary key's order, not beside it (one b-tree to write
        // per person, not two: the cap counts every recipient of a fan-out). PostgreSQL ignores it.
        withoutRowid: true,
      }),
    );
    // PostgreSQL: room in each page for a row's next version, so that counting a mail
    // (an UPDATE of every recipient of a fan-out) stays on the page and leaves the index alone.
    if (queryRunner.connection.options.type === 'postgres') await queryRunner.query(`ALTER TABLE ${tablePath(queryRunner, 'cap_windows')} SET (fillfactor = 50)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('cap_windows');
    await queryRunner.query(`DELETE FROM ${tablePath(queryRunner, 'digests')} WHERE kind <> 'DIGEST'`);
    await queryRunner.dropUniqueConstraint('digests', 'digests_recipient_window_kind');
    await queryRunner.createUniqueConstraint('digests', new TableUnique({ name: 'digests_recipient_window', columnNames: ['recipient_id', 'window_end'] }));
    await queryRunner.dropColumn('digests', 'kind');
    await queryRunner.dropColumn('digest_entries', 'kind');
  }
}
