import { Module } from '@nestjs/common';
import { SettingsModule } from '../../settings/settings.module';
import { SmtpModule } from '../../smtp/smtp.module';
import { MAIL_TRANSPORT } from '../mail-transport.port';
import { GraphTransportModule } from './graph/graph-transport.module';
import { SelectedTransport } from './selected-transport';
import { SmtpTransportModule } from './smtp/smtp-transport.module';

/**
 * The mail transports, one folder each (smtp/, graph/), and MAIL_TRANSPORT: the
 * one the live settings select (SelectedTransport). A new transport is a folder
 * whose module is imported here, and one case in SelectedTransport.
 */
@Module({
  imports: [SettingsModule, SmtpModule, SmtpTransportModule, GraphTransportModule],
  providers: [SelectedTransport, { provide: MAIL_TRANSPORT, useExisting: SelectedTransport }],
  exports: [MAIL_TRANSPORT],
})
export class MailTransportsModule {}
