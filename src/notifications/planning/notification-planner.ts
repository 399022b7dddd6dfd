import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type JobEvent, JobEventType } from '../../../libs/contracts/src';
import { ApplicationsService } from '../../users/applications.service';
import { type Recipient, RecipientsService } from '../../users/recipients/recipients.service';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';
import { NotificationEntity } from '../entities/notification.entity';

/** Rows per INSERT: well under SQLite's limit of bound variables (11 columns a row). */
const INSERT_CHUNK = 1000;

/**
 * Plans the mails of new events inside the caller's transaction: per event the
 * notification (what to render) and one PENDING delivery per recipient, all
 * inserted in batches — if the transaction commits, the mails will be sent.
 */
@Injectable()
export class NotificationPlanner {
  constructor(
    private readonly recipients: RecipientsService,
    private readonly applications: ApplicationsService,
  ) {}

  /** Returns the number of deliveries planned for each event, in order. */
  async plan(events: JobEvent[], manager: EntityManager): Promise<number[]> {
    // Events of one batch about the same application and type have the same
    // recipients: nothing in the batch changes people, memberships or preferences.
    const recipientsOf = new Map<string, Recipient[]>();
    const notifications: Partial<NotificationEntity>[] = [];
    const deliveries: Partial<DeliveryEntity>[] = [];
    const counts: number[] = [];
    const now = new Date();
    for (const event of events) {
      if (event.type === JobEventType.APPLICATION_CREATED) {
        await this.applications.ensureApplication(event.application.id, event.application.name, manager);
      }
      const key = `${event.application.id}\n${event.type}`;
      let recipients = recipientsOf.get(key);
      if (!recipients) {
        recipients = await this.recipients.recipientsFor(event.application.id, event.type, manager);
        recipientsOf.set(key, recipients);
      }
      notifications.push({ eventId: event.id, eventType: event.type, payload: JSON.stringify(event) });
      for (const r of recipients) {
        deliveries.push({
          eventId: event.id,
          eventType: event.type,
          applicationId: event.application.id,
          recipientId: r.externalId,
          recipientEmail: r.email,
          recipientName: r.displayName,
          recipientLocale: r.locale,
          status: DeliveryStatus.PENDING,
          attempts: 0,
          nextAttemptAt: now,
        });
      }
      counts.push(recipients.length);
    }
    await insertInChunks(manager, NotificationEntity, notifications);
    await insertInChunks(manager, DeliveryEntity, deliveries);
    return counts;
  }
}

async function insertInChunks<E extends object>(manager: EntityManager, entity: new () => E, rows: Partial<E>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await manager
      .createQueryBuilder()
      .insert()
      .into(entity)
      .values(rows.slice(i, i + INSERT_CHUNK) as never)
      .updateEntity(false)
      .execute();
  }
}
