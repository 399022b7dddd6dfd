import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Clock } from '../../clock/clock';
import { AlertWebhook } from '../../observability/alerts/alert-webhook';
import { SmtpGateway } from '../../smtp/smtp-gateway';
import { UsersService } from '../../users/users.service';
import { AddressSuspendedEvent } from '../recording/address-suspended.event';

/**
 * The admins hear of suspended addresses once per look into the report mailbox,
 * not once per bounce: the suspensions this process recorded meanwhile go into one
 * mail to every admin with an address (through the relay, as the relay alerts do)
 * and one call of the alert webhook (ALERT_WEBHOOK_URL: how many, by status; no
 * address). The report poller flushes it at the end of each look.
 */
@Injectable()
export class SuspensionSummary {
  private readonly logger = new Logger('Bounces');
  private pending: AddressSuspendedEvent[] = [];

  constructor(
    private readonly smtp: SmtpGateway,
    private readonly users: UsersService,
    private readonly webhook: AlertWebhook,
    private readonly clock: Clock,
  ) {}

  @OnEvent(AddressSuspendedEvent.NAME)
  onSuspended(event: AddressSuspendedEvent): void {
    this.pending.push(event);
  }

  /** Tells the admins of what was suspended since the last flush, if anything. Never rejects. */
  async flush(): Promise<void> {
    if (!this.pending.length) return;
    const suspended = this.pending.splice(0);
    try {
      const statuses: Record<string, number> = {};
      for (const s of suspended) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
      await this.webhook.post({ event: 'addresses.suspended', count: suspended.length, statuses, at: this.clock.date().toISOString() });
      const admins = await this.users.adminsWithEmail();
      const relay = await this.smtp.relay();
      if (!admins.length || !relay) return this.logger.warn(`${suspended.length} address(es) suspended after bounces, but no admin with an email address (or no relay) to tell`);
      const mail = summaryOf(suspended);
      let told = 0;
      for (const admin of admins) {
        await relay
          .send({ to: admin.email, subject: mail.subject, text: mail.text, headers: { 'Auto-Submitted': 'auto-generated' } })
          .then(() => told++)
          .catch((error: Error) => this.logger.warn(`the summary of suspended addresses could not be sent to an admin: ${error.message.split('\n')[0]}`));
      }
      if (told) this.logger.log(`summary of ${suspended.length} suspended address(es) sent to ${told} admin(s)`);
    } catch (error) {
      this.logger.error(`could not tell the admins of suspended addresses: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}

/** The summary mail's subject and text. */
export function summaryOf(suspended: AddressSuspendedEvent[]): { subject: string; text: string } {
  const n = suspended.length;
  const lines = suspended.map((s) => {
    const said = s.diagnosticCode ? ` — ${s.diagnosticCode.length > 160 ? `${s.diagnosticCode.slice(0, 159)}…` : s.diagnosticCode}` : '';
    return `- ${s.address}: ${s.status}${said}${s.reportingMta ? ` (reported by ${s.reportingMta})` : ''}${s.again ? '; the mail that tried it again after the cooldown bounced too' : ''}`;
  });
  return {
    subject: `Herald: ${n === 1 ? '1 address' : `${n} addresses`} suspended after bounces`,
    text:
      `Mail to ${n === 1 ? 'this address' : 'these addresses'} bounced, so Herald stopped mailing ${n === 1 ? 'it' : 'them'}:\n\n${lines.join('\n')}\n\n` +
      `Their mails are CANCELLED (see the delivery log). After the cooldown (BOUNCE_COOLDOWN) one mail tries each again. ` +
      `The people see it on their profile (me.emailSuspension) and end it by changing their email; an admin lifts one with liftAddressSuspension ` +
      `(suspendedAddresses lists them).\n`,
  };
}
