import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type EventProblem, type JobEvent, parseJobEvent } from '../../../libs/contracts/src';
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

/** SQLite's and PostgreSQL's word for a duplicate key. */
function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code ?? '';
  return code === '23505' || code.startsWith('SQLITE_CONSTRAINT');
}

/**
 * Where every way in (in-process emitter, GraphQL, broker) hands an event over:
 * validate it, and in one transaction record it (the inbox, keyed by event id)
 * and plan one delivery per recipient (the outbox). Resolves only after commit;
 * an event id seen before is acknowledged and ignored.
 */
@Injectable()
export class JobEventIngestionService {
  private readonly logger = new Logger('Ingestion');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly planner: NotificationPlanner,
    private readonly events: EventEmitter2,
  ) {}

  async ingest(payload: unknown, source: IngestSource): Promise<IngestResult> {
    const parsed = parseJobEvent(payload);
    if (!parsed.ok) {
      const error = new InvalidJobEventError(parsed.problems);
      const id = (payload as { id?: unknown } | null)?.id;
      this.logger.warn(`rejected event ${typeof id === 'string' ? id : '(no id)'} from ${source}: ${error.message}`);
      throw error;
    }
    const event = parsed.event;
    let result: IngestResult;
    try {
      result = await this.record(event, source);
    } catch (error) {
      // Another process recorded the same event id between our check and our insert.
      if (!isUniqueViolation(error)) throw error;
      result = { eventId: event.id, duplicate: true, deliveries: 0 };
    }
    if (result.duplicate) {
      this.logger.log(`event ${event.id} from ${source} seen before: ignored`);
    } else {
      this.logger.log(`event ${event.id} (${event.type}, application ${event.application.id}) from ${source}: ${result.deliveries} deliveries`);
      if (result.deliveries) this.events.emit(NotificationsPlannedEvent.NAME, new NotificationsPlannedEvent(event.id, result.deliveries));
    }
    return result;
  }

  private record(event: JobEvent, source: IngestSource): Promise<IngestResult> {
    return this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(JobEventEntity);
      if (await repo.existsBy({ id: event.id })) return { eventId: event.id, duplicate: true, deliveries: 0 };
      const deliveries = await this.planner.plan(event, manager);
      await repo.insert({
        id: event.id,
        type: event.type,
        schemaVersion: event.schemaVersion,
        applicationId: event.application.id,
        applicationName: event.application.name,
        occurredAt: new Date(event.occurredAt),
        receivedAt: new Date(),
        source,
        recipients: deliveries,
      });
      return { eventId: event.id, duplicate: false, deliveries };
    });
  }
}
