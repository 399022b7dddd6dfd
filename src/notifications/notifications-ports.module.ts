import { Global, Module } from '@nestjs/common';
import { QUEUE_STATS } from '../channels/queue-stats.port';
import { JOB_EVENTS_SUBSCRIBERS } from '../job-events/ingestion/job-events-subscriber';
import { MAIL_CAP_STATE } from '../users/frequency/mail-cap-state';
import { MailCap } from './cap/mail-cap';
import { NotificationsModule } from './notifications.module';
import { DeliveryQueueStats } from './outbox/delivery-queue-stats';
import { NotificationPlanner } from './planning/notification-planner';

/**
 * What notifications provides to modules that must not import it (the data flows
 * the other way), as injection tokens those modules define or share:
 * - JOB_EVENTS_SUBSCRIBERS (job-events): the planner, handed each batch of new events in its transaction;
 * - MAIL_CAP_STATE (users): who the mail cap holds back now, for recipientsPreview;
 * - QUEUE_STATS (src/channels): the outbox's queue, for observability and the relay's status.
 * A module that injects one of them without this one imported fails at start, naming the token.
 *
 * Global, and without lifecycle hooks of its own: a global module's hooks run
 * first, while NotificationsModule's (the dispatcher's start) must run after the
 * modules it imports (the settings' seeding).
 */
@Global()
@Module({
  imports: [NotificationsModule],
  providers: [
    { provide: JOB_EVENTS_SUBSCRIBERS, useFactory: (planner: NotificationPlanner) => [planner], inject: [NotificationPlanner] },
    { provide: MAIL_CAP_STATE, useExisting: MailCap },
    { provide: QUEUE_STATS, useExisting: DeliveryQueueStats },
  ],
  exports: [JOB_EVENTS_SUBSCRIBERS, MAIL_CAP_STATE, QUEUE_STATS],
})
export class NotificationsPortsModule {}
