import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NotificationsModule } from '../notifications/notifications.module';
import { SettingsModule } from '../settings/settings.module';
import { SmtpModule } from '../smtp/smtp.module';
import { UsersModule } from '../users/users.module';
import { SuspensionSummary } from './alerts/suspension-summary';
import { ReportMailboxHealth } from './mailbox-status/report-mailbox-health';
import { ReportMailboxStateEntity } from './mailbox-status/report-mailbox-state.entity';
import { ReportMailboxStatusResolver } from './mailbox-status/report-mailbox-status.resolver';
import { GraphReportMailboxOpener } from './mailbox/graph/graph-report-mailbox';
import { ImapReportMailboxOpener } from './mailbox/imap/imap-report-mailbox';
import { REPORT_MAILBOX_OPENERS, type ReportMailboxOpener } from './mailbox/report-mailbox';
import { BounceReportEntity } from './processing/bounce-report.entity';
import { ReportClaims } from './processing/report-claims';
import { ReportPoller } from './processing/report-poller';
import { BounceRecorder } from './recording/bounce-recorder';

/**
 * Bounces: reports of undeliverable mail (DSNs, non-delivery reports) in the
 * sender's mailbox. mailbox/ is the port, one folder per way in (imap/, graph/:
 * Microsoft Graph), each one more opener here; processing/ polls it and
 * claims each report once across processes; reports/ reads a report (pure);
 * recording/ marks its delivery BOUNCED (notifications' DeliveryBounces) and
 * counts its address (users' AddressSuspensions); mailbox-status/ is
 * relayStatus.reportMailbox; alerts/ tells the admins of suspended addresses once a look.
 */
@Module({
  imports: [NotificationsModule, UsersModule, SettingsModule, SmtpModule, TypeOrmModule.forFeature([BounceReportEntity, ReportMailboxStateEntity])],
  providers: [
    ImapReportMailboxOpener,
    GraphReportMailboxOpener,
    { provide: REPORT_MAILBOX_OPENERS, inject: [ImapReportMailboxOpener, GraphReportMailboxOpener], useFactory: (...openers: ReportMailboxOpener[]) => openers },
    ReportClaims,
    ReportMailboxHealth,
    ReportMailboxStatusResolver,
    BounceRecorder,
    ReportPoller,
    SuspensionSummary,
  ],
})
export class BouncesModule {}
