import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In, MoreThan } from 'typeorm';
import { Clock } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { Sql } from '../../database/sql';
import { Transactions } from '../../database/transactions';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import type { HeldBack, MailCapState } from '../../users/frequency/mail-cap-state';
import { CapWindowEntity } from '../entities/cap-window.entity';
import type { NewDelivery } from '../outbox/delivery-outbox';

/** A mail the cap held back: its event goes in the summary at the end of the person's window. */
export interface FoldedMail {
  delivery: NewDelivery;
  windowStart: Date;
  windowEnd: Date;
}

/** Rows per upsert (one JSON parameter each). */
const CHUNK = 5000;

/**
 * The mail cap: at most MAIL_CAP_COUNT mails per person per MAIL_CAP_WINDOW_MS.
 * A person's window opens with their first mail after the last one ended; the
 * planner asks, in its transaction, which of the mails it planned may go now
 * (`admit`) and which are folded into the window's summary (the digests'
 * machinery sends it when the window ends: src/notifications/digests/).
 *
 * The count lives in the database (cap_windows), bumped by one upsert per batch
 * that answers each person's window and total: the row stays locked until the
 * planner's transaction ends, so processes planning for the same person at once
 * count one after the other (PostgreSQL), and SQLite has one writer. A restart
 * forgets nothing.
 */
@Injectable()
export class MailCap implements MailCapState {
  private readonly upsertSql: string;
  private readonly postgres: boolean;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: HeraldConfig,
    private readonly clock: Clock,
    private readonly transactions: Transactions,
    @Optional() private readonly metrics?: HeraldMetrics,
  ) {
    const sql = new Sql(dataSource);
    this.postgres = sql.postgres;
    const rows = sql.jsonRows({ recipient_id: 'varchar', mails: 'integer' });
    // A window that has ended (its end at or before now) starts again at now with this batch's mails.
    const ended = 'c.window_end <= excluded.window_start';
    const upsert = `INSERT INTO ${sql.table(CapWindowEntity)} AS c (recipient_id, window_start, window_end, mails)
       SELECT v.recipient_id, ?${this.postgres ? '::bigint' : ''}, ?${this.postgres ? '::bigint' : ''}, v.mails FROM ${rows} WHERE true
       ON CONFLICT (recipient_id) DO UPDATE SET
         window_start = CASE WHEN ${ended} THEN excluded.window_start ELSE c.window_start END,
         window_end = CASE WHEN ${ended} THEN excluded.window_end ELSE c.window_end END,
         mails = CASE WHEN ${ended} THEN excluded.mails ELSE c.mails + excluded.mails END
       RETURNING recipient_id, window_start, window_end, mails`;
    // Only the people now over the cap come back on PostgreSQL (a fan-out's 10,000 rows
    // cost more to read than to write); SQLite cannot wrap an INSERT, and reads them all cheaply.
    this.upsertSql = sql.statement(this.postgres ? `WITH u AS (${upsert}) SELECT * FROM u WHERE u.mails > ?` : upsert);
  }

  /**
   * Splits planned mails (in event order) into those that go now and those folded
   * into their person's summary, counting them in each person's window. Off (no
   * cap configured): everything goes.
   */
  async admit(manager: EntityManager, deliveries: NewDelivery[]): Promise<{ send: NewDelivery[]; folded: FoldedMail[] }> {
    const cap = this.config.mailCap;
    if (!cap || !deliveries.length) return { send: deliveries, folded: [] };
    const wanted = new Map<string, number>();
    for (const d of deliveries) wanted.set(d.recipientId, (wanted.get(d.recipientId) ?? 0) + 1);
    const start = this.clock.now();
    const end = start + cap.windowMs;
    const windows = new Map<string, { room: number; start: number; end: number }>();
    const people = [...wanted];
    for (let i = 0; i < people.length; i += CHUNK) {
      const json = JSON.stringify(people.slice(i, i + CHUNK).map(([recipient_id, mails]) => ({ recipient_id, mails })));
      const params = this.postgres ? [start, end, json, cap.count] : [start, end, json];
      const rows = (await manager.query(this.upsertSql, params)) as Array<{ recipient_id: string; window_start: number | string; window_end: number | string; mails: number | string }>;
      for (const r of rows) {
        if (Number(r.mails) <= cap.count) continue; // all of this batch's mails fit
        const before = Number(r.mails) - wanted.get(r.recipient_id)!;
        windows.set(r.recipient_id, { room: Math.max(0, cap.count - before), start: Number(r.window_start), end: Number(r.window_end) });
      }
    }
    const send: NewDelivery[] = [];
    const folded: FoldedMail[] = [];
    for (const d of deliveries) {
      const window = windows.get(d.recipientId); // none: all of the person's mails fit
      if (!window || window.room > 0) {
        if (window) window.room--;
        send.push(d);
      } else {
        folded.push({ delivery: d, windowStart: new Date(window.start), windowEnd: new Date(window.end) });
      }
    }
    if (folded.length && this.metrics) {
      const metrics = this.metrics;
      const count = folded.length;
      this.transactions.afterCommit(manager, () => metrics.capFolded(count));
    }
    return { send, folded };
  }

  /** People whose current window is full: what they would get now is folded (recipientsPreview). */
  async heldBack(recipientIds: string[]): Promise<Map<string, HeldBack>> {
    const cap = this.config.mailCap;
    const held = new Map<string, HeldBack>();
    if (!cap) return held;
    const now = this.clock.now();
    for (let i = 0; i < recipientIds.length; i += 500) {
      const rows = await this.dataSource.getRepository(CapWindowEntity).find({ where: { recipientId: In(recipientIds.slice(i, i + 500)), windowEnd: MoreThan(now) } });
      for (const r of rows) if (r.mails >= cap.count) held.set(r.recipientId, { windowEnd: new Date(r.windowEnd), mails: r.mails, cap: cap.count });
    }
    return held;
  }
}
