import { Module } from '@nestjs/common';
import { MailerModule } from '@nestjs-modules/mailer';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SettingsModule } from '../settings/settings.module';
import { FallbackRelay } from './fallback-relay';
import { LiveTransport } from './live-transport';
import { RelayQuota } from './quota/relay-quota';
import { RelayQuotaUsageEntity } from './quota/relay-quota-usage.entity';
import { RelayHealth } from './relay-health/relay-health';
import { RelayHealthEntity } from './relay-health/relay-health.entity';
import { RelayStatusResolver } from './relay-health/relay-status.resolver';
import { RelayLogins } from './relay-login';
import { SmtpGateway } from './smtp-gateway';
import { SendTestEmailService } from './test-email/send-test-email.service';

/**
 * The SMTP gateway: the only part of Herald that talks to the relay or knows
 * nodemailer. It turns the settings into a pooled transport, sends, builds MIME
 * messages (mime-message.ts), tells what a failure means, checks the relay step
 * by step and sends the test mail (the email channel's transport-checks answer
 * verifySmtpSettings and sendTestEmail through whichever transport is in use);
 * its relay-health keeps the relay's circuit breaker and pacing
 * (shared by every process through the database); fallback-relay is the second
 * relay (ALERT_SMTP_URL) that carries only the admins' outage mail.
 */
@Module({
  imports: [
    SettingsModule,
    // Transporters are added at run time from the live settings (LiveTransport), so none is configured here.
    MailerModule.forRoot({ transports: {} }),
    TypeOrmModule.forFeature([RelayHealthEntity, RelayQuotaUsageEntity]),
  ],
  providers: [LiveTransport, FallbackRelay, RelayLogins, SmtpGateway, RelayQuota, RelayHealth, RelayStatusResolver, SendTestEmailService],
  exports: [SmtpGateway, RelayHealth],
})
export class SmtpModule {}
