import { Injectable, Logger } from '@nestjs/common';
import { SecretDecryptionError } from '@herald/crypto';
import { Clock } from '../../clock/clock';
import { LiveTransport } from '../live-transport';
import { SmtpCheckResult, SmtpCheckStep } from '../smtp-check-result.model';
import { classifySmtpFailure, type SmtpErrorLike } from '../smtp-failure';
import { StepLog } from '../step-log';

/** Sends a test mail through the live pool, so it proves what real notifications will use (SmtpGateway.sendTest). */
@Injectable()
export class SendTestEmailService {
  private readonly logger = new Logger('TestEmail');

  constructor(
    private readonly transport: LiveTransport,
    private readonly clock: Clock,
  ) {}

  async send(to: string): Promise<SmtpCheckResult> {
    const log = new StepLog();
    let relayName = 'the relay';
    try {
      const relay = await this.transport.relay();
      if (!relay) {
        log.notConfigured();
        return log.result();
      }
      const { settings } = relay;
      relayName = `${settings.host}:${settings.port}`;
      const now = this.clock.date();
      const sentAt = now.toISOString();
      const info = await relay.send({
        to,
        date: now,
        subject: 'Herald test message',
        text:
          `This is a test message from Herald.\n\n` +
          `It was sent through ${relayName} (security ${settings.security}) at ${sentAt}.\n` +
          `If you can read it, job notifications will reach you too.\n`,
        html:
          `<p>This is a test message from Herald.</p>` +
          `<p>It was sent through <b>${relayName}</b> (security ${settings.security}) at ${sentAt}.</p>` +
          `<p>If you can read it, job notifications will reach you too.</p>`,
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
      log.ok(SmtpCheckStep.SEND, `accepted by ${relayName} for ${(info.accepted.length ? info.accepted : [to]).join(', ')}`, info.response);
      return log.result({ messageId: info.messageId });
    } catch (error) {
      if (error instanceof SecretDecryptionError) {
        log.unreadableSecret(error);
        return log.result();
      }
      // The step the session failed at, by the same logic as verifySmtpSettings.
      const failure = classifySmtpFailure(error);
      const e = error as SmtpErrorLike;
      log.failed(failure, e.message ?? 'unknown error');
      this.logger.warn(`test mail through ${relayName} failed at ${failure.step}: ${e.message}${e.response ? ` (reply: ${e.response})` : ''}`);
      return log.result();
    }
  }
}
