import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type JobEvent, JobEventType } from '../../../libs/contracts/src';
import { ApplicationsService } from '../../users/applications.service';
import { RecipientsService } from '../../users/recipients/recipients.service';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';
import { NotificationEntity } from '../entities/notification.entity';

/** Rows per INSERT: well under SQLite's limit of bound variables (11 columns a row). */
const INSERT_CHUNK = 1000;

/**
 * Plans the mails of one event inside the caller's transaction: the notification
 * (what to render) and one PENDING delivery per recipient, inserted in batches —
 * if the transaction commits, the mails will be sent.
 */
@Injectable()
export class NotificationPlanner {
  constructor(
    private readonly recipients: RecipientsService,
    private readonly applications: ApplicationsService,
  ) {}

  async plan(event: JobEvent, manager: EntityManager): Promise<number> {
    if (event.type === JobEventType.APPLICATION_CREATED) {
      await this.applications.ensureApplication(event.application.id, event.application.name, manager);
    }
    const recipients = await this.recipients.recipientsFor(event.application.id, event.type, manager);
    await manager.insert(NotificationEntity, { eventId: event.id, eventType: event.type, payload: JSON.stringify(event) });
    const now = new Date();
    const rows = recipients.map((r) => ({
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
    }));
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await manager.createQueryBuilder().insert().into(DeliveryEntity).values(rows.slice(i, i + INSERT_CHUNK)).updateEntity(false).execute();
    }
    return rows.length;
  }
}
