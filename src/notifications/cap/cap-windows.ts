import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In, MoreThan } from 'typeorm';
import { Sql, type SqlStatement } from '../../database/sql';
import { CapWindowEntity } from '../entities/cap-window.entity';

/** A person's cap window as counting left it. */
export interface CountedWindow {
  recipientId: string;
  /** Epoch ms. */
  start: number;
  end: number;
  /** Mails wanted in it, this batch's included. */
  mails: number;
}

/** Rows per upsert (one JSON parameter each). */
const CHUNK = 5000;

/**
 * The mail cap's table (cap_windows): per person the current window and the mails
 * wanted in it. Counting is one upsert per batch (one JSON parameter, both
 * databases) that answers each person's window and total; the rows stay locked
 * until the caller's transaction ends.
 */
@Injectable()
export class CapWindows {
  private readonly upsertSql: SqlStatement;
  private readonly postgres: boolean;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    const sql = new Sql(dataSource);
    this.postgres = sql.postgres;
    // A window that has ended (its end at or before now) starts again at now with this batch's mails.
    const ended = 'c.window_end <= excluded.window_start';
    const upsert = `INSERT INTO ${sql.table(CapWindowEntity)} AS c (recipient_id, window_start, window_end, mails)
       SELECT v.recipient_id, ?${this.postgres ? '::bigint' : ''}, ?${this.postgres ? '::bigint' : ''}, v.mails FROM ${sql.jsonRows({ recipient_id: 'varchar', mails: 'integer' })} WHERE true
       ON CONFLICT (recipient_id) DO UPDATE SET
         window_start = CASE WHEN ${ended} THEN excluded.window_start ELSE c.window_start END,
         window_end = CASE WHEN ${ended} THEN excluded.window_end ELSE c.window_end END,
         mails = CASE WHEN ${ended} THEN excluded.mails ELSE c.mails + excluded.mails END
       RETURNING recipient_id, window_start, window_end, mails`;
    // Only the people now over the cap come back on PostgreSQL (a fan-out's 10,000 rows
    // cost more to read than to write); SQLite cannot wrap an INSERT, and reads them all cheaply.
    this.upsertSql = sql.prepare(this.postgres ? `WITH u AS (${upsert}) SELECT * FROM u WHERE u.mails > ?` : upsert);
  }

  /**
   * Counts `wanted` mails per person in their window (a window ended by `start`
   * starts again then, until `end`); answers the windows of those now over `cap`
   * (on SQLite, possibly others too: the caller compares).
   */
  async count(manager: EntityManager, wanted: ReadonlyMap<string, number>, start: number, end: number, cap: number): Promise<CountedWindow[]> {
    const counted: CountedWindow[] = [];
    const people = [...wanted];
    for (let i = 0; i < people.length; i += CHUNK) {
      const json = JSON.stringify(people.slice(i, i + CHUNK).map(([recipient_id, mails]) => ({ recipient_id, mails })));
      const rows = (await this.upsertSql.query(manager, this.postgres ? [start, end, json, cap] : [start, end, json])) as Array<{
        recipient_id: string;
        window_start: number | string;
        window_end: number | string;
        mails: number | string;
      }>;
      for (const r of rows) counted.push({ recipientId: r.recipient_id, start: Number(r.window_start), end: Number(r.window_end), mails: Number(r.mails) });
    }
    return counted;
  }

  /** The current windows (not ended at `now`) of these people. */
  async current(recipientIds: string[], now: number): Promise<CapWindowEntity[]> {
    const windows: CapWindowEntity[] = [];
    for (let i = 0; i < recipientIds.length; i += 500) {
      windows.push(...(await this.dataSource.getRepository(CapWindowEntity).find({ where: { recipientId: In(recipientIds.slice(i, i + 500)), windowEnd: MoreThan(now) } })));
    }
    return windows;
  }
}
