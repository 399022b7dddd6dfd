import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { type EventProblem, fitsLength, isIdentifierText, type JobEvent, parseJobEvent } from '@herald/contracts';
import { Clock } from '../../clock/clock';
import type { EntityManager } from 'typeorm';
import { GroupCommit } from '../../database/group-commit';
import { Transactions } from '../../database/transactions';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import { JobEventInbox } from './job-event-inbox';
import { JOB_EVENTS_SUBSCRIBERS, type JobEventsSubscriber } from './job-events-subscriber';

export type IngestSource = 'emitter' | 'graphql' | 'http' | 'broker';

export interface IngestResult {
  eventId: string;
  /** The event was seen before: acknowledged, nothing planned again. */
  duplicate: boolean;
  /** Deliveries planned (0 for a duplicate). */
  deliveries: number;
}

/** What became of one event of several: its result, or why it was refused (then `result` is null). */
export interface IngestOutcome {
  /** Where the event is among them, from 0. */
  index: number;
  result: IngestResult | null;
  problems: EventProblem[];
}

/** The event can never be processed as it is: do not retry it. */
export class InvalidJobEventError extends Error {
  constructor(readonly problems: EventProblem[]) {
    super(`invalid job event: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
    this.name = 'InvalidJobEventError';
  }
}

/** The wire format's longest event id (JobEventBase.id). */
const EVENT_ID_MAX_LENGTH = 128;

/** How many events one transaction records at most. */
const MAX_BATCH = 200;

interface Arrival {
  event: JobEvent;
  source: IngestSource;
}

/**
 * Where every way in (in-process emitter, GraphQL, HTTP, broker) hands an event over:
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
  /** Arrivals recorded together, one transaction per group. */
  private readonly arrivals: GroupCommit<Arrival, IngestResult>;

  constructor(
    private readonly inbox: JobEventInbox,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    @Inject(JOB_EVENTS_SUBSCRIBERS) private readonly subscribers: readonly JobEventsSubscriber[],
    @Optional() private readonly metrics?: HeraldMetrics,
  ) {
    this.arrivals = new GroupCommit((arrivals) => this.record(arrivals), { maxBatch: MAX_BATCH });
  }

  async ingest(payload: unknown, source: IngestSource): Promise<IngestResult> {
    const parsed = parseJobEvent(payload);
    if (!parsed.ok) {
      const error = new InvalidJobEventError(parsed.problems);
      // The id is named only if it is valid: an invalid one may be long, or forge lines of the log.
      // (Checked here: an event of an unknown type is refused before its id is looked at.)
      const id = (payload as { id?: unknown } | null)?.id;
      const valid = typeof id === 'string' && id !== '' && fitsLength(id, EVENT_ID_MAX_LENGTH) && isIdentifierText(id) && !parsed.problems.some((p) => p.field === 'id');
      const shown = valid ? id : '(invalid id)';
      this.logger.warn(`rejected event ${shown} from ${source}: ${error.message}`);
      throw error;
    }
    const event = parsed.event;
    for (const { field, cut } of parsed.shortened) this.logger.log(`event ${event.id} from ${source}: ${field} shortened to its end, ${cut} characters cut`);
    const result = await this.arrivals.add({ event, source });
    if (result.duplicate) {
      this.logger.log(`event ${event.id} from ${source} seen before: ignored`);
    } else {
      this.metrics?.eventReceived(event.type, source);
      this.logger.log(`event ${event.id} (${event.type}, application ${event.application.id}) from ${source}: ${result.deliveries} deliveries`);
    }
    return result;
  }

  /**
   * Several events, each answered on its own, in order. They are ingested together,
   * so they share the group commit (a few transactions for all instead of one per
   * event); an invalid event is refused alone. Anything else (the database
   * unavailable, …) fails them all: ingesting them again is safe, the events
   * recorded meanwhile answer duplicate.
   */
  async ingestEach(payloads: unknown[], source: IngestSource): Promise<IngestOutcome[]> {
    const settled = await Promise.allSettled(payloads.map((payload) => this.ingest(payload, source)));
    const failure = settled.find((s) => s.status === 'rejected' && !(s.reason instanceof InvalidJobEventError));
    if (failure) throw (failure as PromiseRejectedResult).reason;
    return settled.map((s, index) =>
      s.status === 'fulfilled' ? { index, result: s.value, problems: [] } : { index, result: null, problems: (s.reason as InvalidJobEventError).problems },
    );
  }

  /**
   * Records an event of Herald's own (a notice, e.g. TARGET_DISABLED: an event of
   * the wire format's shape with `history.deliveredAs`) in the caller's transaction,
   * so that it is planned — and mailed, retried, logged — if and only if what it
   * tells of commits. Not parsed: Herald writes it. Returns the deliveries planned
   * (0 if its id was seen before).
   */
  async recordWithin(manager: EntityManager, event: JobEvent): Promise<number> {
    const written = await this.inbox.record(manager, [{ id: event.id, source: 'herald' }], this.clock.date());
    if (!written.has(event.id)) return 0;
    let deliveries = 0;
    for (const subscriber of this.subscribers) deliveries += (await subscriber.recorded([event], manager))[0] ?? 0;
    this.transactions.afterCommit(manager, () => this.logger.log(`event ${event.id} (Herald's own, application ${event.application.id}): ${deliveries} deliveries`));
    return deliveries;
  }

  /** One transaction: the events not seen before go into the inbox, and to the subscribers. */
  private record(arrivals: Arrival[]): Promise<IngestResult[]> {
    return this.transactions.run(async (manager) => {
      // The first of a batch's arrivals with an id is the one recorded; the others, duplicates.
      const first = new Map<string, Arrival>();
      for (const arrival of arrivals) if (!first.has(arrival.event.id)) first.set(arrival.event.id, arrival);
      const written = await this.inbox.record(manager, [...first.values()].map((a) => ({ id: a.event.id, source: a.source })), this.clock.date());
      const fresh = [...first.values()].filter((a) => written.has(a.event.id));
      const deliveries = new Map<Arrival, number>(fresh.map((a) => [a, 0]));
      for (const subscriber of this.subscribers) {
        const counts = await subscriber.recorded(fresh.map((a) => a.event), manager);
        counts.forEach((count, i) => deliveries.set(fresh[i], deliveries.get(fresh[i])! + count));
      }
      return arrivals.map((a) => {
        const mine = deliveries.get(a);
        return mine === undefined ? { eventId: a.event.id, duplicate: true, deliveries: 0 } : { eventId: a.event.id, duplicate: false, deliveries: mine };
      });
    });
  }
}
