import { Module } from '@nestjs/common';
import { SmtpModule } from '../../../smtp/smtp.module';
import { MAIL_TRANSPORT } from '../../mail-transport.port';
import { SmtpTransport } from './smtp-transport';

/** The SMTP relay as the email channel's transport (MAIL_TRANSPORT). */
@Module({
  imports: [SmtpModule],
  providers: [SmtpTransport, { provide: MAIL_TRANSPORT, useExisting: SmtpTransport }],
  exports: [MAIL_TRANSPORT],
})
export class SmtpTransportModule {}
