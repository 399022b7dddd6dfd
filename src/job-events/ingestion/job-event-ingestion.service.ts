import { Injectable, Logger, Optional } from '@nestjs/common';
import { In } from 'typeorm';
import { type EventProblem, type JobEvent, parseJobEvent } from '@herald/contracts';
import { Clock } from '../../clock/clock';
import { isUniqueViolation } from '../../database/database-errors';
import { GroupCommit } from '../../database/group-commit';
import { Transactions } from '../../database/transactions';
import { HeraldMetrics } from '../../observability/metrics/herald-metrics';
import { JobEventEntity } from '../entities/job-event.entity';
import type { JobEventsSubscriber } from './job-events-subscriber';

export type IngestSource = 'emitter' | 'graphql' | 'broker';

export interface IngestResult {
  eventId: string;
  /** The event was seen before: acknowledged, nothing planned again. */
  duplicate: boolean;
  /** Deliveries planned (0 for a duplicate). */
  deliveries: number;
}

/** The event can never be processed as it is: do not retry it. */
export class InvalidJobEventError extends Error {
  constructor(readonly problems: EventProblem[]) {
    super(`invalid job event: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
    this.name = 'InvalidJobEventError';
  }
}

/** How many events one transaction records at most. */
const MAX_BATCH = 200;

interface Arrival {
  event: JobEvent;
  source: IngestSource;
}

/**
 * Where every way in (in-process emitter, GraphQL, broker) hands an event over:
 * validate it, and in one transaction record it (the inbox, keyed by event id)
 * and hand it to the subscribers (notifications plans one delivery per recipient
 * in that transaction). Resolves only after commit; an event id seen before is
 * acknowledged and ignored.
 *
 * Events that arrive together are recorded together (group commit): one
 * transaction for all that came in while the previous one ran.
 */
@Injectable()
export class JobEventIngestionService {
  private readonly logger = new Logger('Ingestion');
  private readonly inbox: GroupCommit<Arrival, IngestResult>;
  private readonly subscribers: JobEventsSubscriber[] = [];

  constructor(
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    @Optional() private readonly metrics?: HeraldMetrics,
  ) {
    this.inbox = new GroupCommit((arrivals) => this.record(arrivals), { maxBatch: MAX_BATCH });
  }

  /** From now on, new events are handed to `subscriber` as they are recorded. */
  subscribe(subscriber: JobEventsSubscriber): void {
    this.subscribers.push(subscriber);
  }

  async ingest(payload: unknown, source: IngestSource): Promise<IngestResult> {
    const parsed = parseJobEvent(payload);
    if (!parsed.ok) {
      const error = new InvalidJobEventError(parsed.problems);
      // The id is named only if it is valid: an invalid one may be long, or forge lines of the log.
      const id = (payload as { id?: unknown } | null)?.id;
      const shown = typeof id === 'string' && !parsed.problems.some((p) => p.field === 'id') ? id : '(invalid id)';
      this.logger.warn(`rejected event ${shown} from ${source}: ${error.message}`);
      throw error;
    }
    const event = parsed.event;
    let result: IngestResult;
    try {
      result = await this.inbox.add({ event, source });
    } catch (error) {
      // Another process recorded the same event id between our check and our insert.
      if (!isUniqueViolation(error)) throw error;
      result = { eventId: event.id, duplicate: true, deliveries: 0 };
    }
    if (result.duplicate) {
      this.logger.log(`event ${event.id} from ${source} seen before: ignored`);
    } else {
      this.metrics?.eventReceived(event.type, source);
      this.logger.log(`event ${event.id} (${event.type}, application ${event.application.id}) from ${source}: ${result.deliveries} deliveries`);
    }
    return result;
  }

  /** One transaction: the events not seen before go into the inbox, and to the subscribers. */
  private record(arrivals: Arrival[]): Promise<IngestResult[]> {
    return this.transactions.run(async (manager) => {
      const ids = arrivals.map((a) => a.event.id);
      const seen = new Set(
        (await manager.getRepository(JobEventEntity).find({ select: { id: true }, where: { id: In(ids) } })).map((row) => row.id),
      );
      const fresh: Arrival[] = [];
      for (const arrival of arrivals) {
        if (seen.has(arrival.event.id)) continue; // seen before, or twice in this batch
        seen.add(arrival.event.id);
        fresh.push(arrival);
      }
      const deliveries = fresh.map(() => 0);
      for (const subscriber of this.subscribers) {
        const counts = await subscriber.recorded(fresh.map((a) => a.event), manager);
        counts.forEach((count, i) => (deliveries[i] += count));
      }
      const receivedAt = this.clock.date();
      const deliveriesOf = new Map<Arrival, number>();
      const rows = fresh.map((arrival, i) => {
        deliveriesOf.set(arrival, deliveries[i]);
        return { id: arrival.event.id, receivedAt, source: arrival.source };
      });
      if (rows.length) await manager.getRepository(JobEventEntity).insert(rows);
      return arrivals.map((a) => {
        const mine = deliveriesOf.get(a);
        return mine === undefined
          ? { eventId: a.event.id, duplicate: true, deliveries: 0 }
          : { eventId: a.event.id, duplicate: false, deliveries: mine };
      });
    });
  }
}
