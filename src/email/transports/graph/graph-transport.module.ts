import { Module } from '@nestjs/common';
import { SettingsModule } from '../../../settings/settings.module';
import { SmtpModule } from '../../../smtp/smtp.module';
import { GraphTransport } from './graph-transport';

/** Microsoft Graph as a mail transport (GraphTransport), selected by the settings' transport. */
@Module({
  imports: [SettingsModule, SmtpModule],
  providers: [GraphTransport],
  exports: [GraphTransport],
})
export class GraphTransportModule {}
