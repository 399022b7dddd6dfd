import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DateUtils } from 'typeorm/util/DateUtils';
import { Clock } from '../../clock/clock';
import { Sql } from '../../database/sql';
import { Transactions } from '../../database/transactions';
import { Digests } from '../digests/digests';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { DigestEntity } from '../entities/digest.entity';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';

const stored = (date: Date) => DateUtils.mixedDateToUtcDatetimeString(date) as string;
const DAY = 86_400_000;

/**
 * A channel's budget for the day is used up (the relay's recipients a day, in a
 * rolling 24 hours) until `until`: the mails waiting for it, each about one event,
 * would not go before then. Rather than wait for tomorrow one by one (or fail),
 * each person's are folded into one summary mail that leaves when the budget
 * frees (the cap's fold, src/notifications/digests: kind SUMMARY, its window
 * ending then). Each folded delivery ends CANCELLED — never sent, not a failure —
 * and its lastError says where its event went. Digests and summaries already
 * written are left to wait: they are one mail per person already.
 */
@Injectable()
export class DayBudgetFold {
  private readonly logger = new Logger('DayBudgetFold');
  private readonly cancelSql: string;
  private readonly postgres: boolean;
  private folding?: Promise<void>;
  /** Asked again while folding (more mails put back to wait meanwhile): once more after. */
  private again?: { channel: string; until: Date; why: string };

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly digests: Digests,
    private readonly clock: Clock,
  ) {
    const sql = new Sql(dataSource);
    this.postgres = sql.postgres;
    const deliveries = sql.table(DeliveryEntity);
    // Claimed from WAITING in the same statement that ends them, so that a delivery requeued meanwhile is not folded and sent both.
    this.cancelSql = sql.statement(
      `UPDATE ${deliveries} SET status = '${DeliveryStatus.CANCELLED}', last_error = ?, updated_at = ?
        WHERE channel = ? AND status = '${DeliveryStatus.WAITING}'
          AND NOT EXISTS (SELECT 1 FROM ${sql.table(DigestEntity)} AS g WHERE g.delivery_id = ${deliveries}.id)
        RETURNING id, event_type, application_id, recipient_id, channel, address, recipient_name, recipient_locale, recipient_time_zone,
                  (SELECT e.event_id FROM ${sql.table(DeliveryEventEntity)} AS e WHERE e.delivery_id = ${deliveries}.id AND e.position = 0) AS event_id`,
    );
  }

  /**
   * Folds what waits for `channel` into summaries leaving at `until`: one fold at a
   * time, and once more if asked meanwhile (a worker put its mail back after the
   * fold began). Never rejects.
   */
  fold(channel: string, until: Date, why: string): Promise<void> {
    if (this.folding) {
      this.again = { channel, until, why };
      return this.folding;
    }
    this.folding = (async () => {
      for (let next: typeof this.again = { channel, until, why }; next; next = this.again) {
        this.again = undefined;
        await this.run(next.channel, next.until, next.why).catch((e: Error) => this.logger.error(`could not fold the mails beyond the day's budget into summaries: ${e.message}`));
      }
    })().finally(() => (this.folding = undefined));
    return this.folding;
  }

  private async run(channel: string, until: Date, why: string): Promise<void> {
    const reason = `folded into the summary mail of ${until.toISOString()}: ${why.replace(/^paced: /, '').replace(/; next at .*$/, '')} is used up until then`;
    const count = await this.transactions.run(async (manager) => {
      const result = await manager.query(this.cancelSql, [reason, stored(this.clock.date()), channel]);
      const rows = (this.postgres ? result[0] : result) as Array<Record<string, string | null>>;
      if (!rows.length) return 0;
      const windowStart = new Date(until.getTime() - DAY);
      await this.digests.fold(
        manager,
        rows.map((r) => ({
          delivery: {
            eventIds: [r.event_id!],
            eventType: r.event_type!,
            applicationId: r.application_id!,
            recipientId: r.recipient_id!,
            channel: r.channel!,
            address: r.address!,
            recipientName: r.recipient_name,
            recipientLocale: r.recipient_locale,
            recipientTimeZone: r.recipient_time_zone,
          },
          windowStart,
          windowEnd: until,
        })),
      );
      return rows.length;
    });
    if (count) this.logger.warn(`${count} mails would not fit the day's budget (${why}): folded into their people's summaries, sent at ${until.toISOString()}`);
  }
}
