import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../../clock/clock';
import { DeliveryEntity, DeliveryStatus } from '../../notifications/entities/delivery.entity';
import { HeraldMetrics } from './herald-metrics';

interface QueueRow {
  status: DeliveryStatus;
  count: string | number;
  oldest: Date | string | null;
}

/** Deliveries not yet at a final status. */
const QUEUED = [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRY, DeliveryStatus.WAITING];

/** The outbox's queue on /metrics: one grouped query per scrape, on the status index. */
@Injectable()
export class QueueGauges implements OnModuleInit {
  constructor(
    private readonly metrics: HeraldMetrics,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    /** This scrape's query: started by the first gauge, read by both (prom-client collects them together, in registration order). */
    let queue: Promise<QueueRow[]> = Promise.resolve([]);
    this.metrics.gaugeOnScrape(
      'herald_deliveries_queued',
      'Deliveries not yet SENT or FAILED, by status (PENDING, SENDING, RETRY, WAITING)',
      ['status'],
      async (gauge) => {
        queue = this.queue();
        const rows = await queue;
        for (const status of QUEUED) gauge.set({ status }, Number(rows.find((r) => r.status === status)?.count ?? 0));
      },
    );
    this.metrics.gaugeOnScrape(
      'herald_delivery_oldest_queued_age_seconds',
      'Age of the oldest delivery not yet SENT or FAILED (0 when none): how long the longest waiting mail has waited',
      [],
      async (gauge) => {
        const times = (await queue).map((r) => storedTime(r.oldest)).filter((t): t is number => t !== null);
        gauge.set(times.length ? Math.max(0, (this.clock.now() - Math.min(...times)) / 1000) : 0);
      },
    );
  }

  private queue(): Promise<QueueRow[]> {
    return this.dataSource
      .getRepository(DeliveryEntity)
      .createQueryBuilder('d')
      .select('d.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .addSelect('MIN(d.created_at)', 'oldest')
      .where('d.status IN (:...queued)', { queued: QUEUED })
      .groupBy('d.status')
      .getRawMany<QueueRow>();
  }
}

/** A time as the database answers it raw: a Date (PostgreSQL) or 'YYYY-MM-DD HH:MM:SS.SSS' in UTC (SQLite). */
function storedTime(value: Date | string | null): number | null {
  if (value === null) return null;
  return value instanceof Date ? value.getTime() : Date.parse(`${value.replace(' ', 'T')}Z`);
}
