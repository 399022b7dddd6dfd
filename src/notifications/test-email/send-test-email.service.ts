import { Injectable, Logger } from '@nestjs/common';
import { SecretDecryptionError } from '@herald/crypto';
import { SmtpCheckResult, SmtpCheckStep } from '../../settings/check/smtp-check-result.model';
import { hintFor, StepLog } from '../../settings/check/smtp-connection-checker';
import { failedStepOf, type SmtpErrorLike } from '../../settings/check/smtp-error';
import type { SmtpSettings } from '../../settings/smtp-settings';
import { MailTransport, SmtpNotConfiguredError } from '../transport/mail-transport';

/** Sends a test mail through the live pool, so it proves what real notifications will use. */
@Injectable()
export class SendTestEmailService {
  private readonly logger = new Logger('TestEmail');

  constructor(private readonly transport: MailTransport) {}

  async send(to: string): Promise<SmtpCheckResult> {
    const log = new StepLog();
    let settings: SmtpSettings | undefined;
    try {
      settings = await this.transport.activeSettings();
      const relay = `${settings.host}:${settings.port}`;
      const sentAt = new Date().toISOString();
      const info = await this.transport.send({
        to,
        subject: 'Herald test message',
        text:
          `This is a test message from Herald.\n\n` +
          `It was sent through ${relay} (security ${settings.security}) at ${sentAt}.\n` +
          `If you can read it, job notifications will reach you too.\n`,
        html:
          `<p>This is a test message from Herald.</p>` +
          `<p>It was sent through <b>${relay}</b> (security ${settings.security}) at ${sentAt}.</p>` +
          `<p>If you can read it, job notifications will reach you too.</p>`,
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
      log.ok(SmtpCheckStep.SEND, `accepted by ${relay} for ${(info.accepted ?? [to]).join(', ')}`, info.response);
      return log.result({ messageId: info.messageId });
    } catch (error) {
      if (error instanceof SmtpNotConfiguredError) {
        log.failed(SmtpCheckStep.CONNECT, error, 'nothing to connect to');
        return log.result();
      }
      if (error instanceof SecretDecryptionError) {
        log.unreadablePassword(error);
        return log.result();
      }
      const e = error as SmtpErrorLike;
      const step = failedStepOf(e);
      log.failed(step, e, hintFor(step));
      const relay = settings ? `${settings.host}:${settings.port}` : 'the relay';
      this.logger.warn(`test mail through ${relay} failed at ${step}: ${e.message}${e.response ? ` (reply: ${e.response})` : ''}`);
      return log.result();
    }
  }
}
