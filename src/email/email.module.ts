import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { SettingsModule } from '../settings/settings.module';
import { EmailChannel } from './email-channel';
import { MessageComposer } from './message-composer';
import { SmtpTransportModule } from './transports/smtp/smtp-transport.module';

/**
 * The email channel (a DeliveryChannel, src/channels) and its mail transport:
 * the SMTP relay (transports/smtp/). Another transport is a folder of its own
 * under transports/ whose module provides MAIL_TRANSPORT, imported here instead.
 */
@Module({
  imports: [NotificationsModule, SettingsModule, SmtpTransportModule],
  providers: [MessageComposer, EmailChannel],
})
export class EmailModule {}
