import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
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
  /** What the mail is written for: the recipient's language and time zone when planned (null: the admin's defaults). */
  recipientLocale: string | null;
  recipientTimeZone: string | null;
  attempts: number;
  /** When this process's claim runs out (epoch ms): past it, another process may send it. */
  leaseExpiresAt: number;
}

/** A delivery to plan: one recipient of one event. */
export interface NewDelivery {
  eventId: string;
  eventType: string;
  applicationId: string;
  recipientId: string;
  recipientEmail: string;
  recipientName: string | null;
  recipientLocale: string | null;
  recipientTimeZone: string | null;
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

/** The columns a new delivery brings, as one JSON object per delivery. */
const NEW_COLUMNS = {
  event_id: 'varchar',
  event_type: 'varchar',
  application_id: 'varchar',
  recipient_id: 'varchar',
  recipient_email: 'varchar',
  recipient_name: 'varchar',
  recipient_locale: 'varchar',
  recipient_time_zone: 'varchar',
};

/** Rows per INSERT: bounds the JSON text of a large fan-out. */
const INSERT_CHUNK = 5000;

/** A time as stored: UTC, 'YYYY-MM-DD HH:MM:SS.SSS' (TypeORM's form on SQLite; a timestamp literal on PostgreSQL). */
const stored = (date: Date) => DateUtils.mixedDateToUtcDatetimeString(date) as string;

/**
 * The outbox's state changes: new deliveries, claims, outcomes. Claims are safe
 * for several processes on PostgreSQL (FOR UPDATE SKIP LOCKED, with a lease
 * another process takes over once it expires) and atomic in one process on
 * SQLite (one writer). Outcomes are written only by the claim's owner, many in
 * one statement. Every statement has a fixed text, so the driver prepares it once.
 */
@Injectable()
export class DeliveryOutbox {
  private readonly postgres: boolean;
  private readonly insertSql: string;
  private readonly claimSql: string;
  private readonly recordSql: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
  ) {
    const sql = new Sql(dataSource);
    this.postgres = sql.postgres;
    const table = sql.table(DeliveryEntity);
    // Rows arrive as one JSON array; each database turns it into rows its own way.
    const rows = (columns: Record<string, string>) =>
      this.postgres
        ? `json_to_recordset(?::json) AS v(${Object.entries(columns).map(([c, t]) => `${c} ${t}`).join(', ')})`
        : `(SELECT ${Object.keys(columns).map((c) => `json_extract(value, '$.${c}') AS ${c}`).join(', ')} FROM json_each(?)) AS v`;
    const cast = (type: string) => (this.postgres ? `::${type}` : '');
    this.insertSql = sql.statement(
      `INSERT INTO ${table} (${Object.keys(NEW_COLUMNS).join(', ')}, status, attempts, next_attempt_at, lease_owner, lease_expires_at)
       SELECT ${Object.keys(NEW_COLUMNS).map((c) => `v.${c}`).join(', ')}, ?${cast('varchar')}, 0, ?${cast('timestamp')}, ?${cast('varchar')}, ?${cast('timestamp')}
         FROM ${rows(NEW_COLUMNS)}
       RETURNING id, event_id, recipient_email, recipient_name, recipient_locale, recipient_time_zone, attempts`,
    );
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
        RETURNING id, event_id, recipient_email, recipient_name, recipient_locale, recipient_time_zone, attempts`,
    );
    this.recordSql = sql.statement(
      `UPDATE ${table} AS d
          SET status = v.status, attempts = v.attempts, message_id = COALESCE(v.message_id, d.message_id),
              last_reply = v.last_reply, last_error = v.last_error,
              next_attempt_at = COALESCE(v.next_attempt_at, d.next_attempt_at), sent_at = COALESCE(v.sent_at, d.sent_at),
              updated_at = ?, lease_owner = NULL, lease_expires_at = NULL
         FROM ${rows(OUTCOME_COLUMNS)}
        WHERE d.id = v.id AND d.lease_owner = ?`,
    );
  }

  /**
   * Writes new deliveries in the caller's transaction: PENDING, or — when `claim`
   * is given — already claimed by that owner (its dispatcher takes them straight
   * away, as if it had claimed them). Returns them as claimed deliveries.
   */
  async insert(manager: EntityManager, deliveries: NewDelivery[], claim?: { owner: string; leaseMs: number }): Promise<ClaimedDelivery[]> {
    const now = new Date();
    const leaseExpiresAt = now.getTime() + (claim?.leaseMs ?? 0);
    const status = claim ? DeliveryStatus.SENDING : DeliveryStatus.PENDING;
    const lease = claim ? [claim.owner, stored(new Date(leaseExpiresAt))] : [null, null];
    const inserted: ClaimedDelivery[] = [];
    for (let i = 0; i < deliveries.length; i += INSERT_CHUNK) {
      const json = JSON.stringify(
        deliveries.slice(i, i + INSERT_CHUNK).map((d) => ({
          event_id: d.eventId,
          event_type: d.eventType,
          application_id: d.applicationId,
          recipient_id: d.recipientId,
          recipient_email: d.recipientEmail,
          recipient_name: d.recipientName,
          recipient_locale: d.recipientLocale,
          recipient_time_zone: d.recipientTimeZone,
        })),
      );
      const rows = (await manager.query(this.insertSql, [status, stored(now), ...lease, json])) as Array<Record<string, unknown>>;
      for (const r of rows) inserted.push(this.claimed(r, leaseExpiresAt));
    }
    return inserted.sort((a, b) => a.id - b.id);
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
    return rows.map((r) => this.claimed(r, leaseExpiresAt)).sort((a, b) => a.id - b.id);
  }

  private claimed(row: Record<string, unknown>, leaseExpiresAt: number): ClaimedDelivery {
    return {
      id: Number(row.id),
      eventId: row.event_id as string,
      recipientEmail: row.recipient_email as string,
      recipientName: (row.recipient_name as string | null) ?? null,
      recipientLocale: (row.recipient_locale as string | null) ?? null,
      recipientTimeZone: (row.recipient_time_zone as string | null) ?? null,
      attempts: Number(row.attempts),
      leaseExpiresAt,
    };
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
