import { type MigrationInterface, type QueryRunner, type Table, TableColumn, TableUnique } from 'typeorm';
import { tablePath } from './column-types';

/**
 * A delivery, and a digest entry waiting for one, names its channel and its
 * address on that channel (src/channels): `channel` ('email' for every row so
 * far) and `address`, which was `recipient_email`. A closed digest window is one
 * per person, window, kind and channel. A channel other than email then needs no
 * migration of these tables.
 *
 * The outbox's columns are added and renamed in place (ALTER TABLE on both
 * databases), not by copying it into a new table. Undone, rows of other channels are deleted:
 * the tables as they were can hold only mail.
 */
export class DeliveryChannels1765000000002 implements MigrationInterface {
  name = 'DeliveryChannels1765000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['deliveries', 'digest_entries']) {
      await queryRunner.query(`ALTER TABLE ${tablePath(queryRunner, table)} ADD COLUMN channel varchar(32) NOT NULL DEFAULT 'email'`);
      await queryRunner.query(`ALTER TABLE ${tablePath(queryRunner, table)} RENAME COLUMN recipient_email TO address`);
    }
    forgetTables(queryRunner, ['deliveries', 'digest_entries']);
    // Through TypeORM: its constraint change below rebuilds the (small) table on SQLite from what it knows of it.
    await queryRunner.addColumn('digests', new TableColumn({ name: 'channel', type: 'varchar', length: '32', default: "'email'" }));
    await queryRunner.dropUniqueConstraint('digests', 'digests_recipient_window_kind');
    await queryRunner.createUniqueConstraint('digests', new TableUnique({ name: 'digests_recipient_window_kind_channel', columnNames: ['recipient_id', 'window_end', 'kind', 'channel'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const digests = tablePath(queryRunner, 'digests');
    // A closed window of another channel refers to its delivery: both go (delivery_events with it, ON DELETE CASCADE).
    await queryRunner.query(`DELETE FROM ${digests} WHERE channel <> 'email'`);
    for (const table of ['deliveries', 'digest_entries']) await queryRunner.query(`DELETE FROM ${tablePath(queryRunner, table)} WHERE channel <> 'email'`);
    await queryRunner.dropUniqueConstraint('digests', 'digests_recipient_window_kind_channel');
    await queryRunner.createUniqueConstraint('digests', new TableUnique({ name: 'digests_recipient_window_kind', columnNames: ['recipient_id', 'window_end', 'kind'] }));
    await queryRunner.dropColumn('digests', 'channel');
    for (const table of ['deliveries', 'digest_entries']) {
      await queryRunner.query(`ALTER TABLE ${tablePath(queryRunner, table)} RENAME COLUMN address TO recipient_email`);
      await queryRunner.query(`ALTER TABLE ${tablePath(queryRunner, table)} DROP COLUMN channel`);
    }
    forgetTables(queryRunner, ['deliveries', 'digest_entries']);
  }
}

/**
 * TypeORM's query runner keeps the tables it has read; a column changed by hand
 * (ALTER TABLE above) is not in that copy, and a later migration's schema-builder
 * call on SQLite (which rebuilds the table from it) would bring back the old column.
 */
function forgetTables(queryRunner: QueryRunner, names: string[]): void {
  // Every driver's query runner extends BaseQueryRunner, which keeps them there; the interface does not say so.
  const runner = queryRunner as QueryRunner & { loadedTables: Table[] };
  runner.loadedTables = runner.loadedTables.filter((t) => !names.some((n) => t.name === n || t.name.endsWith(`.${n}`)));
}
