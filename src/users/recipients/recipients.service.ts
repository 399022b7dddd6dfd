import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { NotificationType } from '../../event-types/notification-type';
import { eventTypeOf } from '../../event-types/registry';
import { Sql, type SqlStatement } from '../../database/sql';
import { ApplicationDefaultEntity } from '../application-defaults/application-default.entity';
import { ApplicationEntity } from '../entities/application.entity';
import { MembershipEntity, MembershipRole } from '../entities/membership.entity';
import { PreferenceEntity } from '../entities/preference.entity';
import { UserEntity } from '../entities/user.entity';
import { frequencyOf, NotificationFrequency } from '../frequency/notification-frequency';
import { AddressSuspensionEntity } from '../suspensions/address-suspension.entity';
import type { ReaderSuspension } from '../suspensions/address-suspensions';

/** Someone who receives a mail about an event. */
export interface Recipient {
  /** Herald's row id of the person (for the outbox). */
  userId: string;
  /** The person's id in the console. */
  externalId: string;
  email: string;
  displayName: string | null;
  locale: string | null;
  timeZone: string | null;
  /** How often they want this type about this application (never NEVER: those are not recipients). */
  frequency: NotificationFrequency;
  /** Their daily digest's hour, when frequency is DIGEST_DAILY (null: the default). */
  digestHour: number | null;
  /** What decided it: their choice for the application, theirs for every application, the application's default, or the type's. */
  rule: PreferenceRule;
}

/** Which rule decides what a person gets of a type about an application, first that applies. */
export enum PreferenceRule {
  PERSON_APPLICATION = 'PERSON_APPLICATION',
  PERSON_GLOBAL = 'PERSON_GLOBAL',
  APPLICATION_DEFAULT = 'APPLICATION_DEFAULT',
  TYPE_DEFAULT = 'TYPE_DEFAULT',
}

/** A manager of an application, whether or not they receive a type, and what decides it (for "why didn't I get a mail?"). */
export interface AudienceMember {
  externalId: string;
  email: string | null;
  displayName: string | null;
  notificationsEnabled: boolean;
  /** How often they want the type about the application; NEVER when it is off. */
  frequency: NotificationFrequency;
  /** Whether the frequency is their own choice (for the application or globally) rather than a default (the application's or the type's). */
  chosen: boolean;
  /** Whether the application's default decided it (they have not chosen, and the application has a default for the type). */
  applicationDefault: boolean;
}

/** Whether a person may still get a mail of a type about an application: the question asked again when it is sent. */
export interface ReaderQuestion {
  /** The person's id in the console (a delivery's recipient id). */
  recipientId: string;
  applicationId: string;
  eventType: NotificationType;
}

/**
 * The answer: still a reader, with how to write to them now (their address,
 * name, language and zone as planning would take them today), or not, and why.
 */
export type ReaderAnswer =
  | { reads: true; email: string; displayName: string | null; locale: string | null; timeZone: string | null; suspension: ReaderSuspension | null }
  | { reads: false; reason: string };


/**
 * Answers the pipeline's one question: who receives event type T about
 * application A? Every person with MANAGE on A who has an email, has
 * notifications on, and has not switched T off — for A (wins) or globally —
 * with how often they want it (the same row decides).
 */
