import { Module } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { MailerModule, MailerService } from '@nestjs-modules/mailer';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { QUEUE_STATS, type QueueStats } from '../channels/queue-stats.port';
import { Clock } from '../clock/clock';
import { HeraldConfig } from '../config/herald-config';
import { Transactions } from '../database/transactions';
import { SettingsModule } from '../settings/settings.module';
import { StandbySmtpSettingsService } from '../settings/standby-settings/standby-smtp-settings.service';
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
import { StandbyRelay } from './standby/standby-relay';
import { SmtpThreads } from './thread/smtp-threads';
import { RelayRolesResolver } from './standby/relay-roles.resolver';

/** The standby relay's pool, gateway and health: the primary's classes on the standby's settings and row. */
function standbyRelay(
  mailer: MailerService,
  settings: StandbySmtpSettingsService,
  logins: RelayLogins,
  fallback: FallbackRelay,
  clock: Clock,
  dataSource: DataSource,
  transactions: Transactions,
  config: HeraldConfig,
  events: EventEmitter2,
  queue: QueueStats,
  threads: SmtpThreads,
): StandbyRelay {
  const live = new LiveTransport(mailer, settings, logins, threads);
  const gateway = new SmtpGateway(settings, live, logins, fallback, new SendTestEmailService(live, clock));
  // Its own quota counts (keys `standby.…`): what the primary sent does not use up the standby's minute or day.
  const quota = new RelayQuota(dataSource, transactions, config, 'standby.');
  const health = new RelayHealth(dataSource, transactions, settings, gateway, quota, clock, config, events, queue, { row: 'standby', logName: 'StandbyRelayHealth', announces: false });
  return new StandbyRelay(gateway, health, live);
}

/**
 * The SMTP gateway: the only part of Herald that talks to the relay or knows
 * nodemailer. It turns the settings into a pooled transport, sends, builds MIME
 * messages (mime-message.ts), tells what a failure means, checks the relay step
 * by step and sends the test mail (the email channel's transport-checks answer
 * verifySmtpSettings and sendTestEmail through whichever transport is in use);
 * its relay-health keeps the relay's circuit breaker and pacing
 * (shared by every process through the database); fallback-relay is the second
 * relay (ALERT_SMTP_URL) that carries only the admins' outage mail; standby/ the
 * standby relay's pool, gateway and health (the same classes on its settings), and
 * the two relays' states in relayStatus (primary, standby, sendingThrough).
 */
@Module({
  imports: [
    SettingsModule,
    // Transporters are added at run time from the live settings (LiveTransport), so none is configured here.
    MailerModule.forRoot({ transports: {} }),
    TypeOrmModule.forFeature([RelayHealthEntity, RelayQuotaUsageEntity]),
  ],
  providers: [
    LiveTransport,
    SmtpThreads,
    FallbackRelay,
    RelayLogins,
    SmtpGateway,
    RelayQuota,
    RelayHealth,
    RelayStatusResolver,
    SendTestEmailService,
    {
      provide: StandbyRelay,
      inject: [MailerService, StandbySmtpSettingsService, RelayLogins, FallbackRelay, Clock, getDataSourceToken(), Transactions, HeraldConfig, EventEmitter2, QUEUE_STATS, SmtpThreads],
      useFactory: standbyRelay,
    },
    RelayRolesResolver,
  ],
  exports: [SmtpGateway, RelayHealth, StandbyRelay],
})
export class SmtpModule {}
