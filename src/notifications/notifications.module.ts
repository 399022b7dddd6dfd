import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JobEventsModule } from '../job-events/job-events.module';
import { SettingsModule } from '../settings/settings.module';
import { SmtpModule } from '../smtp/smtp.module';
import { UsersModule } from '../users/users.module';
import { DeliveriesResolver } from './delivery-log/deliveries.resolver';
import { DeliveriesService } from './delivery-log/deliveries.service';
import { DeliveryBounces } from './delivery-log/delivery-bounces';
import { EventAudienceService } from './delivery-log/event-audience.service';
import { EventsResolver } from './delivery-log/events.resolver';
import { PlannedEventsService } from './delivery-log/planned-events.service';
import { Dispatcher } from './dispatch/dispatcher';
import { MessageComposer } from './dispatch/message-composer';
import { Readers } from './dispatch/readers';
import { MailCap } from './cap/mail-cap';
import { Digests } from './digests/digests';
import { CapWindowEntity } from './entities/cap-window.entity';
import { DeliveryEventEntity } from './entities/delivery-event.entity';
import { DigestEntryEntity } from './entities/digest-entry.entity';
import { DigestEntity } from './entities/digest.entity';
import { DeliveryEntity } from './entities/delivery.entity';
import { JobFailureEntity } from './entities/job-failure.entity';
import { JobOutcomeEntity } from './entities/job-outcome.entity';
import { NotificationEntity } from './entities/notification.entity';
import { JobHistory } from './history/job-history';
import { DeliveryOutbox } from './outbox/delivery-outbox';
import { DeliveryQueueStats } from './outbox/delivery-queue-stats';
import { DeliveryTakers } from './outbox/delivery-takers';
import { NotificationPlanner } from './planning/notification-planner';
import { PreferenceLinks } from './preference-links/preference-links';
import { PreferencesPageController } from './preferences-page/preferences-page.controller';
import { PreferencesPageService } from './preferences-page/preferences-page.service';
import { PreferencesPageView } from './preferences-page/preferences-page.view';
import { UsedLinkEntity } from './preferences-page/used-link.entity';
import { MailRenderer } from './rendering/mail-renderer';

/**
 * Owns the notifications: planning deliveries for the events ingestion records
 * (the outbox), the dispatcher, templates, the delivery log, and the signed
 * preferences links of each mail with the page they open. Mail goes out through
 * the SMTP gateway. Data flows one way: job-events → planning → outbox → dispatch.
 */
@Module({
  imports: [
    SettingsModule,
    SmtpModule,
    UsersModule,
    JobEventsModule,
    TypeOrmModule.forFeature([NotificationEntity, DeliveryEntity, DeliveryEventEntity, UsedLinkEntity, JobOutcomeEntity, JobFailureEntity, DigestEntryEntity, DigestEntity, CapWindowEntity]),
  ],
  controllers: [PreferencesPageController],
  providers: [
    PreferenceLinks,
    PreferencesPageService,
    PreferencesPageView,
    MailRenderer,
    MessageComposer,
    DeliveryOutbox,
    DeliveryQueueStats, // the queue's numbers for observability (/metrics, relay alerts)
    DeliveryTakers,
    Readers, // who still receives a batch, asked again just before it is sent
    Dispatcher,
    JobHistory,
    Digests,
    MailCap,
    NotificationPlanner,
    DeliveriesService,
    DeliveryBounces, // for src/bounces: the delivery a report is about, marked BOUNCED
    PlannedEventsService,
    DeliveriesResolver,
    EventsResolver,
    EventAudienceService,
  ],
  exports: [DeliveriesService, DeliveryBounces],
})
export class NotificationsModule {}
