import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { DateUtils } from 'typeorm/util/DateUtils';
import { Sql } from '../../database/sql';
import { Transactions } from '../../database/transactions';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';

/** A delivery claimed for sending: what the dispatcher needs, nothing more. */
export interface ClaimedDelivery {
  id: number;
  eventId: string;
  recipientEmail: string;
  recipientName: string | null;
  attempts: number;
  /** When this process's claim runs out (epoch ms): past it, another process may send it. */
  leaseExpiresAt: number;
}

/** How one attempt ended. */
export type Outcome =
  | { delivery: ClaimedDelivery; status: DeliveryStatus.SENT; messageId: string; reply: string | null }
  | { delivery: ClaimedDelivery; status: DeliveryStatus.RETRY; nextAttemptAt: Date; reply: string | null; error: string }
  | { delivery: ClaimedDelivery; status: DeliveryStatus.FAILED; reply: string | null; error: string };

const DUE = [DeliveryStatus.PENDING, DeliveryStatus.RETRY].map((s) => `'${s}'`).join(', ');

/** The columns an outcome sets, as one JSON object per delivery. */
const OUTCOME_COLUMNS = {
  id: 'integer',
  status: 'varchar',
  attempts: 'integer',
  message_id: 'varchar',
  last_reply: 'text',
  last_error: 'text',
  next_attempt_at: 'timestamp',
  sent_at: 'timestamp',
};

/** A time as stored: UTC, 'YYYY-MM-DD HH:MM:SS.SSS' (TypeORM's form on SQLite; a timestamp literal on PostgreSQL). */
const stored = (date: Date) => DateUtils.mixedDateToUtcDatetimeString(date) as string;

/**
 * The outbox's state changes. Claims are safe for several processes on
 * PostgreSQL (FOR UPDATE SKIP LOCKED, with a lease another process takes over
 * once it expires) and atomic in one process on SQLite (one writer). Outcomes
 * are written only by the claim's owner, many in one statement. Every statement
 * has a fixed text, so the driver prepares it once.
 */
@Injectable()
export class DeliveryOutbox {
  private readonly postgres: boolean;
  private readonly claimSql: string;
  private readonly recordSql: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
  ) {
    const sql = new Sql(dataSource);
    this.postgres = sql.postgres;
    const table = sql.table(DeliveryEntity);
    this.claimSql = sql.statement(
      `UPDATE ${table}
          SET status = '${DeliveryStatus.SENDING}', lease_owner = ?, lease_expires_at = ?, updated_at = ?
        WHERE id IN (
          SELECT id FROM ${table}
           WHERE (status IN (${DUE}) AND next_attempt_at <= ?)
              OR (status = '${DeliveryStatus.SENDING}' AND lease_expires_at < ?)
           ORDER BY next_attempt_at, id
           LIMIT ?
           ${this.postgres ? 'FOR UPDATE SKIP LOCKED' : ''})
        RETURNING id, event_id, recipient_email, recipient_name, attempts`,
    );
    // The outcomes arrive as one JSON array; each database turns it into rows its own way.
    const outcomes = this.postgres
      ? `json_to_recordset(?::json) AS v(${Object.entries(OUTCOME_COLUMNS).map(([c, t]) => `${c} ${t}`).join(', ')})`
      : `(SELECT ${Object.keys(OUTCOME_COLUMNS).map((c) => `json_extract(value, '$.${c}') AS ${c}`).join(', ')} FROM json_each(?)) AS v`;
    this.recordSql = sql.statement(
      `UPDATE ${table} AS d
          SET status = v.status, attempts = v.attempts, message_id = COALESCE(v.message_id, d.message_id),
              last_reply = v.last_reply, last_error = v.last_error,
              next_attempt_at = COALESCE(v.next_attempt_at, d.next_attempt_at), sent_at = COALESCE(v.sent_at, d.sent_at),
              updated_at = ?, lease_owner = NULL, lease_expires_at = NULL
         FROM ${outcomes}
        WHERE d.id = v.id AND d.lease_owner = ?`,
    );
  }

  /** Claims up to `limit` due deliveries (and abandoned claims) for `owner` until now + leaseMs. */
  async claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const now = new Date();
    const leaseExpiresAt = now.getTime() + leaseMs;
    const at = stored(now);
    const result = await this.transactions.exclusive(() =>
      this.dataSource.query(this.claimSql, [owner, stored(new Date(leaseExpiresAt)), at, at, at, limit]),
    );
    // PostgreSQL answers [rows, count] for an UPDATE; SQLite the rows.
    const rows = (this.postgres ? result[0] : result) as Array<Record<string, unknown>>;
    return rows
      .map((r) => ({
        id: Number(r.id),
        eventId: r.event_id as string,
        recipientEmail: r.recipient_email as string,
        recipientName: (r.recipient_name as string | null) ?? null,
        attempts: Number(r.attempts),
        leaseExpiresAt,
      }))
      .sort((a, b) => a.id - b.id);
  }

  /**
   * Records how attempts ended, all in one statement: each delivery only if
   * `owner` still holds its claim (another process may have taken an expired one over).
   */
  async record(outcomes: Outcome[], owner: string): Promise<void> {
    if (!outcomes.length) return;
    const now = new Date();
    const rows = outcomes.map((o) => ({
      id: o.delivery.id,
      status: o.status,
      attempts: o.delivery.attempts + 1,
      message_id: o.status === DeliveryStatus.SENT ? o.messageId : null,
      last_reply: o.reply,
      last_error: o.status === DeliveryStatus.SENT ? null : o.error,
      next_attempt_at: o.status === DeliveryStatus.RETRY ? stored(o.nextAttemptAt) : null,
      sent_at: o.status === DeliveryStatus.SENT ? stored(now) : null,
    }));
    await this.transactions.exclusive(() => this.dataSource.query(this.recordSql, [stored(now), JSON.stringify(rows), owner]));
  }

  /** Gives claimed deliveries back unsent (shutdown, or nothing to send through). */
  async release(ids: number[], owner: string, status = DeliveryStatus.PENDING, reason: string | null = null): Promise<void> {
    if (!ids.length) return;
    await this.transactions.exclusive(() =>
      this.dataSource
        .getRepository(DeliveryEntity)
        .update(
          { id: In(ids), leaseOwner: owner, status: DeliveryStatus.SENDING },
          { status, leaseOwner: null, leaseExpiresAt: null, ...(reason ? { lastError: reason } : {}) },
        ),
    );
  }

  /** SMTP is not configured: due deliveries wait, without spending attempts, and say why. */
  async holdDue(reason: string): Promise<number> {
    const result = await this.transactions.exclusive(() =>
      this.dataSource
        .getRepository(DeliveryEntity)
        .update({ status: In([DeliveryStatus.PENDING, DeliveryStatus.RETRY]) }, { status: DeliveryStatus.WAITING, lastError: reason }),
    );
    return result.affected ?? 0;
  }

  /** The settings changed: waiting deliveries are due again. */
  async requeueWaiting(): Promise<number> {
    const result = await this.transactions.exclusive(() =>
      this.dataSource.getRepository(DeliveryEntity).update({ status: DeliveryStatus.WAITING }, { status: DeliveryStatus.PENDING, nextAttemptAt: new Date() }),
    );
    return result.affected ?? 0;
  }
}
