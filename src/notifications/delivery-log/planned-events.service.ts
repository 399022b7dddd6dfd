import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { NotifiedEvent } from '../../event-types/notification-type';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { NotificationEntity } from '../entities/notification.entity';

/** An event as notifications stored it, and how many deliveries refer to it. */
export interface PlannedEvent {
  /** The event as received (the wire format, validated): what its mails are rendered from. */
  event: NotifiedEvent;
  deliveries: number;
}

/**
 * What notifications keeps of each event it planned mails for, for others to read
 * (job-events answers event(id) with it): the event itself — stored once, here —
 * and the number of deliveries that refer to it.
 */
@Injectable()
export class PlannedEventsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async find(eventId: string): Promise<PlannedEvent | null> {
    const row = await this.dataSource.getRepository(NotificationEntity).findOne({ select: { payload: true }, where: { eventId } });
    if (!row) return null;
    const deliveries = await this.dataSource.getRepository(DeliveryEventEntity).count({ where: { eventId } });
    return { event: JSON.parse(row.payload) as NotifiedEvent, deliveries };
  }
}
