import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { In } from 'typeorm';
import { type EventProblem, type JobEvent, parseJobEvent } from '../../../libs/contracts/src';
import { isUniqueViolation } from '../../database/database-errors';
import { GroupCommit } from '../../database/group-commit';
import { Transactions } from '../../database/transactions';
import { NotificationPlanner } from '../../notifications/planning/notification-planner';
import { NotificationsPlannedEvent } from '../../notifications/planning/notifications-planned.event';
import { JobEventEntity } from '../entities/job-event.entity';

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

interface Recorded {
  result: IngestResult;
  /** What the planner planned, to announce once the transaction has committed. */
  planned?: NotificationsPlannedEvent;
}

/**
 * Where every way in (in-process emitter, GraphQL, broker) hands an event over:
 * validate it, and in one transaction record it (the inbox, keyed by event id)
 * and plan one delivery per recipient (the outbox). Resolves only after commit;
 * an event id seen before is acknowledged and ignored.
 *
 * Events that arrive together are recorded together (group commit): one
 * transaction for all that came in while the previous one ran.
 */
@Injectable()
export class JobEventIngestionService {
  private readonly logger = new Logger('Ingestion');
  private readonly inbox: GroupCommit<Arrival, Recorded>;

  constructor(
    private readonly transactions: Transactions,
    private readonly planner: NotificationPlanner,
    private readonly events: EventEmitter2,
  ) {
    this.inbox = new GroupCommit((arrivals) => this.record(arrivals), { maxBatch: MAX_BATCH });
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
    let recorded: Recorded;
    try {
      recorded = await this.inbox.add({ event, source });
    } catch (error) {
      // Another process recorded the same event id between our check and our insert.
      if (!isUniqueViolation(error)) throw error;
      recorded = { result: { eventId: event.id, duplicate: true, deliveries: 0 } };
    }
    const { result, planned } = recorded;
    if (result.duplicate) {
      this.logger.log(`event ${event.id} from ${source} seen before: ignored`);
    } else {
      this.logger.log(`event ${event.id} (${event.type}, application ${event.application.id}) from ${source}: ${result.deliveries} deliveries`);
      if (planned?.deliveries) this.events.emit(NotificationsPlannedEvent.NAME, planned);
    }
    return result;
  }

  /** One transaction: the events not seen before go into the inbox, with their deliveries. */
  private record(arrivals: Arrival[]): Promise<Recorded[]> {
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
      const planned = await this.planner.plan(fresh.map((a) => a.event), manager);
      const receivedAt = new Date();
      const plannedFor = new Map<Arrival, NotificationsPlannedEvent>();
      const rows = fresh.map((arrival, i) => {
        plannedFor.set(arrival, planned[i]);
        return { id: arrival.event.id, receivedAt, source: arrival.source };
      });
      if (rows.length) await manager.getRepository(JobEventEntity).insert(rows);
      return arrivals.map((a) => {
        const mine = plannedFor.get(a);
        return mine
          ? { result: { eventId: a.event.id, duplicate: false, deliveries: mine.deliveries }, planned: mine }
          : { result: { eventId: a.event.id, duplicate: true, deliveries: 0 } };
      });
    });
  }
}
