import { Module } from '@nestjs/common';
import { MailerModule } from '@nestjs-modules/mailer';
import { SettingsModule } from '../settings/settings.module';
import { SendTestEmailResolver } from './test-email/send-test-email.resolver';
import { SendTestEmailService } from './test-email/send-test-email.service';
import { MailTransport } from './transport/mail-transport';

/** Owns everything that sends mail: the live transport, the test mail, (later) deliveries. */
@Module({
  imports: [
    SettingsModule,
    // Transporters are added at run time from the live settings (MailTransport), so none is configured here.
    MailerModule.forRoot({ transports: {} }),
  ],
  providers: [MailTransport, SendTestEmailService, SendTestEmailResolver],
  exports: [MailTransport],
})
export class NotificationsModule {}