@Injectable()
export class RecipientsService {
  /**
   * One query: memberships by (application, role) from the primary key, each
   * person by id, and at most two preference rows per person from the unique
   * indexes — no N+1. Fixed text: prepared once, run for every event.
   */
  private readonly query: SqlStatement;
  private readonly audienceQuery: string;
  private readonly readersQuery: SqlStatement;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    const sql = new Sql(dataSource);
    // The questions arrive as one JSON array (n: its index); each is the planning query's
    // conditions looked up by their keys: a person and an application by their unique
    // external ids, the membership by its primary key, two preference rows by their unique indexes.
    const questions = sql.postgres
      ? 'json_to_recordset(?::json) AS v(n integer, u varchar, a varchar, t varchar)'
      : "(SELECT json_extract(value, '$.n') AS n, json_extract(value, '$.u') AS u, json_extract(value, '$.a') AS a, json_extract(value, '$.t') AS t FROM json_each(?)) AS v";
    this.readersQuery = sql.prepare(
      `SELECT v.n AS "n", u.id AS "userId", u.email AS "email", u.display_name AS "displayName", u.locale AS "locale", u.time_zone AS "timeZone",
              u.notifications_enabled AS "notificationsEnabled", m.user_id AS "manager", pa.enabled AS "appEnabled", pg.enabled AS "globalEnabled",
              d.frequency AS "appDefault",
              s.address AS "suspended", s.reason AS "suspensionReason", s.retry_at AS "retryAt", s.retry_delivery_id AS "retryDeliveryId"
         FROM ${questions}
         LEFT JOIN ${sql.table(UserEntity)} u ON u.external_id = v.u
         LEFT JOIN ${sql.table(ApplicationEntity)} a ON a.external_id = v.a
         LEFT JOIN ${sql.table(MembershipEntity)} m ON m.application_id = a.id AND m.role = '${MembershipRole.MANAGE}' AND m.user_id = u.id
         LEFT JOIN ${sql.table(PreferenceEntity)} pa ON pa.user_id = u.id AND pa.event_type = v.t AND pa.application_id = a.id
         LEFT JOIN ${sql.table(PreferenceEntity)} pg ON pg.user_id = u.id AND pg.event_type = v.t AND pg.application_id IS NULL
         LEFT JOIN ${sql.table(ApplicationDefaultEntity)} d ON d.application_id = a.id AND d.event_type = v.t
         LEFT JOIN ${sql.table(AddressSuspensionEntity)} s ON s.address = u.email_key AND s.suspended_at IS NOT NULL`,
    );
    this.audienceQuery = sql.statement(
      `SELECT u.external_id AS "externalId", u.email AS "email", u.display_name AS "displayName", u.notifications_enabled AS "notificationsEnabled",
              CASE WHEN pa.id IS NULL THEN pg.enabled ELSE pa.enabled END AS "enabled",
              CASE WHEN pa.id IS NULL THEN pg.frequency ELSE pa.frequency END AS "frequency",
              CASE WHEN pa.id IS NULL AND pg.id IS NULL THEN 0 ELSE 1 END AS "chosen", d.frequency AS "appDefault"
         FROM ${sql.table(ApplicationEntity)} a
         JOIN ${sql.table(MembershipEntity)} m ON m.application_id = a.id AND m.role = '${MembershipRole.MANAGE}'
         JOIN ${sql.table(UserEntity)} u ON u.id = m.user_id
         LEFT JOIN ${sql.table(PreferenceEntity)} pa ON pa.user_id = u.id AND pa.event_type = ? AND pa.application_id = a.id
         LEFT JOIN ${sql.table(PreferenceEntity)} pg ON pg.user_id = u.id AND pg.event_type = ? AND pg.application_id IS NULL
         LEFT JOIN ${sql.table(ApplicationDefaultEntity)} d ON d.application_id = a.id AND d.event_type = ?
        WHERE a.external_id = ?
        ORDER BY u.id`,
    );
    this.query = sql.prepare(
      `SELECT u.id AS "userId", u.external_id AS "externalId", u.email AS "email", u.display_name AS "displayName", u.locale AS "locale", u.time_zone AS "timeZone",
              CASE WHEN pa.id IS NOT NULL THEN pa.frequency WHEN pg.id IS NOT NULL THEN pg.frequency ELSE d.frequency END AS "frequency",
              CASE WHEN pa.id IS NOT NULL THEN pa.digest_hour WHEN pg.id IS NOT NULL THEN pg.digest_hour ELSE d.digest_hour END AS "digestHour",
              CASE WHEN pa.id IS NOT NULL THEN 'PERSON_APPLICATION' WHEN pg.id IS NOT NULL THEN 'PERSON_GLOBAL' WHEN d.frequency IS NOT NULL THEN 'APPLICATION_DEFAULT' ELSE 'TYPE_DEFAULT' END AS "rule"
         FROM ${sql.table(ApplicationEntity)} a
         JOIN ${sql.table(MembershipEntity)} m ON m.application_id = a.id AND m.role = '${MembershipRole.MANAGE}'
         JOIN ${sql.table(UserEntity)} u ON u.id = m.user_id
         LEFT JOIN ${sql.table(PreferenceEntity)} pa ON pa.user_id = u.id AND pa.event_type = ? AND pa.application_id = a.id
         LEFT JOIN ${sql.table(PreferenceEntity)} pg ON pg.user_id = u.id AND pg.event_type = ? AND pg.application_id IS NULL
         LEFT JOIN ${sql.table(ApplicationDefaultEntity)} d ON d.application_id = a.id AND d.event_type = ?
        WHERE a.external_id = ? AND u.email IS NOT NULL AND u.notifications_enabled = TRUE
          AND COALESCE(pa.enabled, pg.enabled, CASE WHEN d.frequency IS NULL THEN NULL WHEN d.frequency = '${NotificationFrequency.NEVER}' THEN FALSE ELSE TRUE END, ${sql.postgres ? '?::boolean' : '?'}) = TRUE
        ORDER BY u.id`,
    );
  }

  /** Who receives `eventType` about the application; `manager` runs it inside the caller's transaction. */
  async recipientsFor(applicationExternalId: string, eventType: NotificationType, manager: EntityManager = this.dataSource.manager): Promise<Recipient[]> {
    const byDefault = eventTypeOf(eventType).enabledByDefault;
    const rows = (await this.query.query(manager, [eventType, eventType, eventType, applicationExternalId, byDefault])) as Array<Omit<Recipient, 'userId' | 'frequency'> & { userId: number; frequency: string | null }>;
    return rows.map((r) => ({ ...r, userId: String(r.userId), frequency: frequencyOf(true, r.frequency) }));
  }

  /**
   * Asks again, for many mails at once, what planning asked: is the person still a
   * MANAGE member of the application, with notifications on, the type not switched
   * off (for the application, else everywhere, else the type's default) and an email
   * address? One statement of fixed text for all of them (prepared once); answers in
   * the order asked. `manager` runs it inside the caller's transaction.
   */
  async readersOf(questions: ReaderQuestion[], manager: EntityManager = this.dataSource.manager): Promise<ReaderAnswer[]> {
    if (!questions.length) return [];
    // Many mails of a batch ask the same (a digest's events, one person's several mails): each once.
    const distinct = new Map<string, number>();
    const asked: Array<{ n: number; u: string; a: string; t: string }> = [];
    const index = questions.map((q) => {
      const key = `${q.recipientId}\n${q.applicationId}\n${q.eventType}`;
      let n = distinct.get(key);
      if (n === undefined) {
        distinct.set(key, (n = asked.length));
        asked.push({ n, u: q.recipientId, a: q.applicationId, t: q.eventType });
      }
      return n;
    });
    const rows = (await this.readersQuery.query(manager, [JSON.stringify(asked)])) as ReaderRow[];
    const answers: ReaderAnswer[] = [];
    for (const row of rows) answers[Number(row.n)] = answerOf(row, asked[Number(row.n)]);
    return index.map((n) => answers[n]);
  }

  /** Every manager of the application, receiving `eventType` or not, with what decides it. */
  async audienceOf(applicationExternalId: string, eventType: NotificationType): Promise<AudienceMember[]> {
    const byDefault = eventTypeOf(eventType).enabledByDefault;
    const rows = (await this.dataSource.query(this.audienceQuery, [eventType, eventType, eventType, applicationExternalId])) as Array<{
      externalId: string; email: string | null; displayName: string | null; notificationsEnabled: boolean | number; enabled: boolean | number | null; frequency: string | null; chosen: number | string; appDefault: string | null;
    }>;
    return rows.map((r) => ({
      externalId: r.externalId,
      email: r.email,
      displayName: r.displayName,
      notificationsEnabled: !!r.notificationsEnabled,
      // Their own choice, else the application's default, else the type's.
      frequency: r.enabled !== null ? frequencyOf(!!r.enabled, r.frequency) : r.appDefault !== null ? (r.appDefault as NotificationFrequency) : frequencyOf(byDefault, null),
      chosen: Number(r.chosen) === 1,
      applicationDefault: r.enabled === null && r.appDefault !== null,
    }));
  }
}

