import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../../clock/clock';
import { Sql, type SqlStatement } from '../../database/sql';
import type { NotificationType } from '../../event-types/notification-type';
import { ApplicationEntity } from '../../users/entities/application.entity';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';
import { AddressSuspensionEntity } from '../../users/suspensions/address-suspension.entity';
import {
  type AudienceMember,
  type AudienceSource,
  AudienceSourceProvider,
  type AudienceView,
  localIdOf,
  type ReaderAnswer,
  type ReaderQuestion,
  recipientIdOf,
  type SubscriptionView,
} from '../audience-source.port';
import { SubscribedAddressEntity, SubscribedAddressTypeEntity, SubscriptionStatus } from './subscribed-address.entity';

/** The recipient ids of subscribed addresses: `subscriber <id>`. */
export const SUBSCRIBER = 'subscriber';

interface ReaderRow {
  n: number | string;
  id: number | string | null;
  address: string | null;
  locale: string | null;
  timeZone: string | null;
  status: string | null;
  application: string | null;
  wanted: string | null;
  suspended: string | null;
  suspensionReason: string | null;
  retryAt: Date | string | null;
  retryDeliveryId: number | string | null;
}

/**
 * Addresses subscribed to an application's events (a team list): an audience
 * source whose members are reached by email at their address, once the address
 * has confirmed (ACTIVE), for the types the subscription names. Each question is
 * one statement of fixed text (prepared once), as the people's are.
 */
@AudienceSourceProvider()
@Injectable()
export class SubscribedAddressesSource implements AudienceSource {
  readonly name = SUBSCRIBER;
  private readonly membersQuery: SqlStatement;
  private readonly readersQuery: SqlStatement;
  private readonly audienceQuery: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {
    const sql = new Sql(dataSource);
    const [apps, subs, types] = [sql.table(ApplicationEntity), sql.table(SubscribedAddressEntity), sql.table(SubscribedAddressTypeEntity)];
    this.membersQuery = sql.prepare(
      `SELECT s.id AS "id", s.address AS "address", s.frequency AS "frequency", s.digest_hour AS "digestHour", s.locale AS "locale", s.time_zone AS "timeZone"
         FROM ${apps} a
         JOIN ${subs} s ON s.application_id = a.id AND s.status = '${SubscriptionStatus.ACTIVE}'
         JOIN ${types} t ON t.subscription_id = s.id AND t.event_type = ?
        WHERE a.external_id = ?
        ORDER BY s.id`,
    );
    const questions = sql.postgres
      ? 'json_to_recordset(?::json) AS v(n integer, s integer, t varchar)'
      : "(SELECT json_extract(value, '$.n') AS n, json_extract(value, '$.s') AS s, json_extract(value, '$.t') AS t FROM json_each(?)) AS v";
    this.readersQuery = sql.prepare(
      `SELECT v.n AS "n", s.id AS "id", s.address AS "address", s.locale AS "locale", s.time_zone AS "timeZone", s.status AS "status",
              a.external_id AS "application", t.event_type AS "wanted",
              x.address AS "suspended", x.reason AS "suspensionReason", x.retry_at AS "retryAt", x.retry_delivery_id AS "retryDeliveryId"
         FROM ${questions}
         LEFT JOIN ${subs} s ON s.id = v.s
         LEFT JOIN ${apps} a ON a.id = s.application_id
         LEFT JOIN ${types} t ON t.subscription_id = s.id AND t.event_type = v.t
         LEFT JOIN ${sql.table(AddressSuspensionEntity)} x ON x.address = s.address_key AND x.suspended_at IS NOT NULL`,
    );
    this.audienceQuery = sql.statement(
      `SELECT s.id AS "id", s.address AS "address", s.status AS "status", s.frequency AS "frequency", t.event_type AS "wanted"
         FROM ${apps} a
         JOIN ${subs} s ON s.application_id = a.id
         LEFT JOIN ${types} t ON t.subscription_id = s.id AND t.event_type = ?
        WHERE a.external_id = ?
        ORDER BY s.id`,
    );
  }

  owns(recipientId: string): boolean {
    return localIdOf(SUBSCRIBER, recipientId) !== null;
  }

  async membersFor(applicationId: string, type: NotificationType, manager: EntityManager): Promise<AudienceMember[]> {
    const rows = (await this.membersQuery.query(manager, [type, applicationId])) as Array<{ id: number; address: string; frequency: string; digestHour: number | null; locale: string | null; timeZone: string | null }>;
    return rows.map((r) => ({
      recipientId: recipientIdOf(SUBSCRIBER, r.id),
      displayName: null,
      locale: r.locale,
      timeZone: r.timeZone,
      frequency: r.frequency as NotificationFrequency,
      digestHour: r.digestHour,
      reach: { channel: 'email', address: r.address },
    }));
  }

