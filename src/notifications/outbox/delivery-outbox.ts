import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import { DateUtils } from 'typeorm/util/DateUtils';
import type { ChannelDelivery, DeliveryKind } from '../../channels/delivery-channel.port';
import { Clock } from '../../clock/clock';
import { Sql, type SqlStatement } from '../../database/sql';
import { Transactions } from '../../database/transactions';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { FoldKind } from '../entities/digest-entry.entity';
import { DigestEntity } from '../entities/digest.entity';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';
import { deliveryPriority } from './delivery-priority';

/** A delivery claimed for sending: what the dispatcher and its channel need, nothing more. */
export type ClaimedDelivery = ChannelDelivery;

/** A claim written into deliveries as they are inserted: who holds them, and for how long. */
export interface Claim {
  owner: string;
  leaseMs: number;
}

/** A delivery to plan: one message to one recipient on one channel about one or more events. */
export interface NewDelivery {
  /** The events it is about, in order (at least one). */
  eventIds: string[];
  /** Of its first event. */
  eventType: string;
  applicationId: string;
  recipientId: string;
  /** The channel it goes through, and the recipient's address there. */
  channel: string;
  address: string;
  recipientName: string | null;
  recipientLocale: string | null;
  recipientTimeZone: string | null;
}

/** How one attempt ended. */
export type Outcome =
  | { delivery: ClaimedDelivery; status: DeliveryStatus.SENT; messageId: string | null; reply: string | null; note?: string; sentVia?: string }
  | { delivery: ClaimedDelivery; status: DeliveryStatus.RETRY; nextAttemptAt: Date; reply: string | null; error: string }
  | { delivery: ClaimedDelivery; status: DeliveryStatus.FAILED; reply: string | null; error: string }
  /** Not sent, and never will be: its person no longer receives it (`error` says why). No attempt spent. */
  | { delivery: ClaimedDelivery; status: DeliveryStatus.CANCELLED; reply: null; error: string };

const DUE_STATUSES = [DeliveryStatus.PENDING, DeliveryStatus.RETRY];

/** The columns an outcome sets, as one JSON object per delivery. */
const OUTCOME_COLUMNS = {
  id: 'integer',
  status: 'varchar',
  address: 'varchar',
  attempts: 'integer',
  message_id: 'varchar',
  sent_via: 'varchar',
  last_reply: 'text',
  last_error: 'text',
  next_attempt_at: 'timestamp',
  sent_at: 'timestamp',
};

/** The columns a new delivery brings, as one JSON object per delivery (with `event_ids`, its events). */
const NEW_COLUMNS = {
  event_type: 'varchar',
  application_id: 'varchar',
  recipient_id: 'varchar',
  channel: 'varchar',
  address: 'varchar',
  recipient_name: 'varchar',
  recipient_locale: 'varchar',
  recipient_time_zone: 'varchar',
  priority: 'integer',
};

/** What a delivery that closed a window is (its `digests` row's kind). */
const KIND_OF_FOLD: Record<string, DeliveryKind> = { [FoldKind.DIGEST]: 'DIGEST', [FoldKind.SUMMARY]: 'SUMMARY', [FoldKind.QUIET]: 'DIGEST' };

/** Rows per INSERT: bounds the JSON text of a large fan-out. */
const INSERT_CHUNK = 5000;

