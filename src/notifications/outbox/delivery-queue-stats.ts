import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThanOrEqual } from 'typeorm';
import type { QueuedDeliveries, QueueStats, WaitingDeliveries } from '../../channels/queue-stats.port';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';
import { DeliveryOutbox } from './delivery-outbox';

/** Deliveries not yet at a final status. */
const QUEUED = [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRY, DeliveryStatus.WAITING];

interface QueueRow {
  status: DeliveryStatus;
  count: string | number;
  oldest: Date | string | null;
}

/** The outbox's queue as its watchers read it (QUEUE_STATS): one grouped query on the status index per call. */
@Injectable()
export class DeliveryQueueStats implements QueueStats {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: DeliveryOutbox,
  ) {}

  async queued(): Promise<QueuedDeliveries[]> {
    const rows = await this.dataSource
      .getRepository(DeliveryEntity)
      .createQueryBuilder('d')
      .select('d.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .addSelect('MIN(d.created_at)', 'oldest')
      .where('d.status IN (:...queued)', { queued: QUEUED })
      .groupBy('d.status')
      .getRawMany<QueueRow>();
    return QUEUED.map((status) => {
      const row = rows.find((r) => r.status === status);
      return { status, count: Number(row?.count ?? 0), oldest: storedTime(row?.oldest ?? null) };
    });
  }

  queuedWrittenBy(at: Date): Promise<number> {
    return this.dataSource.getRepository(DeliveryEntity).count({ where: { status: In(QUEUED), createdAt: LessThanOrEqual(at) } });
  }

  describeWaiting(channel: string, prefix: string, reason: string): Promise<void> {
    return this.outbox.describeWaiting(channel, prefix, reason);
  }

  async waiting(channel: string): Promise<WaitingDeliveries> {
    const row = await this.dataSource
      .getRepository(DeliveryEntity)
      .createQueryBuilder('d')
      .select('COUNT(*)', 'count')
      .addSelect('MIN(d.created_at)', 'oldest')
      .where('d.status = :status AND d.channel = :channel', { status: DeliveryStatus.WAITING, channel })
      .getRawOne<{ count: string | number; oldest: string | Date | null }>();
    return { count: Number(row?.count ?? 0), oldest: storedTime(row?.oldest ?? null) };
  }
}

/** A time as the database answers it raw: a Date (PostgreSQL) or 'YYYY-MM-DD HH:MM:SS.SSS' in UTC (SQLite). */
function storedTime(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
}
