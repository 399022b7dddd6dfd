import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { JobEventType } from '@herald/contracts';
import { eventTypeOf } from '../../../src/event-types/registry';
import { PeerApplication, PeerMembership, PeerPreference, PeerUser } from './entities';

export interface PeerRecipient {
  id: number;
  email: string;
  displayName: string | null;
}

/**
 * Who gets event type T about application A — the same rule as Herald's: a
 * manager of A with an email and notifications on who has not switched T off
 * (for A, else globally). One query through TypeORM's query builder, raw rows
 * (no entity hydration: only three columns are needed).
 */
@Injectable()
export class RecipientsRepository {
  constructor(@InjectRepository(PeerUser) private readonly users: Repository<PeerUser>) {}

  find(applicationExternalId: string, eventType: JobEventType): Promise<PeerRecipient[]> {
    return this.users
      .createQueryBuilder('u')
      .select(['u.id AS id', 'u.email AS email', 'u.display_name AS displayName'])
      .innerJoin(PeerMembership, 'm', "m.user_id = u.id AND m.role = 'MANAGE'")
      .innerJoin(PeerApplication, 'a', 'a.id = m.application_id')
      .leftJoin(PeerPreference, 'pa', 'pa.user_id = u.id AND pa.event_type = :type AND pa.application_id = a.id')
      .leftJoin(PeerPreference, 'pg', 'pg.user_id = u.id AND pg.event_type = :type AND pg.application_id IS NULL')
      .where('a.external_id = :app', { app: applicationExternalId, type: eventType })
      .andWhere('u.email IS NOT NULL AND u.notifications_enabled = 1')
      .andWhere('COALESCE(pa.enabled, pg.enabled, :byDefault) = 1', { byDefault: eventTypeOf(eventType).enabledByDefault ? 1 : 0 })
      .orderBy('u.id')
      .getRawMany<PeerRecipient>();
  }
}
