import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { NotificationType } from '../../event-types/notification-type';
import { eventTypeOf } from '../../event-types/registry';
import { Sql } from '../../database/sql';
import { ApplicationEntity } from '../entities/application.entity';
import { MembershipEntity, MembershipRole } from '../entities/membership.entity';
import { PreferenceEntity } from '../entities/preference.entity';
import { UserEntity } from '../entities/user.entity';
import { frequencyOf, NotificationFrequency } from '../frequency/notification-frequency';

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
}

/** A manager of an application, whether or not they receive a type, and what decides it (for "why didn't I get a mail?"). */
export interface AudienceMember {
  externalId: string;
  email: string | null;
  displayName: string | null;
  notificationsEnabled: boolean;
  /** How often they want the type about the application; NEVER when it is off. */
  frequency: NotificationFrequency;
  /** Whether the frequency is their own choice (for the application or globally) rather than the type's default. */
  chosen: boolean;
}

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
  private readonly query: string;
  private readonly audienceQuery: string;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    const sql = new Sql(dataSource);
    this.audienceQuery = sql.statement(
      `SELECT u.external_id AS "externalId", u.email AS "email", u.display_name AS "displayName", u.notifications_enabled AS "notificationsEnabled",
              CASE WHEN pa.id IS NULL THEN pg.enabled ELSE pa.enabled END AS "enabled",
              CASE WHEN pa.id IS NULL THEN pg.frequency ELSE pa.frequency END AS "frequency",
              CASE WHEN pa.id IS NULL AND pg.id IS NULL THEN 0 ELSE 1 END AS "chosen"
         FROM ${sql.table(ApplicationEntity)} a
         JOIN ${sql.table(MembershipEntity)} m ON m.application_id = a.id AND m.role = '${MembershipRole.MANAGE}'
         JOIN ${sql.table(UserEntity)} u ON u.id = m.user_id
         LEFT JOIN ${sql.table(PreferenceEntity)} pa ON pa.user_id = u.id AND pa.event_type = ? AND pa.application_id = a.id
         LEFT JOIN ${sql.table(PreferenceEntity)} pg ON pg.user_id = u.id AND pg.event_type = ? AND pg.application_id IS NULL
        WHERE a.external_id = ?
        ORDER BY u.id`,
    );
    this.query = sql.statement(
      `SELECT u.id AS "userId", u.external_id AS "externalId", u.email AS "email", u.display_name AS "displayName", u.locale AS "locale", u.time_zone AS "timeZone",
              CASE WHEN pa.id IS NULL THEN pg.frequency ELSE pa.frequency END AS "frequency",
              CASE WHEN pa.id IS NULL THEN pg.digest_hour ELSE pa.digest_hour END AS "digestHour"
         FROM ${sql.table(ApplicationEntity)} a
         JOIN ${sql.table(MembershipEntity)} m ON m.application_id = a.id AND m.role = '${MembershipRole.MANAGE}'
         JOIN ${sql.table(UserEntity)} u ON u.id = m.user_id
         LEFT JOIN ${sql.table(PreferenceEntity)} pa ON pa.user_id = u.id AND pa.event_type = ? AND pa.application_id = a.id
         LEFT JOIN ${sql.table(PreferenceEntity)} pg ON pg.user_id = u.id AND pg.event_type = ? AND pg.application_id IS NULL
        WHERE a.external_id = ? AND u.email IS NOT NULL AND u.notifications_enabled = TRUE
          AND COALESCE(pa.enabled, pg.enabled, ${sql.postgres ? '?::boolean' : '?'}) = TRUE
        ORDER BY u.id`,
    );
  }

  /** Who receives `eventType` about the application; `manager` runs it inside the caller's transaction. */
  async recipientsFor(applicationExternalId: string, eventType: NotificationType, manager: EntityManager = this.dataSource.manager): Promise<Recipient[]> {
    const byDefault = eventTypeOf(eventType).enabledByDefault;
    const rows = (await manager.query(this.query, [eventType, eventType, applicationExternalId, byDefault])) as Array<Omit<Recipient, 'userId' | 'frequency'> & { userId: number; frequency: string | null }>;
    return rows.map((r) => ({ ...r, userId: String(r.userId), frequency: frequencyOf(true, r.frequency) }));
  }

  /** Every manager of the application, receiving `eventType` or not, with what decides it. */
  async audienceOf(applicationExternalId: string, eventType: NotificationType): Promise<AudienceMember[]> {
    const byDefault = eventTypeOf(eventType).enabledByDefault;
    const rows = (await this.dataSource.query(this.audienceQuery, [eventType, eventType, applicationExternalId])) as Array<{
      externalId: string; email: string | null; displayName: string | null; notificationsEnabled: boolean | number; enabled: boolean | number | null; frequency: string | null; chosen: number | string;
    }>;
    return rows.map((r) => ({
      externalId: r.externalId,
      email: r.email,
      displayName: r.displayName,
      notificationsEnabled: !!r.notificationsEnabled,
      frequency: frequencyOf(r.enabled === null ? byDefault : !!r.enabled, r.frequency),
      chosen: Number(r.chosen) === 1,
    }));
  }
}