/** One answered question as the readers query returns it (booleans are 0/1 on SQLite). */
interface ReaderRow {
  n: number | string;
  userId: number | string | null;
  email: string | null;
  displayName: string | null;
  locale: string | null;
  timeZone: string | null;
  notificationsEnabled: boolean | number | null;
  manager: number | string | null;
  appEnabled: boolean | number | null;
  globalEnabled: boolean | number | null;
  /** The application's default frequency for the type, if it has one. */
  appDefault: string | null;
  /** The address, when it is suspended after bounces. */
  suspended: string | null;
  suspensionReason: string | null;
  retryAt: Date | string | null;
  retryDeliveryId: number | string | null;
}

/** Planning's conditions, in its order, each failing one said in a few words (the delivery log's lastError). */
function answerOf(row: ReaderRow, asked: { u: string; a: string; t: string }): ReaderAnswer {
  if (row.userId === null) return { reads: false, reason: 'no longer known to Herald' };
  if (row.manager === null) return { reads: false, reason: `no longer a manager of ${asked.a}` };
  if (!row.notificationsEnabled) return { reads: false, reason: 'notifications switched off' };
  if (row.appEnabled !== null) {
    if (!row.appEnabled) return { reads: false, reason: `${asked.t} switched off for ${asked.a}` };
  } else if (row.globalEnabled !== null) {
    if (!row.globalEnabled) return { reads: false, reason: `${asked.t} switched off for every application` };
  } else if (row.appDefault !== null) {
    if (row.appDefault === NotificationFrequency.NEVER) return { reads: false, reason: `${asked.t} is off by default for ${asked.a} (its notification defaults)` };
  } else if (!eventTypeOf(asked.t as NotificationType).enabledByDefault) {
    return { reads: false, reason: `${asked.t} is off by default and not switched on` };
  }
  if (row.email === null) return { reads: false, reason: 'no email address' };
  const suspension = row.suspended
    ? { address: row.suspended, reason: row.suspensionReason ?? 'bounced', retryAt: storedTime(row.retryAt), retryDeliveryId: row.retryDeliveryId === null ? null : Number(row.retryDeliveryId) }
    : null;
  return { reads: true, email: row.email, displayName: row.displayName, locale: row.locale, timeZone: row.timeZone, suspension };
}

/** A time as the database answers it raw: a Date (PostgreSQL) or 'YYYY-MM-DD HH:MM:SS.SSS' in UTC (SQLite). */
function storedTime(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
}
