import { Injectable } from '@nestjs/common';

/** Deliveries in one status that is not final yet (PENDING, SENDING, RETRY, WAITING). */
export interface QueuedDeliveries {
  status: string;
  count: number;
  /** When the oldest of them was written; null when there are none. */
  oldest: Date | null;
}

/**
 * What observability reads of the outbox. Implemented by the module that owns the
 * deliveries (notifications) and registered with QueueStats at start, so that
 * observability imports nothing of notifications: the data flows one way.
 */
export interface QueueStatsSource {
  /** Every status not final yet, zeros included, each with its count and oldest. */
  queued(): Promise<QueuedDeliveries[]>;
  /** How many deliveries written at or before `at` are not SENT or FAILED yet. */
  queuedWrittenBy(at: Date): Promise<number>;
}

/**
 * Where /metrics and the relay alerts find the queue's numbers: the source the
 * deliveries' owner registered (`provide`), or an empty queue while none is.
 */
@Injectable()
export class QueueStats implements QueueStatsSource {
  private source?: QueueStatsSource;

  /** Called once by the owner of the deliveries (notifications' DeliveryQueueStats). */
  provide(source: QueueStatsSource): void {
    this.source = source;
  }

  queued(): Promise<QueuedDeliveries[]> {
    return this.source ? this.source.queued() : Promise.resolve([]);
  }

  queuedWrittenBy(at: Date): Promise<number> {
    return this.source ? this.source.queuedWrittenBy(at) : Promise.resolve(0);
  }
}
