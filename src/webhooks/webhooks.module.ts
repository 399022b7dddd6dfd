import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JobEventsModule } from '../job-events/job-events.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { SettingsModule } from '../settings/settings.module';
import { UsersModule } from '../users/users.module';
import { TargetAudience } from './audience/target-audience';
import { TargetDisabler } from './dead-targets/target-disabler';
import { ChatMessageWriter } from './messages/chat-message';
import { NotificationTargetEntity } from './notification-target.entity';
import { NotificationTargets } from './notification-targets';
import { AddressRules } from './sending/address-rules';
import { TargetPacing } from './sending/target-pacing';
import { TargetSender } from './sending/target-sender';
import { WebhookHttp } from './sending/webhook-http';
import { SignedWebhookChannel } from './signed/signed-webhook-channel';
import { SlackChannel } from './slack/slack-channel';
import { TargetAccess } from './target-access';
import { NotificationTargetsResolver } from './targets/notification-targets.resolver';
import { NotificationTargetsService } from './targets/notification-targets.service';
import { TeamsChannel } from './teams/teams-channel';
import { TestNotificationTargetResolver } from './test-message/test-notification-target.resolver';
import { TestNotificationTargetService } from './test-message/test-notification-target.service';

/**
 * Notification targets: an application's Microsoft Teams and Slack channels and
 * signed webhooks — an audience source (audience/: who gets what, rechecked at send
 * time) — and the three delivery channels that post to them (teams/,
 * slack/, signed/: each a DeliveryChannel, src/channels), sharing the way they
 * send (sending/: SSRF rules, HTTP, pacing, what an answer means) and the
 * messages they write (messages/). targets/: add, remove, list; test-message/:
 * testNotificationTarget; dead-targets/: a deleted webhook disables its target and
 * the managers are told (a TARGET_DISABLED event, through the outbox).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([NotificationTargetEntity]),
    SettingsModule, // the secret cipher, the gateway URI, the mail defaults
    UsersModule, // applications, memberships (who may manage targets), managers' addresses
    NotificationsModule, // MailRenderer: the words of a message are a mail's
    JobEventsModule, // a disabled target's notice: Herald's own event, recorded with the disable
  ],
  providers: [
    NotificationTargets,
    TargetAccess,
    AddressRules,
    WebhookHttp,
    TargetPacing,
    TargetSender,
    TargetDisabler,
    ChatMessageWriter,
    NotificationTargetsService,
    NotificationTargetsResolver,
    TestNotificationTargetService,
    TestNotificationTargetResolver,
    TargetAudience,
    TeamsChannel,
    SlackChannel,
    SignedWebhookChannel,
  ],
})
export class WebhooksModule {}
