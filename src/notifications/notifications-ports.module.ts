import { Global, Module } from '@nestjs/common';
import { QUEUE_STATS } from '../channels/queue-stats.port';
import { NotificationsModule } from './notifications.module';
import { DeliveryQueueStats } from './outbox/delivery-queue-stats';

/**
 * What notifications provides to modules that must not import it (the data flows
 * the other way), as injection tokens those modules define or share:
 * - QUEUE_STATS (src/channels): the outbox's queue, for observability and the relay's status.
 *
 * Global, and without lifecycle hooks of its own: a global module's hooks run
 * first, while NotificationsModule's (the dispatcher's start) must run after the
 * modules it imports (the settings' seeding).
 */
@Global()
@Module({
  imports: [NotificationsModule],
  providers: [{ provide: QUEUE_STATS, useExisting: DeliveryQueueStats }],
  exports: [QUEUE_STATS],
})
export class NotificationsPortsModule {}
