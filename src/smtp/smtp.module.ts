import { Module } from '@nestjs/common';
import { MailerModule } from '@nestjs-modules/mailer';
import { SettingsModule } from '../settings/settings.module';
import { UsersModule } from '../users/users.module';
import { LiveTransport } from './live-transport';
import { RelayLogins } from './relay-login';
import { SmtpGateway } from './smtp-gateway';
import { SendMeTestEmailResolver } from './test-email/send-me-test-email.resolver';
import { SendTestEmailResolver } from './test-email/send-test-email.resolver';
import { SendTestEmailService } from './test-email/send-test-email.service';
import { VerifySmtpSettingsResolver } from './verify-smtp-settings.resolver';

/**
 * The SMTP gateway: the only part of Herald that talks to the relay or knows
 * nodemailer. It turns the settings into a pooled transport, sends, builds MIME
 * messages (mime-message.ts), tells what a failure means, checks the relay step
 * by step and sends the test mail (to any address for an ADMIN, to
 * themselves for anyone).
 */
@Module({
  imports: [
    SettingsModule,
    UsersModule, // a person's own address, for sendMeTestEmail
    // Transporters are added at run time from the live settings (LiveTransport), so none is configured here.
    MailerModule.forRoot({ transports: {} }),
  ],
  providers: [LiveTransport, RelayLogins, SmtpGateway, SendTestEmailService, SendTestEmailResolver, SendMeTestEmailResolver, VerifySmtpSettingsResolver],
  exports: [SmtpGateway],
})
export class SmtpModule {}
