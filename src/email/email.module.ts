import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { SettingsModule } from '../settings/settings.module';
import { UsersModule } from '../users/users.module';
import { EmailChannel } from './email-channel';
import { MailPreviewResolver } from './mail-preview/mail-preview.resolver';
import { MailPreviewService } from './mail-preview/mail-preview.service';
import { MessageComposer } from './message-composer';
import { SmtpTransportModule } from './transports/smtp/smtp-transport.module';

/**
 * The email channel (a DeliveryChannel, src/channels) and its mail transport:
 * the SMTP relay (transports/smtp/). Another transport is a folder of its own
 * under transports/ whose module provides MAIL_TRANSPORT, imported here instead.
 * Admins' previews of mail templates (mail-preview/) are composed here, as mails are.
 */
@Module({
  imports: [NotificationsModule, SettingsModule, UsersModule, SmtpTransportModule],
  providers: [MessageComposer, EmailChannel, MailPreviewService, MailPreviewResolver],
})
export class EmailModule {}
