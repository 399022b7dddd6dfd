import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailerModule } from '@nestjs-modules/mailer';
import { JobEventsModule } from '../job-events/job-events.module';
import { SettingsModule } from '../settings/settings.module';
import { UsersModule } from '../users/users.module';
import { DeliveriesResolver } from './delivery-log/deliveries.resolver';
import { DeliveriesService } from './delivery-log/deliveries.service';
import { EventDeliveriesResolver } from './delivery-log/event-deliveries.resolver';
import { Dispatcher } from './dispatch/dispatcher';
import { MailComposer } from './dispatch/mail-composer';
import { DeliveryEntity } from './entities/delivery.entity';
import { NotificationEntity } from './entities/notification.entity';
import { DeliveryOutbox } from './outbox/delivery-outbox';
import { DeliveryTakers } from './outbox/delivery-takers';
import { NotificationPlanner } from './planning/notification-planner';
import { MailRenderer } from './rendering/mail-renderer';
import { SendTestEmailResolver } from './test-email/send-test-email.resolver';
import { SendTestEmailService } from './test-email/send-test-email.service';
import { MailTransport } from './transport/mail-transport';

/**
 * Owns everything that sends mail: planning deliveries for the events ingestion
 * records (the outbox), the dispatcher, templates, the live transport, the
 * delivery log and the test mail. Data flows one way: job-events → planning →
 * outbox → dispatch.
 */
@Module({
  imports: [
    SettingsModule,
    UsersModule,
    JobEventsModule,
    TypeOrmModule.forFeature([NotificationEntity, DeliveryEntity]),
    // Transporters are added at run time from the live settings (MailTransport), so none is configured here.
    MailerModule.forRoot({ transports: {} }),
  ],
  providers: [
    MailTransport,
    MailRenderer,
    MailComposer,
    DeliveryOutbox,
    DeliveryTakers,
    Dispatcher,
    NotificationPlanner,
    DeliveriesService,
    DeliveriesResolver,
    EventDeliveriesResolver,
    SendTestEmailService,
    SendTestEmailResolver,
  ],
  exports: [DeliveriesService],
})
export class NotificationsModule {}
