import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
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
import { PreferenceLinks } from './preference-links/preference-links';
import { PreferencesPageController } from './preferences-page/preferences-page.controller';
import { PreferencesPageService } from './preferences-page/preferences-page.service';
import { PreferencesPageView } from './preferences-page/preferences-page.view';
import { UsedLinkEntity } from './preferences-page/used-link.entity';
import { MailRenderer } from './rendering/mail-renderer';

/**
 * Owns the notifications: planning deliveries (the outbox), the dispatcher,
 * templates, the delivery log, and the signed preferences links of each mail
 * with the page they open. Mail goes out through the SMTP gateway.
 */
@Module({
  imports: [
    SmtpModule,
    UsersModule,
    TypeOrmModule.forFeature([NotificationEntity, DeliveryEntity, UsedLinkEntity]),
  ],
  controllers: [PreferencesPageController],
  providers: [
    PreferenceLinks,
    PreferencesPageService,
    PreferencesPageView,
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
