import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailerModule } from '@nestjs-modules/mailer';
import { SettingsModule } from '../settings/settings.module';
import { UsersModule } from '../users/users.module';
import { DeliveriesResolver } from './delivery-log/deliveries.resolver';
import { DeliveriesService } from './delivery-log/deliveries.service';
import { PlannedEventsService } from './delivery-log/planned-events.service';
import { DeliveryOutbox } from './dispatch/delivery-outbox';
import { Dispatcher } from './dispatch/dispatcher';
import { MailComposer } from './dispatch/mail-composer';
import { DeliveryEventEntity } from './entities/delivery-event.entity';
import { DeliveryEntity } from './entities/delivery.entity';
import { NotificationEntity } from './entities/notification.entity';
import { NotificationPlanner } from './planning/notification-planner';
import { MailRenderer } from './rendering/mail-renderer';
import { SendTestEmailResolver } from './test-email/send-test-email.resolver';
import { SendTestEmailService } from './test-email/send-test-email.service';
import { MailTransport } from './transport/mail-transport';

/**
 * Owns everything that sends mail: planning deliveries (the outbox), the
 * dispatcher, templates, the live transport, the delivery log and the test mail.
 */
@Module({
  imports: [
    SettingsModule,
    UsersModule,
    TypeOrmModule.forFeature([NotificationEntity, DeliveryEntity, DeliveryEventEntity]),
    // Transporters are added at run time from the live settings (MailTransport), so none is configured here.
    MailerModule.forRoot({ transports: {} }),
  ],
  providers: [
    MailTransport,
    MailRenderer,
    MailComposer,
    DeliveryOutbox,
    Dispatcher,
    NotificationPlanner,
    DeliveriesService,
    PlannedEventsService,
    DeliveriesResolver,
    SendTestEmailService,
    SendTestEmailResolver,
  ],
  exports: [NotificationPlanner, DeliveriesService, PlannedEventsService, Dispatcher],
})
export class NotificationsModule {}
