import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { DateUtils } from 'typeorm/util/DateUtils';
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

const DUE = [DeliveryStatus.PENDING, DeliveryStatus.RETRY].map((s) => `'${s}'`).join(', ');

/**
 * The outbox's state changes, each one statement. Claims are safe for several
 * processes on PostgreSQL (FOR UPDATE SKIP LOCKED, with a lease another process
 * takes over once it expires) and atomic in one process on SQLite (one writer).
 * Outcomes are written only by the claim's owner.
 */
@Injectable()
export class DeliveryOutbox {
  private readonly postgres: boolean;
  private readonly table: string;
  private readonly markSentSql: string;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.postgres = dataSource.options.type === 'postgres';
    this.table = dataSource
      .getMetadata(DeliveryEntity)
      .tablePath.split('.')
      .map((part) => `"${part}"`)
      .join('.');
    this.markSentSql = this.numbered(
      `UPDATE ${this.table} SET status = '${DeliveryStatus.SENT}', attempts = ?, message_id = ?, last_reply = ?, last_error = NULL,
         sent_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL
       WHERE id = ? AND lease_owner = ?`,
    );
  }

  /** A time as the driver binds it (better-sqlite3 binds no Date). */
  private time(date: Date): Date | string {
    return this.postgres ? date : DateUtils.mixedDateToUtcDatetimeString(date);
  }

  /** Claims up to `limit` due deliveries (and abandoned claims) for `owner` until now + leaseMs. */
  async claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const now = new Date();
    const leaseExpiresAt = now.getTime() + leaseMs;
    const [sql, params] = this.dataSource.driver.escapeQueryWithParameters(
      `UPDATE ${this.table}
          SET status = '${DeliveryStatus.SENDING}', lease_owner = :owner, lease_expires_at = :leaseUntil, updated_at = :now
        WHERE id IN (
          SELECT id FROM ${this.table}
           WHERE (status IN (${DUE}) AND next_attempt_at <= :now)
              OR (status = '${DeliveryStatus.SENDING}' AND lease_expires_at < :now)
           ORDER BY next_attempt_at, id
           LIMIT :limit
           ${this.postgres ? 'FOR UPDATE SKIP LOCKED' : ''})
        RETURNING id, event_id, recipient_email, recipient_name, attempts`,
      { owner, leaseUntil: this.time(new Date(leaseExpiresAt)), now: this.time(now), limit },
    );
    const result = await this.dataSource.query(sql, params);
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
   * The hot path: one statement of fixed text (prepared once by the driver's
   * statement cache), no query building per mail.
   */
  async markSent(d: ClaimedDelivery, owner: string, messageId: string, reply: string | null): Promise<void> {
    const now = this.time(new Date());
    await this.dataSource.query(this.markSentSql, [d.attempts + 1, messageId, reply, now, now, d.id, owner]);
  }

  /** `?` placeholders as the driver wants them ($1, $2, … on PostgreSQL). */
  private numbered(sql: string): string {
    let n = 0;
    return this.postgres ? sql.replace(/\?/g, () => `$${++n}`) : sql;
  }

  async markRetry(d: ClaimedDelivery, owner: string, nextAttemptAt: Date, reply: string | null, error: string): Promise<void> {
    await this.finish(d, owner, { status: DeliveryStatus.RETRY, attempts: d.attempts + 1, nextAttemptAt, lastReply: reply, lastError: error });
  }

  async markFailed(d: ClaimedDelivery, owner: string, reply: string | null, error: string): Promise<void> {
    await this.finish(d, owner, { status: DeliveryStatus.FAILED, attempts: d.attempts + 1, lastReply: reply, lastError: error });
  }

  /** Gives claimed deliveries back unsent (shutdown, or nothing to send through). */
  async release(ids: number[], owner: string, status = DeliveryStatus.PENDING, reason: string | null = null): Promise<void> {
    if (!ids.length) return;
    await this.dataSource
      .getRepository(DeliveryEntity)
      .update({ id: In(ids), leaseOwner: owner, status: DeliveryStatus.SENDING }, { status, leaseOwner: null, leaseExpiresAt: null, ...(reason ? { lastError: reason } : {}) });
  }

  /** SMTP is not configured: due deliveries wait, without spending attempts, and say why. */
  async holdDue(reason: string): Promise<number> {
    const result = await this.dataSource
      .getRepository(DeliveryEntity)
      .update({ status: In([DeliveryStatus.PENDING, DeliveryStatus.RETRY]) }, { status: DeliveryStatus.WAITING, lastError: reason });
    return result.affected ?? 0;
  }

  /** The settings changed: waiting deliveries are due again. */
  async requeueWaiting(): Promise<number> {
    const result = await this.dataSource
      .getRepository(DeliveryEntity)
      .update({ status: DeliveryStatus.WAITING }, { status: DeliveryStatus.PENDING, nextAttemptAt: new Date() });
    return result.affected ?? 0;
  }

  private async finish(d: ClaimedDelivery, owner: string, values: Partial<DeliveryEntity>): Promise<void> {
    await this.dataSource
      .getRepository(DeliveryEntity)
      .update({ id: d.id, leaseOwner: owner }, { ...values, leaseOwner: null, leaseExpiresAt: null });
  }
}