  async readersOf(questions: readonly ReaderQuestion[], manager: EntityManager = this.dataSource.manager): Promise<ReaderAnswer[]> {
    if (!questions.length) return [];
    const asked = questions.map((q, n) => ({ n, s: Number(localIdOf(SUBSCRIBER, q.recipientId)) || 0, t: q.eventType }));
    const rows = (await this.readersQuery.query(manager, [JSON.stringify(asked)])) as ReaderRow[];
    const answers: ReaderAnswer[] = [];
    for (const row of rows) answers[Number(row.n)] = answerOf(row, questions[Number(row.n)]);
    return answers;
  }

  async audienceOf(applicationId: string, type: NotificationType): Promise<AudienceView[]> {
    const rows = (await this.dataSource.query(this.audienceQuery, [type, applicationId])) as Array<{ id: number; address: string; status: string; frequency: string; wanted: string | null }>;
    return rows.map((r) => {
      const why =
        r.status === SubscriptionStatus.PENDING
          ? 'no mail: the address has not followed its confirmation link yet (nothing is sent to it until then)'
          : r.status === SubscriptionStatus.UNSUBSCRIBED
            ? 'no mail: the address unsubscribed'
            : r.wanted === null
              ? `no mail: the subscription does not include ${type}`
              : null;
      return {
        recipientId: recipientIdOf(SUBSCRIBER, r.id),
        displayName: null,
        address: r.address,
        frequency: why ? NotificationFrequency.NEVER : (r.frequency as NotificationFrequency),
        ...(why && { notReceiving: { reason: null, detail: why } }),
      };
    });
  }

  async subscriptionOf(recipientId: string): Promise<SubscriptionView | null> {
    const id = Number(localIdOf(SUBSCRIBER, recipientId));
    if (!Number.isSafeInteger(id)) return null;
    const row = await this.dataSource.getRepository(SubscribedAddressEntity).findOne({ where: { id }, relations: { application: true } });
    if (!row) return null;
    const types = await this.dataSource.getRepository(SubscribedAddressTypeEntity).find({ where: { subscriptionId: id }, order: { eventType: 'ASC' } });
    return {
      address: row.address,
      applicationId: row.application!.externalId,
      types: types.map((t) => t.eventType as NotificationType),
      frequency: row.frequency as NotificationFrequency,
      status: row.status as SubscriptionView['status'],
      locale: row.locale,
      timeZone: row.timeZone,
    };
  }

  async unsubscribe(recipientId: string): Promise<boolean> {
    const id = Number(localIdOf(SUBSCRIBER, recipientId));
    if (!Number.isSafeInteger(id)) return false;
    const result = await this.dataSource
      .createQueryBuilder()
      .update(SubscribedAddressEntity)
      .set({ status: SubscriptionStatus.UNSUBSCRIBED, unsubscribedAt: this.clock.date(), confirmationNonce: null })
      .where('id = :id AND status <> :gone', { id, gone: SubscriptionStatus.UNSUBSCRIBED })
      .execute();
    return !!result.affected;
  }
}

/** The planning conditions, each failing one said in a few words (the delivery log's lastError). */
function answerOf(row: ReaderRow, asked: ReaderQuestion): ReaderAnswer {
  if (row.id === null) return { reads: false, reason: 'subscription removed' };
  if (row.status === SubscriptionStatus.UNSUBSCRIBED) return { reads: false, reason: `${row.address} unsubscribed` };
  if (row.status !== SubscriptionStatus.ACTIVE) return { reads: false, reason: `${row.address} has not confirmed its subscription` };
  if (row.application !== asked.applicationId) return { reads: false, reason: `${row.address} is not subscribed to ${asked.applicationId}` };
  if (row.wanted === null) return { reads: false, reason: `${asked.eventType} no longer among the types ${row.address} is subscribed to` };
  const suspension = row.suspended
    ? { address: row.suspended, reason: row.suspensionReason ?? 'bounced', retryAt: storedTime(row.retryAt), retryDeliveryId: row.retryDeliveryId === null ? null : Number(row.retryDeliveryId) }
    : null;
  return { reads: true, reach: { channel: 'email', address: row.address! }, displayName: null, locale: row.locale, timeZone: row.timeZone, suspension };
}

/** A time as the database answers it raw: a Date (PostgreSQL) or 'YYYY-MM-DD HH:MM:SS.SSS' in UTC (SQLite). */
function storedTime(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
}
