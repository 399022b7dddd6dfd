import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Sql } from '../../database/sql';
import { DigestEntryEntity } from '../entities/digest-entry.entity';

/** The columns of a waiting entry, as one JSON object per entry (a fan-out's entries in one statement). */
const ENTRY_COLUMNS = {
  recipient_id: 'varchar',
  window_start: 'timestamp',
  window_end: 'timestamp',
  event_id: 'varchar',
  event_type: 'varchar',
  application_id: 'varchar',
  channel: 'varchar',
  address: 'varchar',
  recipient_name: 'varchar',
  recipient_locale: 'varchar',
  recipient_time_zone: 'varchar',
  kind: 'varchar',
};

/** An entry to write, in the statement's form: times as stored ('YYYY-MM-DD HH:MM:SS.SSS', UTC). */
export type EntryRow = Record<keyof typeof ENTRY_COLUMNS, string | null>;

/** Entries per INSERT: bounds the JSON text of a large fan-out. */
const INSERT_CHUNK = 5000;

/**
 * The events waiting for a window to end (digest_entries): written by the planner's
 * batch in one statement of fixed text (prepared once, as the outbox writes
 * deliveries), read back by window when it ends.
 */
@Injectable()
export class DigestEntries {
  private readonly insertSql: string;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    const sql = new Sql(dataSource);
    const columns = Object.keys(ENTRY_COLUMNS).join(', ');
    this.insertSql = sql.statement(`INSERT INTO ${sql.table(DigestEntryEntity)} (${columns}) SELECT ${columns} FROM ${sql.jsonRows(ENTRY_COLUMNS, { ordinal: 'n' })} ORDER BY n`);
  }

  /** Writes entries in the caller's transaction, in the order given. */
  async add(manager: EntityManager, rows: EntryRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) await manager.query(this.insertSql, [JSON.stringify(rows.slice(i, i + INSERT_CHUNK))]);
  }

  /** The windows (person, end, kind, channel) that have ended by `now`, earliest first: one row each. */
  ended(now: Date): Promise<Array<{ recipientId: string }>> {
    return this.dataSource
      .getRepository(DigestEntryEntity)
      .createQueryBuilder('e')
      .select(['e.recipient_id AS "recipientId"', 'e.window_end AS "windowEnd"'])
      .where('e.window_end <= :now', { now })
      .groupBy('e.recipient_id')
      .addGroupBy('e.window_end')
      .addGroupBy('e.kind')
      .addGroupBy('e.channel')
      .orderBy('e.window_end')
      .getRawMany<{ recipientId: string }>();
  }
}
