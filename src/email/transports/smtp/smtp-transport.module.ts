import { Module } from '@nestjs/common';
import { SmtpModule } from '../../../smtp/smtp.module';
import { SmtpTransport } from './smtp-transport';

/** The SMTP relay as a mail transport (SmtpTransport), selected by the settings' transport. */
@Module({
  imports: [SmtpModule],
  providers: [SmtpTransport],
  exports: [SmtpTransport],
})
export class SmtpTransportModule {}
