import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HeraldConfig } from '../../config/herald-config';
import { Sql } from '../../database/sql';
import { Transactions } from '../../database/transactions';
import { RelayQuotaUsageEntity } from './relay-quota-usage.entity';

/** The relay's limits on one mailbox (Microsoft 365: 30 messages a minute, 10,000 recipients a day). */
export interface QuotaLimits {
  messagesPerMinute: number | null;
  recipientsPerDay: number | null;
}

export type QuotaAnswer = { granted: true } | { granted: false; until: Date; reason: string };

const DAY = 86_400_000;

/**
 * Paces sending to the relay's quota, counted in fixed windows (the minute, the
 * UTC day) in the database so that every Herald process shares one count. A
 * grant is taken atomically — one upsert that only counts while under the limit —
 * so two processes never both take the last slot. A refusal says until when:
 * the delivery waits for that, spending no attempt.
 */
/** The last 1/20 of a minute (3 s) sends nothing: see reserve(). */
const MINUTE_END_MARGIN = 20;

@Injectable()
export class RelayQuota {
  private readonly sql: Sql;
  private readonly take: string;
  private readonly giveBack: string;
  private readonly prune: string;
  private lastPrune = 0;
  /** The minute's length: 60 s, shorter only in tests (HERALD_QUOTA_MINUTE_MS). */
  private readonly minute: number;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly transactions: Transactions,
    @Optional() config?: HeraldConfig,
  ) {
    this.minute = config?.relay.quotaMinuteMs ?? 60_000;
    this.sql = new Sql(dataSource);
    const table = this.sql.table(RelayQuotaUsageEntity);
    this.take = this.sql.statement(
      `INSERT INTO ${table} AS q (period, used) VALUES (?, ?) ON CONFLICT (period) DO UPDATE SET used = q.used + excluded.used WHERE q.used + excluded.used <= ? RETURNING used`,
    );
    this.giveBack = this.sql.statement(`UPDATE ${table} SET used = used - ? WHERE period = ?`);
    this.prune = this.sql.statement(`DELETE FROM ${table} WHERE period < ? OR (period LIKE 'm:%' AND period < ?)`);
  }

  /** Takes one message to `recipients` people from the quota, or says until when to wait. */
  async reserve(limits: QuotaLimits, now: number, recipients = 1): Promise<QuotaAnswer> {
    if (!limits.messagesPerMinute && !limits.recipientsPerDay) return { granted: true };
    const minute = `m:${String(Math.floor(now / this.minute)).padStart(12, '0')}`;
    const day = `d:${new Date(now).toISOString().slice(0, 10)}`;
    return this.transactions.run(async (manager) => {
      // A message granted in a minute's last moments may reach the relay in the next one,
      // which the relay then counts once more than Herald did: those wait for the next minute.
      const minuteEnd = (Math.floor(now / this.minute) + 1) * this.minute;
      if (limits.messagesPerMinute && minuteEnd - now < this.minute / MINUTE_END_MARGIN) {
        return { granted: false, until: new Date(minuteEnd), reason: `relay quota: ${limits.messagesPerMinute} messages a minute` };
      }
      if (limits.messagesPerMinute && !(await this.took(manager.query.bind(manager), minute, 1, limits.messagesPerMinute))) {
        return { granted: false, until: new Date((Math.floor(now / this.minute) + 1) * this.minute), reason: `relay quota: ${limits.messagesPerMinute} messages a minute` };
      }
      if (limits.recipientsPerDay && !(await this.took(manager.query.bind(manager), day, recipients, limits.recipientsPerDay))) {
        if (limits.messagesPerMinute) await manager.query(this.giveBack, [1, minute]);
        return { granted: false, until: new Date((Math.floor(now / DAY) + 1) * DAY), reason: `relay quota: ${limits.recipientsPerDay} recipients a day` };
      }
      if (now - this.lastPrune > this.minute) {
        this.lastPrune = now;
        // Windows that are over: yesterday's days, minutes older than this one.
        await manager.query(this.prune, [`d:${new Date(now - DAY).toISOString().slice(0, 10)}`, minute]);
      }
      return { granted: true };
    });
  }

  private async took(query: (sql: string, parameters: unknown[]) => Promise<unknown>, period: string, amount: number, limit: number): Promise<boolean> {
    if (amount > limit) return false;
    const rows = (await query(this.take, [period, amount, limit])) as unknown[];
    return rows.length > 0;
  }
}
