import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { Clock } from '../../clock/clock';
import { Transactions } from '../../database/transactions';
import { ConflictError, NotFoundError } from '../../graphql/graphql-errors';
import { type Connection, decodeCursor, DEFAULT_PAGE_SIZE, toConnection } from '../../graphql/pagination';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { FoldKind } from '../entities/digest-entry.entity';
import { DigestEntity } from '../entities/digest.entity';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';
import { DeliveriesDueEvent } from '../outbox/deliveries-due.event';
import type { DeliveryFilter, RetryDeliveriesFilter } from './deliveries.args';
import { DeliveryKind, DeliveryModel } from './delivery.model';

/** Deliveries retryDeliveries updates per statement (SQLite's bound parameters are limited). */
const RETRY_CHUNK = 500;

/** The delivery log: every mail, its status and the relay's reply. */
@Injectable()
export class DeliveriesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventEmitter2,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  /** Newest first. */
  async list(filter: DeliveryFilter = {}, first = DEFAULT_PAGE_SIZE, after?: string): Promise<Connection<DeliveryModel>> {
    const q = this.dataSource.getRepository(DeliveryEntity).createQueryBuilder('d');
    if (filter.status) q.andWhere('d.status = :status', { status: filter.status });
    if (filter.eventType) q.andWhere('d.event_type = :eventType', { eventType: filter.eventType });
    if (filter.applicationId) q.andWhere('d.application_id = :applicationId', { applicationId: filter.applicationId });
    if (filter.recipientId) q.andWhere('d.recipient_id = :recipientId', { recipientId: filter.recipientId });
    if (filter.from) q.andWhere('d.created_at >= :from', { from: filter.from });
    if (filter.to) q.andWhere('d.created_at < :to', { to: filter.to });
    const totalCount = await q.getCount();
    if (after) q.andWhere('d.id < :after', { after: Number(decodeCursor(after, 1)[0]) });
    const rows = await q.orderBy('d.id', 'DESC').limit(first + 1).getMany();
    const [events, kinds] = await Promise.all([this.eventsOf(rows.slice(0, first)), this.kindsOf(rows.slice(0, first))]);
    return toConnection(rows, first, totalCount, (d) => [d.id], (d) => DeliveryModel.from(d, events.get(d.id)!, kinds.get(d.id)));
  }

  /** The deliveries that refer to an event, oldest first. */
  async forEvent(eventId: string): Promise<DeliveryModel[]> {
    const rows = await this.dataSource
      .getRepository(DeliveryEntity)
      .createQueryBuilder('d')
      .innerJoin(DeliveryEventEntity, 'e', 'e.deliveryId = d.id AND e.eventId = :eventId', { eventId })
      .orderBy('d.id', 'ASC')
      .getMany();
    const [events, kinds] = await Promise.all([this.eventsOf(rows), this.kindsOf(rows)]);
    return rows.map((d) => DeliveryModel.from(d, events.get(d.id)!, kinds.get(d.id)));
  }

  /** Which of these deliveries are digests or cap summaries (the others are events' own mails). */
  private async kindsOf(deliveries: DeliveryEntity[]): Promise<Map<number, DeliveryKind>> {
    const kinds = new Map<number, DeliveryKind>();
    if (!deliveries.length) return kinds;
    const rows = await this.dataSource.getRepository(DigestEntity).find({ select: { deliveryId: true, kind: true }, where: { deliveryId: In(deliveries.map((d) => d.id)) } });
    for (const row of rows) kinds.set(row.deliveryId!, row.kind === FoldKind.SUMMARY ? DeliveryKind.CAP_SUMMARY : DeliveryKind.DIGEST);
    return kinds;
  }

  /** The events of each delivery, in order (one query). */
  private async eventsOf(deliveries: DeliveryEntity[]): Promise<Map<number, string[]>> {
    const events = new Map(deliveries.map((d) => [d.id, [] as string[]]));
    if (!deliveries.length) return events;
    const rows = await this.dataSource
      .getRepository(DeliveryEventEntity)
      .find({ where: { deliveryId: In([...events.keys()]) }, order: { deliveryId: 'ASC', position: 'ASC' } });
    for (const row of rows) events.get(row.deliveryId)!.push(row.eventId);
    return events;
  }

  /**
   * Puts a FAILED delivery back in the queue with fresh attempts, and answers it as
   * this change left it (the dispatcher may claim it a moment later).
   */
  async retry(id: string): Promise<DeliveryModel> {
    const repo = this.dataSource.getRepository(DeliveryEntity);
    const requeued = { status: DeliveryStatus.PENDING, attempts: 0, relayFailures: 0, relayFailedAt: null, nextAttemptAt: this.clock.date(), lastError: null };
    const result = await this.transactions.exclusive(() => repo.update({ id: Number(id), status: DeliveryStatus.FAILED }, requeued));
    const delivery = await repo.findOneBy({ id: Number(id) });
    if (!delivery) throw new NotFoundError('Delivery', id);
    if (delivery.status === DeliveryStatus.CANCELLED) {
      // Cancelled because its person no longer receives it: sending it again would reach someone it is no longer for.
      throw new ConflictError(`Delivery ${id} is CANCELLED (${delivery.lastError}): its person no longer receives it, so it is not sent again; only a FAILED one can be retried`);
    }
    if (!result.affected) throw new ConflictError(`Delivery ${id} is ${delivery.status}; only a FAILED one can be retried`);
    const eventIds = (await this.eventsOf([delivery])).get(delivery.id)!;
    const kind = (await this.kindsOf([delivery])).get(delivery.id);
    this.events.emit(DeliveriesDueEvent.NAME, new DeliveriesDueEvent(1));
    return DeliveryModel.from({ ...delivery, ...requeued, leaseOwner: null, leaseExpiresAt: null }, eventIds, kind);
  }

  /**
   * Sends again every delivery matching the filter (FAILED ones with fresh
   * attempts, RETRY ones now) and answers how many. Each keeps its row: its events,
   * its last reply (what it failed with) and when it was planned.
   */
  async retryMany(filter: RetryDeliveriesFilter): Promise<number> {
    const status = filter.status ?? DeliveryStatus.FAILED;
    const q = this.dataSource.getRepository(DeliveryEntity).createQueryBuilder('d').select('d.id', 'id').where('d.status = :status', { status });
    if (filter.eventId) {
      const ofEvent = q.subQuery().select('e.deliveryId').from(DeliveryEventEntity, 'e').where('e.eventId = :eventId').getQuery();
      q.andWhere(`d.id IN ${ofEvent}`, { eventId: filter.eventId });
    }
    if (filter.eventType) q.andWhere('d.event_type = :eventType', { eventType: filter.eventType });
    if (filter.applicationId) q.andWhere('d.application_id = :applicationId', { applicationId: filter.applicationId });
    if (filter.from) q.andWhere('d.created_at >= :from', { from: filter.from });
    if (filter.to) q.andWhere('d.created_at < :to', { to: filter.to });
    if (filter.replyCode) q.andWhere('d.last_reply LIKE :reply', { reply: `${filter.replyCode.replace(/x/g, '_')}%` });
    const ids = (await q.getRawMany<{ id: number | string }>()).map((r) => Number(r.id));
    const now = this.clock.date();
    const requeued =
      status === DeliveryStatus.FAILED
        ? { status: DeliveryStatus.PENDING, attempts: 0, relayFailures: 0, relayFailedAt: null, nextAttemptAt: now, lastError: null }
        : { nextAttemptAt: now };
    let retried = 0;
    for (let i = 0; i < ids.length; i += RETRY_CHUNK) {
      const chunk = ids.slice(i, i + RETRY_CHUNK);
      // Only those still in that status: the dispatcher may have moved one meanwhile.
      const result = await this.transactions.exclusive(() => this.dataSource.getRepository(DeliveryEntity).update({ id: In(chunk), status }, requeued));
      retried += result.affected ?? 0;
    }
    if (retried) this.events.emit(DeliveriesDueEvent.NAME, new DeliveriesDueEvent(retried));
    return retried;
  }
}
