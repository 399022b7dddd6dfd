import { Module } from '@nestjs/common';
import { SettingsModule } from '../../settings/settings.module';
import { SmtpModule } from '../../smtp/smtp.module';
import { MAIL_TRANSPORT } from '../mail-transport.port';
import { FailoverTransport } from './failover-transport';
import { GraphTransportModule } from './graph/graph-transport.module';
import { SelectedTransport } from './selected-transport';
import { SmtpTransportModule } from './smtp/smtp-transport.module';
import { StandbyTransportModule } from './standby/standby-transport.module';

/**
 * The mail transports, one folder each (smtp/, graph/), and MAIL_TRANSPORT: the
 * one the live settings select (SelectedTransport), or the standby relay's
 * (standby/) while it is down (FailoverTransport). A new transport is a folder
 * whose module is imported here, and one case in SelectedTransport.
 */
@Module({
  imports: [SettingsModule, SmtpModule, SmtpTransportModule, GraphTransportModule, StandbyTransportModule],
  providers: [SelectedTransport, FailoverTransport, { provide: MAIL_TRANSPORT, useExisting: FailoverTransport }],
  exports: [MAIL_TRANSPORT],
})
export class MailTransportsModule {}
