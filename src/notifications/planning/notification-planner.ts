import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type JobEvent, JobEventType } from '@herald/contracts';
import { ApplicationsService } from '../../users/applications.service';
import { type Recipient, RecipientsService } from '../../users/recipients/recipients.service';
import { type ClaimedDelivery, DeliveryOutbox, type NewDelivery } from '../dispatch/delivery-outbox';
import { Dispatcher } from '../dispatch/dispatcher';
import { NotificationEntity } from '../entities/notification.entity';
import { NotificationsPlannedEvent } from './notifications-planned.event';

/**
 * Plans the mails of new events inside the caller's transaction: per event the
 * notification (what to render) and one delivery per recipient — if the
 * transaction commits, the mails will be sent.
 *
 * When this process's dispatcher has room, the deliveries are written already
 * claimed by it and handed over with the events once the caller has committed:
 * no claim, no reading back. Otherwise they wait, PENDING, to be claimed.
 */
@Injectable()
export class NotificationPlanner {
  constructor(
    private readonly recipients: RecipientsService,
    private readonly applications: ApplicationsService,
    private readonly outbox: DeliveryOutbox,
    private readonly dispatcher: Dispatcher,
  ) {}

  /** One event to emit per event planned, in order, for the caller to emit after its commit. */
  async plan(events: JobEvent[], manager: EntityManager): Promise<NotificationsPlannedEvent[]> {
    // Events of one batch about the same application and type have the same
    // recipients: nothing in the batch changes people, memberships or preferences.
    const recipientsOf = new Map<string, Recipient[]>();
    const notifications: Pick<NotificationEntity, 'eventId' | 'eventType' | 'payload'>[] = [];
    const deliveries: NewDelivery[] = [];
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
          recipientTimeZone: r.timeZone,
        });
      }
    }
    if (notifications.length) await manager.createQueryBuilder().insert().into(NotificationEntity).values(notifications).updateEntity(false).execute();
    const handOff = deliveries.length > 0 && deliveries.length <= this.dispatcher.room();
    const inserted = await this.outbox.insert(manager, deliveries, handOff ? this.dispatcher.claimant() : undefined);
    const byEvent = new Map<string, ClaimedDelivery[]>(notifications.map((n) => [n.eventId, []]));
    for (const d of inserted) byEvent.get(d.eventId)!.push(d);
    return notifications.map(({ eventId, payload }) => {
      const own = byEvent.get(eventId)!;
      return new NotificationsPlannedEvent(eventId, own.length, handOff && own.length ? { deliveries: own, payload } : undefined);
    });
  }
}
