import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { HeraldConfig } from '../../config/herald-config';
import { Sql } from '../../database/sql';
import { Transactions } from '../../database/transactions';
import { RelayQuotaUsageEntity } from './relay-quota-usage.entity';

/** The relay's limits on one mailbox (Microsoft 365: 30 messages a minute, 10,000 recipients a day). */
export interface QuotaLimits {
  messagesPerMinute: number | null;
  recipientsPerDay: number | null;
}

export type QuotaAnswer = { granted: true } | { granted: false; until: Date; reason: string; window: 'minute' | 'day' };

const DAY = 86_400_000;
/** The day's window is counted in buckets of a minute (1,441 rows at most in a window). */
const DAY_BUCKET_MS = 60_000;
/** The minute's window in buckets of a sixtieth of it (a second of a real minute). */
const MINUTE_BUCKETS = 60;
/**
 * The minute's window is counted 1/20 longer than the relay's minute (63 s): a message
 * granted here reaches the relay a little later, and the relay's own rolling minute
 * must never see more than the quota.
 */
const MINUTE_MARGIN = 1 / 20;
/** The row whose lock serializes grants on PostgreSQL (SQLite has one writer). */
const LOCK = 'lock';
/** The relay whose counts a RelayQuota keeps: the primary's keys have no prefix (as before the standby relay), the standby's `standby.`. */
export const RELAY_QUOTA_KEYS = Symbol('RELAY_QUOTA_KEYS');

/**
 * Paces sending to the relay's quota in sliding windows: no window of a minute
 * ever holds more than `messagesPerMinute` messages, no window of 24 hours more
 * than `recipientsPerDay` recipients — whenever it starts, not only on the clock's
 * minutes and days. Counted in the database in small buckets (a sixtieth of the
 * minute, a minute of the day) so that every Herald process shares one count; a
 * bucket counts for as long as any part of it is in the window, so the count is
 * never less than the truth (the pace errs a bucket's width on the slow side).
 * A grant is one transaction that sums the windows and adds to the current
 * buckets, serialized across processes by a row lock (PostgreSQL) or the one
 * writer (SQLite). A refusal says when enough of the window will have passed.
 */
