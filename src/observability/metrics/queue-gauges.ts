import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../../clock/clock';
import { QUEUE_STATS, type QueuedDeliveries, type QueueStats } from '../../channels/queue-stats.port';
import { HeraldMetrics } from '../../metrics/herald-metrics';

/** The outbox's queue on /metrics: one grouped query per scrape (QUEUE_STATS, provided by notifications). */
@Injectable()
export class QueueGauges implements OnModuleInit {
  constructor(
    private readonly metrics: HeraldMetrics,
    @Inject(QUEUE_STATS) private readonly stats: QueueStats,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    /** This scrape's query: started by the first gauge, read by both (prom-client collects them together, in registration order). */
    let queue: Promise<QueuedDeliveries[]> = Promise.resolve([]);
    this.metrics.gaugeOnScrape(
      'herald_deliveries_queued',
      'Deliveries not yet SENT or FAILED, by status (PENDING, SENDING, RETRY, WAITING)',
      ['status'],
      async (gauge) => {
        queue = this.stats.queued();
        for (const { status, count } of await queue) gauge.set({ status }, count);
      },
    );
    this.metrics.gaugeOnScrape(
      'herald_delivery_oldest_queued_age_seconds',
      'Age of the oldest delivery not yet SENT or FAILED (0 when none): how long the longest waiting mail has waited',
      [],
      async (gauge) => {
        const times = (await queue).map((r) => r.oldest?.getTime()).filter((t): t is number => t !== undefined);
        gauge.set(times.length ? Math.max(0, (this.clock.now() - Math.min(...times)) / 1000) : 0);
      },
    );
  }
}
