import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SettingsModule } from '../settings/settings.module';
import { SmtpModule } from '../smtp/smtp.module';
import { UsersModule } from '../users/users.module';
import { DeliveriesResolver } from './delivery-log/deliveries.resolver';
import { DeliveriesService } from './delivery-log/deliveries.service';
import { DeliveryOutbox } from './dispatch/delivery-outbox';
import { Dispatcher } from './dispatch/dispatcher';
import { MessageComposer } from './dispatch/message-composer';
import { DeliveryEntity } from './entities/delivery.entity';
import { NotificationEntity } from './entities/notification.entity';
import { NotificationPlanner } from './planning/notification-planner';
import { MailRenderer } from './rendering/mail-renderer';

/**
 * Owns the notifications: planning deliveries (the outbox), the dispatcher,
 * templates and the delivery log. Mail goes out through the SMTP gateway.
 */
@Module({
  imports: [
    SettingsModule,
    SmtpModule,
    UsersModule,
    TypeOrmModule.forFeature([NotificationEntity, DeliveryEntity]),
  ],
  providers: [
    MailRenderer,
    MessageComposer,
    DeliveryOutbox,
    Dispatcher,
    NotificationPlanner,
    DeliveriesService,
    DeliveriesResolver,
  ],
  exports: [NotificationPlanner, DeliveriesService, Dispatcher],
})
export class NotificationsModule {}