@Injectable()
export class RelayQuota {
  private readonly sql: Sql;
  private readonly lockSql: string;
  private readonly sumSql: string;
  private readonly bucketsSql: string;
  private readonly addSql: string;
  private readonly pruneSql: string;
  private lastPrune = 0;
  /** This process's grants, one after the other in the order asked (see reserve()). */
  private turn: Promise<unknown> = Promise.resolve();
  /** The minute's length: 60 s, shorter only in tests (HERALD_QUOTA_MINUTE_MS). */
  readonly minute: number;
  private readonly minuteBucket: number;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly transactions: Transactions,
    @Optional() config?: HeraldConfig,
    /** Row keys: `<relay>w:<bucket>` messages in a bucket of the minute's window, `<relay>r:<bucket>` recipients in one of the day's. */
    @Optional() @Inject(RELAY_QUOTA_KEYS) private readonly relay: string = '',
  ) {
    this.minute = config?.relay.quotaMinuteMs ?? 60_000;
    this.minuteBucket = this.minute / MINUTE_BUCKETS;
    this.sql = new Sql(dataSource);
    const table = this.sql.table(RelayQuotaUsageEntity);
    this.lockSql = this.sql.statement(`SELECT used FROM ${table} WHERE period = '${LOCK}' FOR UPDATE`);
    // Up to the end of each prefix ('w;' follows every 'w:…'), not the current bucket: another process's clock may run a little ahead.
    const [w, r] = [`'${relay}w;'`, `'${relay}r;'`];
    this.sumSql = this.sql.statement(
      `SELECT COALESCE(SUM(CASE WHEN period >= ? AND period < ${w} THEN used ELSE 0 END), 0) AS messages,
              COALESCE(SUM(CASE WHEN period >= ? AND period < ${r} THEN used ELSE 0 END), 0) AS recipients
         FROM ${table} WHERE (period >= ? AND period < ${w}) OR (period >= ? AND period < ${r})`,
    );
    this.bucketsSql = this.sql.statement(`SELECT period, used FROM ${table} WHERE period >= ? AND period < ? ORDER BY period`);
    this.addSql = this.sql.statement(`INSERT INTO ${table} AS q (period, used) VALUES (?, ?) ON CONFLICT (period) DO UPDATE SET used = q.used + excluded.used`);
    // This relay's buckets out of both windows (the other relay's are its own RelayQuota's).
    this.pruneSql = this.sql.statement(
      `DELETE FROM ${table} WHERE ((period >= '${relay}w:' AND period < ${w}) OR (period >= '${relay}r:' AND period < ${r}))
          AND NOT ((period >= ? AND period < ${w}) OR (period >= ? AND period < ${r}))`,
    );
  }

  /** How long the minute's window is counted (the relay's minute and a margin). */
  get minuteWindow(): number {
    return this.minute * (1 + MINUTE_MARGIN);
  }

  /**
   * Takes one message to `recipients` people from the quota, or says until when to
   * wait. A process's grants go in the order they were asked — the order its workers
   * took their mails from the queue, failures first — not in whichever order the
   * database's lock happens to let concurrent transactions through.
   */
  reserve(limits: QuotaLimits, now: number | (() => number), recipients = 1): Promise<QuotaAnswer> {
    if (!limits.messagesPerMinute && !limits.recipientsPerDay) return Promise.resolve({ granted: true });
    // The time is read when its turn comes (a clock), so that no grant is dated before one already made.
    const answer = this.turn.then(() => this.grant(limits, typeof now === 'number' ? now : now(), recipients));
    this.turn = answer.catch(() => undefined);
    return answer;
  }

  private grant(limits: QuotaLimits, now: number, recipients: number): Promise<QuotaAnswer> {
    const perMinute = limits.messagesPerMinute;
    const perDay = limits.recipientsPerDay;
    return this.transactions.run(async (manager) => {
      if (this.sql.postgres) await manager.query(this.lockSql);
      const [m0, , d0] = this.windows(now);
      const [sums] = (await manager.query(this.sumSql, [m0, d0, m0, d0])) as Array<{ messages: number | string; recipients: number | string }>;
      const messages = Number(sums.messages);
      const people = Number(sums.recipients);
      if (perMinute && messages + 1 > perMinute) {
        const until = await this.freed(manager, m0, `${this.relay}w;`, messages + 1 - perMinute, this.minuteBucket, this.minuteWindow, now);
        return { granted: false, window: 'minute', until, reason: `relay quota: ${perMinute} messages a minute` };
      }
      if (perDay && people + recipients > perDay) {
        const until = recipients > perDay ? new Date(now + DAY) : await this.freed(manager, d0, `${this.relay}r;`, people + recipients - perDay, DAY_BUCKET_MS, DAY, now);
        return { granted: false, window: 'day', until, reason: `relay quota: ${perDay} recipients a day` };
      }
      await this.add(manager, now, 1, recipients);
      if (now - this.lastPrune > this.minute) {
        this.lastPrune = now;
        await manager.query(this.pruneSql, [m0, d0]); // buckets out of both windows
      }
      return { granted: true };
    });
  }

  /** Messages granted in the minute's window now (whoever granted them). */
  async messagesInWindow(now: number): Promise<number> {
    const [m0, , d0] = this.windows(now);
    const [sums] = (await this.transactions.run((manager) => manager.query(this.sumSql, [m0, d0, m0, d0]))) as Array<{ messages: number | string }>;
    return Number(sums.messages);
  }

  /**
   * Counts messages sent at `times` that were not taken from the quota (no limit was
   * set then), so that a limit set now (the relay asked to slow down) sees what the
   * relay has seen.
   */
  async record(times: readonly number[]): Promise<void> {
    if (!times.length) return;
    const buckets = new Map<number, number>();
    for (const t of times) buckets.set(Math.floor(t / this.minuteBucket), (buckets.get(Math.floor(t / this.minuteBucket)) ?? 0) + 1);
    await this.transactions.run(async (manager) => {
      for (const [bucket, count] of buckets) await manager.query(this.addSql, [this.key('w', bucket), count]);
    });
  }

  /** The keys bounding the minute's and the day's windows at `now`. */
  private windows(now: number): [string, string, string, string] {
    const m = this.minuteBucket;
    return [
      this.key('w', Math.floor((now - this.minuteWindow) / m)),
      this.key('w', Math.floor(now / m)),
      this.key('r', Math.floor((now - DAY) / DAY_BUCKET_MS)),
      this.key('r', Math.floor(now / DAY_BUCKET_MS)),
    ];
  }

  private async add(manager: EntityManager, now: number, messages: number, recipients: number): Promise<void> {
    await manager.query(this.addSql, [this.key('w', Math.floor(now / this.minuteBucket)), messages]);
    await manager.query(this.addSql, [this.key('r', Math.floor(now / DAY_BUCKET_MS)), recipients]);
  }

  private key(window: 'w' | 'r', bucket: number): string {
    return `${this.relay}${window}:${String(bucket).padStart(14, '0')}`;
  }

  /**
   * When `excess` of what the window holds will have left it: the oldest buckets
   * leave first, each once the whole of it is out of the window.
   */
  private async freed(manager: EntityManager, from: string, to: string, excess: number, bucketMs: number, windowMs: number, now: number): Promise<Date> {
    const rows = (await manager.query(this.bucketsSql, [from, to])) as Array<{ period: string; used: number | string }>;
    let left = excess;
    for (const row of rows) {
      left -= Number(row.used);
      if (left <= 0) return new Date((Number(row.period.slice(this.relay.length + 2)) + 1) * bucketMs + windowMs);
    }
    return new Date(now + windowMs); // not reached: the excess is within what the window holds
  }
}
