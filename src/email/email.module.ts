import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { SettingsModule } from '../settings/settings.module';
import { UsersModule } from '../users/users.module';
import { EmailChannel } from './email-channel';
import { MailPreviewResolver } from './mail-preview/mail-preview.resolver';
import { MailPreviewService } from './mail-preview/mail-preview.service';
import { MessageComposer } from './message-composer';
import { SendMeTestEmailResolver } from './transport-checks/send-me-test-email.resolver';
import { SendTestEmailResolver } from './transport-checks/send-test-email.resolver';
import { VerifySmtpSettingsResolver } from './transport-checks/verify-smtp-settings.resolver';
import { MailTransportsModule } from './transports/mail-transports.module';

/**
 * The email channel (a DeliveryChannel, src/channels) and its mail transport
 * (MAIL_TRANSPORT: the SMTP relay or Microsoft Graph, as the settings say;
 * transports/), with the checks of the way out (verifySmtpSettings, sendTestEmail,
 * sendMeTestEmail: transport-checks/), answered by the transport in use. Admins'
 * previews of mail templates (mail-preview/) are composed here, as mails are.
 */
@Module({
  imports: [
    NotificationsModule,
    SettingsModule,
    UsersModule, // a person's own address, for sendMeTestEmail and previews
    MailTransportsModule,
  ],
  providers: [MessageComposer, EmailChannel, MailPreviewService, MailPreviewResolver, VerifySmtpSettingsResolver, SendTestEmailResolver, SendMeTestEmailResolver],
})
export class EmailModule {}
