import { Injectable, Logger } from '@nestjs/common';
import { type ApplicationCreatedEvent, JobEventType } from '@herald/contracts';
import { Clock } from '../../clock/clock';
import { Transactions } from '../../database/transactions';
import { NotificationType, type NotifiedEvent } from '../../event-types/notification-type';
import { JobEventIngestionService } from '../../job-events/ingestion/job-event-ingestion.service';
import { NotificationTargets, type SendableTarget } from '../notification-targets';

/** Why a target whose webhook answered `status` (404, 410) is disabled: its disabledReason. */
export function disabledReasonOf(status: number): string {
  return `the webhook answered ${status}: it was deleted`;
}

/**
 * A webhook answered 404 or 410: it was deleted (the team removed the workflow or
 * the app). The target is disabled — once, whichever process or delivery sees it
 * first (a conditional UPDATE) — and, in the same transaction, Herald records its
 * own TARGET_DISABLED event about the application (src/event-types/target-disabled/),
 * which planning turns into deliveries like any event: the managers get it by
 * default (their preferences apply), through the outbox, so a relay that is down
 * delays the notice (WAITING, retries) but never loses it. Never rejects.
 */
@Injectable()
export class TargetDisabler {
  private readonly logger = new Logger('NotificationTargets');

  constructor(
    private readonly targets: NotificationTargets,
    private readonly transactions: Transactions,
    private readonly ingestion: JobEventIngestionService,
    private readonly clock: Clock,
  ) {}

  /** Disables the target and records the notice; true when this call did. */
  async disable(target: SendableTarget, status: number, applicationName: string): Promise<boolean> {
    const reason = disabledReasonOf(status);
    try {
      const deliveries = await this.transactions.run(async (manager) => {
        if (!(await this.targets.disable(target.id, reason, manager))) return null;
        return this.ingestion.recordWithin(manager, this.notice(target, status, applicationName));
      });
      if (deliveries === null) return false;
      this.logger.warn(`target ${target.id} of application ${target.applicationId} (${target.kind}, ${target.host}) disabled: ${reason}; ${deliveries} notice(s) planned`);
      return true;
    } catch (error) {
      this.logger.error(`could not disable target ${target.id} (${target.host}): ${(error as Error).message.split('\n')[0]}`);
      return false;
    }
  }

  /** Herald's own event: the application's, delivered as TARGET_DISABLED; its id names the target and the moment. */
  private notice(target: SendableTarget, status: number, applicationName: string): ApplicationCreatedEvent & NotifiedEvent {
    const occurredAt = this.clock.date().toISOString();
    return {
      schemaVersion: 1,
      id: `herald-target-disabled-${target.id}-${Date.parse(occurredAt)}`,
      type: JobEventType.APPLICATION_CREATED,
      occurredAt,
      application: { id: target.applicationId, name: applicationName },
      history: { deliveredAs: NotificationType.TARGET_DISABLED, failuresInRow: 0, disabledTarget: { id: target.id, name: target.name, kind: target.kind, host: target.host, status } },
    };
  }
}
