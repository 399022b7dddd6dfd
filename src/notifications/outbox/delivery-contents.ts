import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { DigestEntity } from '../entities/digest.entity';
import { NotificationEntity } from '../entities/notification.entity';

/**
 * What a delivery is about, read for its channel (DispatchContext): the events as
 * stored (notifications), a delivery's events in order (delivery_events) and the
 * window a digest or summary closed (digests). The channels read notifications'
 * tables only through here.
 */
@Injectable()
export class DeliveryContents {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Events by id, as stored (JSON), in one query. */
  async payloads(eventIds: readonly string[]): Promise<Map<string, string>> {
    if (!eventIds.length) return new Map();
    const rows = await this.dataSource.getRepository(NotificationEntity).find({ select: { eventId: true, payload: true }, where: { eventId: In([...eventIds]) } });
    return new Map(rows.map((r) => [r.eventId, r.payload]));
  }

  /** A delivery's events, in order, as stored (those no longer stored are left out). */
  async eventsOf(deliveryId: number): Promise<string[]> {
    const ids = (await this.dataSource.getRepository(DeliveryEventEntity).find({ where: { deliveryId }, order: { position: 'ASC' } })).map((e) => e.eventId);
    const payloads = await this.payloads(ids);
    return ids.flatMap((id) => (payloads.has(id) ? [payloads.get(id)!] : []));
  }

  /** The window the digest (or cap summary) delivery closed. */
  async windowOf(deliveryId: number): Promise<{ start: Date; end: Date }> {
    const digest = await this.dataSource.getRepository(DigestEntity).findOneByOrFail({ deliveryId });
    return { start: digest.windowStart, end: digest.windowEnd };
  }
}
