import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AudiencesModule } from '../audiences/audiences.module';
import { ChannelsModule } from '../channels/channels.module';
import { JobEventsModule } from '../job-events/job-events.module';
import { SettingsModule } from '../settings/settings.module';
import { UsersModule } from '../users/users.module';
import { DeliveriesResolver } from './delivery-log/deliveries.resolver';
import { DeliveriesService } from './delivery-log/deliveries.service';
import { DeliveryBounces } from './delivery-log/delivery-bounces';
import { EventAudienceService } from './delivery-log/event-audience.service';
import { EventsResolver } from './delivery-log/events.resolver';
import { PlannedEventsService } from './delivery-log/planned-events.service';
import { Dispatcher } from './dispatch/dispatcher';
import { CapWindows } from './cap/cap-windows';
import { Readers } from './dispatch/readers';
import { MailCap } from './cap/mail-cap';
import { DigestEntries } from './digests/digest-entries';
import { Digests } from './digests/digests';
import { DayBudgetFold } from './dispatch/day-budget-fold';
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
import { DeliveryContents } from './outbox/delivery-contents';
import { DELIVERY_TAKER } from './outbox/delivery-taker';
import { NotificationPlanner } from './planning/notification-planner';
import { PreferenceLinks } from './preference-links/preference-links';
import { PreferencesPageController } from './preferences-page/preferences-page.controller';
import { PreferencesPageService } from './preferences-page/preferences-page.service';
import { SubscriptionSectionView } from './preferences-page/subscription-section.view';
import { PreferencesPageView } from './preferences-page/preferences-page.view';
import { UsedLinkEntity } from './preferences-page/used-link.entity';
import { MailBrandingResolver } from './mail-branding/mail-branding.resolver';
import { MailBrandingService } from './mail-branding/mail-branding.service';
import { MailTemplatesResolver } from './mail-templates/mail-templates.resolver';
import { MailTemplatesService } from './mail-templates/mail-templates.service';
import { MailRenderer } from './rendering/mail-renderer';
import { DatabaseTemplateSource } from './rendering/sources/database/database-template-source';
import { MailBrandingEntity } from './rendering/sources/database/mail-branding.entity';
import { MailTemplateVersionEntity } from './rendering/sources/database/mail-template-version.entity';
import { TEMPLATE_SOURCE } from './rendering/template-source';

/**
 * Owns the notifications: planning deliveries for the events ingestion records
 * (the outbox), the dispatcher, templates (admins' too: mail-templates/), the delivery log, and the signed
 * preferences links of each mail with the page they open. Deliveries go out
 * through the channels other modules register (src/channels; email: src/email).
 * Data flows one way: job-events → planning → outbox → dispatch → channels.
 * What modules that must not import it read of it, NotificationsPortsModule provides.
 */
@Module({
  imports: [
    SettingsModule,
    ChannelsModule,
    AudiencesModule,
    UsersModule,
    JobEventsModule,
    TypeOrmModule.forFeature([NotificationEntity, DeliveryEntity, DeliveryEventEntity, UsedLinkEntity, JobOutcomeEntity, JobFailureEntity, DigestEntryEntity, DigestEntity, CapWindowEntity, MailTemplateVersionEntity, MailBrandingEntity]),
  ],
  controllers: [PreferencesPageController],
  providers: [
    PreferenceLinks,
    PreferencesPageService,
    PreferencesPageView,
    SubscriptionSectionView,
    DatabaseTemplateSource, // the files as shipped, with admins' templates and branding over them
    { provide: TEMPLATE_SOURCE, useExisting: DatabaseTemplateSource },
    MailRenderer,
    MailTemplatesService,
    MailTemplatesResolver,
    MailBrandingService,
    MailBrandingResolver,
    DeliveryOutbox,
    DeliveryContents,
    DeliveryQueueStats,
    Readers, // who still receives a batch, asked again just before it is sent
    Dispatcher,
    DayBudgetFold, // the mails beyond the day's budget, folded into summaries (the dispatcher, on the channel's hold)
    { provide: DELIVERY_TAKER, useExisting: Dispatcher },
    JobHistory,
    DigestEntries,
    Digests,
    CapWindows,
    MailCap,
    NotificationPlanner,
    DeliveriesService,
    DeliveryBounces, // for src/bounces: the delivery a report is about, marked BOUNCED
    PlannedEventsService,
    DeliveriesResolver,
    EventsResolver,
    EventAudienceService,
  ],
  // MailRenderer and PreferenceLinks: for the email channel; the planner, the cap and the queue's numbers: for NotificationsPortsModule.
  exports: [DeliveriesService, MailRenderer, PreferenceLinks, NotificationPlanner, MailCap, DeliveryQueueStats, MailTemplatesService, DeliveryContents, DeliveryBounces],
})
export class NotificationsModule {}