/** A time as stored: UTC, 'YYYY-MM-DD HH:MM:SS.SSS' (TypeORM's form on SQLite; a timestamp literal on PostgreSQL). */
const stored = (date: Date) => DateUtils.mixedDateToUtcDatetimeString(date) as string;
/** A stored time as read back raw (a Date from PostgreSQL, that string from SQLite), in epoch ms. */
const storedTime = (value: unknown) => (value instanceof Date ? value.getTime() : Date.parse(`${String(value).replace(' ', 'T')}Z`));

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
  private readonly insertSql: SqlStatement;
  /** SQLite only: one event of a new delivery, once its id is known. */
  private readonly insertEventSql?: SqlStatement;
  private readonly claimSql: SqlStatement;
  /** PostgreSQL: every outcome in one statement (a statement is a round trip). */
  private readonly recordSql?: SqlStatement;
  /** SQLite: one outcome, run once per outcome in one transaction (SqlStatement.runEach). */
  private readonly recordOneSql?: SqlStatement;
  private readonly relayFailureSql: SqlStatement;
  private readonly cancelSql: SqlStatement;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {
    const sql = new Sql(dataSource);
    this.postgres = sql.postgres;
    const table = sql.table(DeliveryEntity);
    const events = sql.table(DeliveryEventEntity);
    const cast = (type: string) => (this.postgres ? `::${type}` : '');
    // Each delivery is written with its events. On PostgreSQL in one statement: the ids
    // are drawn first, so that the events' rows can name them, and are answered in the
    // order of the rows given. On SQLite a row at a time (SqlStatement.runEach: cheaper
    // there than a statement over JSON rows): each delivery, answering its id, then the events.
    const columns = Object.keys(NEW_COLUMNS).join(', ');
    const planned = `?${cast('varchar')}, 0, ?${cast('timestamp')}, ?${cast('varchar')}, ?${cast('timestamp')}`;
    const sequence = table.replace(/"$/, '_id_seq"'); // PostgreSQL's name for the sequence of a serial column
    this.insertSql = this.postgres
      ? sql.prepare(
          `WITH v AS (
             SELECT nextval('${sequence}') AS id, v.*
               FROM ${sql.jsonRows({ event_ids: 'json', ...NEW_COLUMNS }, { ordinal: 'n' })}
           ), d AS (
             INSERT INTO ${table} (id, ${columns}, status, attempts, next_attempt_at, lease_owner, lease_expires_at)
             SELECT id, ${columns}, ${planned} FROM v
           ), e AS (
             INSERT INTO ${events} (delivery_id, position, event_id)
             SELECT v.id, e.n - 1, e.event_id FROM v, json_array_elements_text(v.event_ids) WITH ORDINALITY AS e(event_id, n)
           )
           SELECT id FROM v ORDER BY n`,
        )
      : sql.prepare(
          `INSERT INTO ${table} (${columns}, status, attempts, next_attempt_at, lease_owner, lease_expires_at)
           VALUES (${Object.keys(NEW_COLUMNS).map(() => '?').join(', ')}, ${planned})`,
        );
    this.insertEventSql = this.postgres ? undefined : sql.prepare(`INSERT INTO ${events} (delivery_id, position, event_id) VALUES (?, ?, ?)`);
    // The claim's order, (priority, next_attempt_at, id), is IDX_deliveries_claim's under each status.
    // Each state is read in that order up to the limit and only those are sorted: as one condition
    // with OR, every due delivery (the whole backlog) was read and sorted for each claim. PostgreSQL
    // locks each state's rows as it reads them (FOR UPDATE SKIP LOCKED, which a compound query cannot
    // carry: one CTE per state), skipping other claims' rows until it has the limit or the state is done;
    // those of them not taken are free again when the statement ends (its own transaction).
    const claimOrder = 'ORDER BY priority, next_attempt_at, id LIMIT ?';
    const claimStates = [...DUE_STATUSES.map((s) => `status = '${s}' AND next_attempt_at <= ?`), `status = '${DeliveryStatus.SENDING}' AND lease_expires_at < ?`];
    const eachState = claimStates.map((state) => `SELECT id, priority, next_attempt_at FROM ${table} WHERE ${state} ${claimOrder}`);
    const locked = eachState.map((select, n) => `s${n} AS (${select} FOR UPDATE SKIP LOCKED)`);
    const claimable = this.postgres
      ? `SELECT id FROM (${eachState.map((_, n) => `SELECT * FROM s${n}`).join(' UNION ALL ')}) AS c ${claimOrder}`
      : `SELECT id FROM (${eachState.map((select) => `SELECT * FROM (${select})`).join(' UNION ALL ')}) ${claimOrder}`;
    // A row that changed after the statement's snapshot is locked at its latest version and its
    // state checked again there (READ COMMITTED's recheck, in each CTE); the UPDATE, which reads
    // the snapshot's version and then follows it to the one locked, checks the state once more.
    const stillClaimable = this.postgres ? `AND (${claimStates.map((state) => `(${state})`).join(' OR ')})` : '';
    this.claimSql = sql.prepare(
      `${this.postgres ? `WITH ${locked.join(', ')} ` : ''}UPDATE ${table}
          SET status = '${DeliveryStatus.SENDING}', lease_owner = ?, lease_expires_at = ?, updated_at = ?
        WHERE id IN (${claimable}) ${stillClaimable}
        RETURNING id, (SELECT e.event_id FROM ${events} AS e WHERE e.delivery_id = ${table}.id AND e.position = 0) AS event_id,
                  (SELECT g.kind FROM ${sql.table(DigestEntity)} AS g WHERE g.delivery_id = ${table}.id) AS fold_kind,
                  event_type, application_id, recipient_id,
                  channel, address, recipient_name, recipient_locale, recipient_time_zone, attempts, relay_failures, created_at, priority`,
    );
    if (this.postgres) {
      this.recordSql = sql.prepare(
        `UPDATE ${table} AS d
            SET status = v.status, attempts = v.attempts, address = COALESCE(v.address, d.address),
                message_id = COALESCE(v.message_id, d.message_id), sent_via = COALESCE(v.sent_via, d.sent_via),
                last_reply = v.last_reply, last_error = v.last_error,
                next_attempt_at = COALESCE(v.next_attempt_at, d.next_attempt_at), sent_at = COALESCE(v.sent_at, d.sent_at),
                updated_at = ?, lease_owner = NULL, lease_expires_at = NULL
           FROM ${sql.jsonRows(OUTCOME_COLUMNS)}
          WHERE d.id = v.id AND d.lease_owner = ?`,
      );
    } else {
      this.recordOneSql = sql.prepare(
        `UPDATE ${table}
            SET status = ?, attempts = ?, address = COALESCE(?, address),
                message_id = COALESCE(?, message_id), sent_via = COALESCE(?, sent_via),
                last_reply = ?, last_error = ?,
                next_attempt_at = COALESCE(?, next_attempt_at), sent_at = COALESCE(?, sent_at),
                updated_at = ?, lease_owner = NULL, lease_expires_at = NULL
          WHERE id = ? AND lease_owner = ?`,
      );
    }
    this.cancelSql = sql.prepare(
      `UPDATE ${table} AS d
          SET status = '${DeliveryStatus.CANCELLED}', last_error = v.last_error, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL
         FROM ${sql.jsonRows({ id: 'integer', last_error: 'text' })}
        WHERE d.id = v.id`,
    );
    this.relayFailureSql = sql.prepare(
      `UPDATE ${table}
          SET relay_failures = relay_failures + CASE WHEN relay_failed_at IS NULL OR relay_failed_at < ? THEN 1 ELSE 0 END,
              relay_failed_at = ?
        WHERE id = ? AND lease_owner = ?
        RETURNING relay_failures`,
    );
  }

  /**
   * Writes new deliveries in the caller's transaction: PENDING, or — when `claim`
   * is given — already claimed by that owner (its dispatcher takes them straight
   * away, as if it had claimed them). Returns them as claimed deliveries.
   */
  async insert(manager: EntityManager, deliveries: NewDelivery[], claim?: Claim): Promise<ClaimedDelivery[]> {
    const now = this.clock.date();
    const leaseExpiresAt = now.getTime() + (claim?.leaseMs ?? 0);
    const status = claim ? DeliveryStatus.SENDING : DeliveryStatus.PENDING;
    const lease = claim ? [claim.owner, stored(new Date(leaseExpiresAt))] : [null, null];
    const inserted: ClaimedDelivery[] = [];
    for (let i = 0; i < deliveries.length; i += INSERT_CHUNK) {
      const chunk = deliveries.slice(i, i + INSERT_CHUNK);
      let ids: number[];
      if (this.postgres) {
        const json = JSON.stringify(
          chunk.map((d) => ({
            event_ids: d.eventIds,
            event_type: d.eventType,
            application_id: d.applicationId,
            recipient_id: d.recipientId,
            channel: d.channel,
            address: d.address,
            recipient_name: d.recipientName,
            recipient_locale: d.recipientLocale,
            recipient_time_zone: d.recipientTimeZone,
            priority: deliveryPriority(d.eventType),
          })),
        );
        ids = (await this.insertSql.query<{ id: string }>(manager, [json, status, stored(now), ...lease])).map((r) => Number(r.id));
      } else {
        // In the caller's transaction (the connection's open one).
        const state = [status, stored(now), ...lease];
        ids = this.insertSql.runEach(
          chunk.map((d) => [
            d.eventType,
            d.applicationId,
            d.recipientId,
            d.channel,
            d.address,
            d.recipientName,
            d.recipientLocale,
            d.recipientTimeZone,
            deliveryPriority(d.eventType),
            ...state,
          ]),
        );
        this.insertEventSql!.runEach(chunk.flatMap((d, n) => d.eventIds.map((eventId, position) => [ids[n], position, eventId])));
      }
      chunk.forEach((d, n) =>
        inserted.push({
          id: ids[n],
          eventType: d.eventType,
          applicationId: d.applicationId,
          recipientId: d.recipientId,
          channel: d.channel,
          address: d.address,
          recipientName: d.recipientName,
          recipientLocale: d.recipientLocale,
          recipientTimeZone: d.recipientTimeZone,
          eventId: d.eventIds[0],
          kind: 'EVENT', // a digest's row (digests) is written after its delivery, and digests are never handed off
          attempts: 0,
          channelFailures: 0,
          leaseExpiresAt,
          createdAt: now.getTime(),
        }),
      );
    }
    return inserted.sort((a, b) => a.id - b.id);
  }

  /** Claims up to `limit` due deliveries (and abandoned claims) for `owner` until now + leaseMs. */
  async claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const now = this.clock.date();
    const leaseExpiresAt = now.getTime() + leaseMs;
    const at = stored(now);
    const lease = [owner, stored(new Date(leaseExpiresAt)), at];
    const states = [at, limit, at, limit, at, limit]; // each state's time and limit
    // PostgreSQL: the states (CTEs), the lease, the claim's limit, the states' times again; SQLite: the lease, the states, the claim's limit.
    const parameters = this.postgres ? [...states, ...lease, limit, at, at, at] : [...lease, ...states, limit];
    const rows = await this.transactions.exclusive(() => this.claimSql.query(this.dataSource.manager, parameters));
    // Sent in the claim's order: failed and stopped jobs first, then as planned.
    rows.sort((a, b) => Number(a.priority) - Number(b.priority) || Number(a.id) - Number(b.id));
    return rows.map((r) => this.claimed(r, leaseExpiresAt));
  }

  private claimed(row: Record<string, unknown>, leaseExpiresAt: number): ClaimedDelivery {
    return {
      id: Number(row.id),
      eventType: row.event_type as string,
      applicationId: row.application_id as string,
      recipientId: row.recipient_id as string,
      channel: row.channel as string,
      address: row.address as string,
      recipientName: (row.recipient_name as string | null) ?? null,
      recipientLocale: (row.recipient_locale as string | null) ?? null,
      recipientTimeZone: (row.recipient_time_zone as string | null) ?? null,
      eventId: row.event_id as string,
      kind: KIND_OF_FOLD[row.fold_kind as string] ?? 'EVENT',
      attempts: Number(row.attempts),
      channelFailures: Number(row.relay_failures ?? 0),
      leaseExpiresAt,
      createdAt: storedTime(row.created_at),
    };
  }

  /**
   * Records how attempts ended, all at once (one statement on PostgreSQL, one
   * transaction on SQLite): each delivery only if `owner` still holds its claim
   * (another process may have taken an expired one over).
   */
  async record(outcomes: Outcome[], owner: string): Promise<void> {
    if (!outcomes.length) return;
    const at = stored(this.clock.date());
    if (this.recordOneSql) {
      // SQLite: an UPDATE by id per outcome, in one transaction, costs less than one UPDATE … FROM the JSON rows.
      const each = outcomes.map((o) => {
        const r = outcomeRow(o, at);
        return [r.status, r.attempts, r.address, r.message_id, r.sent_via, r.last_reply, r.last_error, r.next_attempt_at, r.sent_at, at, r.id, owner];
      });
      await this.transactions.exclusive(async () => this.recordOneSql!.runEach(each));
      return;
    }
    const rows = JSON.stringify(outcomes.map((o) => outcomeRow(o, at)));
    await this.transactions.exclusive(() => this.recordSql!.query(this.dataSource.manager, [at, rows, owner]));
  }

  /**
   * Cancels deliveries just written in the caller's transaction (a digest or cap
   * summary closing for someone who no longer reads some of it): final, never sent,
   * `reason` in last_error. One statement.
   */
  async cancelWritten(manager: EntityManager, cancelled: Array<{ id: number; reason: string }>): Promise<void> {
    if (!cancelled.length) return;
    const rows = JSON.stringify(cancelled.map((c) => ({ id: c.id, last_error: c.reason })));
    await this.cancelSql.query(manager, [stored(this.clock.date()), rows]);
  }

  /**
   * Writes mails that will not be sent, in the caller's transaction: events left
   * out of a digest or summary because their person no longer reads them, each a
   * CANCELLED delivery saying why (what the delivery log and event(id) show).
   */
  async writeCancelled(manager: EntityManager, cancelled: Array<{ delivery: NewDelivery; reason: string }>): Promise<void> {
    if (!cancelled.length) return;
    const written = await this.insert(manager, cancelled.map((c) => c.delivery));
    // Each is about one event, a different one: the event tells which reason is whose.
    const reasons = new Map(cancelled.map((c) => [c.delivery.eventIds[0], c.reason]));
    await this.cancelWritten(manager, written.map((d) => ({ id: d.id, reason: reasons.get(d.eventId)! })));
  }

  /**
   * Narrows a claimed mail about several events (a digest, a summary) to `eventIds`,
   * in that order, in the caller's transaction: the others were left out of it (their
   * person no longer reads them). Its type and application become its new first event's.
   */
  async narrow(manager: EntityManager, delivery: ClaimedDelivery, eventIds: string[], first: { eventType: string; applicationId: string }): Promise<void> {
    await manager.getRepository(DeliveryEventEntity).delete({ deliveryId: delivery.id });
    await manager.getRepository(DeliveryEventEntity).insert(eventIds.map((eventId, position) => ({ deliveryId: delivery.id, position, eventId })));
    await manager.getRepository(DeliveryEntity).update({ id: delivery.id }, { eventType: first.eventType, applicationId: first.applicationId });
  }

  /**
   * A channel-wide failure while sending this delivery, which `owner` holds,
   * counted against it when it is the first, or when the channel has worked since
   * its last one (`workedAt`), so that a channel down for everyone does not add up
   * against each message. Answers the count (its previous count if the claim was lost meanwhile).
   */
  async countFailure(delivery: ClaimedDelivery, owner: string, workedAt: Date | null): Promise<number> {
    const now = stored(this.clock.date());
    const worked = workedAt ? stored(workedAt) : null;
    const rows = await this.transactions.exclusive(() =>
      this.relayFailureSql.query<{ relay_failures: number | string }>(this.dataSource.manager, [worked, now, delivery.id, owner]),
    );
    return rows.length ? Number(rows[0].relay_failures) : delivery.channelFailures;
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

  /** The channel sends nothing now: its due deliveries wait, without spending attempts, and say why. */
  async holdDue(channel: string, reason: string): Promise<number> {
    const result = await this.transactions.exclusive(() =>
      this.dataSource
        .getRepository(DeliveryEntity)
        .update({ channel, status: In([DeliveryStatus.PENDING, DeliveryStatus.RETRY]) }, { status: DeliveryStatus.WAITING, lastError: reason }),
    );
    return result.affected ?? 0;
  }

  /**
   * Rewrites the reason of every WAITING delivery of a channel whose reason begins
   * with `prefix` (the channel's pacing, with how many wait now).
   */
  async describeWaiting(channel: string, prefix: string, reason: string): Promise<void> {
    await this.transactions.exclusive(() =>
      this.dataSource
        .getRepository(DeliveryEntity)
        .createQueryBuilder()
        .update()
        .set({ lastError: reason })
        .where('channel = :channel AND status = :status AND last_error LIKE :prefix', { channel, status: DeliveryStatus.WAITING, prefix: `${prefix}%` })
        .execute(),
    );
  }

  /** The channel sends again: its waiting deliveries are due from now. */
  async requeueWaiting(channel: string): Promise<number> {
    const result = await this.transactions.exclusive(() =>
      this.dataSource.getRepository(DeliveryEntity).update({ channel, status: DeliveryStatus.WAITING }, { status: DeliveryStatus.PENDING, nextAttemptAt: this.clock.date() }),
    );
    return result.affected ?? 0;
  }
}

/** An outcome's columns (OUTCOME_COLUMNS); `at`: the time it is recorded, as stored. */
function outcomeRow(o: Outcome, at: string) {
  const sent = o.status === DeliveryStatus.SENT;
  return {
    id: o.delivery.id,
    status: o.status,
    address: o.delivery.address,
    attempts: o.delivery.attempts + (o.status === DeliveryStatus.CANCELLED ? 0 : 1),
    message_id: sent ? o.messageId : null,
    sent_via: sent ? (o.sentVia ?? null) : null,
    last_reply: o.reply,
    last_error: sent ? (o.note ?? null) : o.error,
    next_attempt_at: o.status === DeliveryStatus.RETRY ? stored(o.nextAttemptAt) : null,
    sent_at: sent ? at : null,
  };
}
