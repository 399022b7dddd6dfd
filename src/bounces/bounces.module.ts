import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { UsersModule } from '../users/users.module';
import { BounceRecorder } from './recording/bounce-recorder';

/**
 * Bounces: reports of undeliverable mail (DSNs, non-delivery reports) read from the
 * sender's mailbox (mailbox/: a port, one folder per way in) by reports/ (pure
 * parsing), recorded by recording/ on the delivery they are about (BOUNCED, through
 * notifications' DeliveryBounces) and on its address (users' AddressSuspensions).
 */
@Module({
  imports: [NotificationsModule, UsersModule],
  providers: [BounceRecorder],
})
export class BouncesModule {}
