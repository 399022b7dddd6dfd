import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { JOB_EVENT_CATALOGUE, type JobEventType } from '../../../libs/contracts/src';
import { ApplicationEntity } from '../entities/application.entity';
import { MembershipEntity, MembershipRole } from '../entities/membership.entity';
import { PreferenceEntity } from '../entities/preference.entity';
import { UserEntity } from '../entities/user.entity';

/** Someone who receives a mail about an event. */
export interface Recipient {
  /** Herald's row id of the person (for the outbox). */
  userId: string;
  /** The person's id in the console. */
  externalId: string;
  email: string;
  displayName: string | null;
  locale: string | null;
}

/**
 * Answers the pipeline's one question: who receives event type T about
 * application A? Every person with MANAGE on A who has an email, has
 * notifications on, and has not switched T off — for A (wins) or globally.
 */
@Injectable()
export class RecipientsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One query: memberships by (application, role) from the primary key, each
   * person by id, and at most two preference rows per person from the unique
   * indexes — no N+1. `manager` runs it inside the caller's transaction.
   */
  async recipientsFor(applicationExternalId: string, eventType: JobEventType, manager: EntityManager = this.dataSource.manager): Promise<Recipient[]> {
    const byDefault = JOB_EVENT_CATALOGUE[eventType].enabledByDefault ? 'TRUE' : 'FALSE';
    const rows = await manager
      .createQueryBuilder()
      .select(['u.id AS "userId"', 'u.external_id AS "externalId"', 'u.email AS "email"', 'u.display_name AS "displayName"', 'u.locale AS "locale"'])
      .from(ApplicationEntity, 'a')
      .innerJoin(MembershipEntity, 'm', 'm.application_id = a.id AND m.role = :role', { role: MembershipRole.MANAGE })
      .innerJoin(UserEntity, 'u', 'u.id = m.user_id')
      .leftJoin(PreferenceEntity, 'pa', 'pa.user_id = u.id AND pa.event_type = :type AND pa.application_id = a.id', { type: eventType })
      .leftJoin(PreferenceEntity, 'pg', 'pg.user_id = u.id AND pg.event_type = :type AND pg.application_id IS NULL')
      .where('a.external_id = :app', { app: applicationExternalId })
      .andWhere('u.email IS NOT NULL')
      .andWhere('u.notifications_enabled = TRUE')
      .andWhere(`COALESCE(pa.enabled, pg.enabled, ${byDefault}) = TRUE`)
      .orderBy('u.id', 'ASC')
      .getRawMany<{ userId: number; externalId: string; email: string; displayName: string | null; locale: string | null }>();
    return rows.map((r) => ({ ...r, userId: String(r.userId) }));
  }
}
