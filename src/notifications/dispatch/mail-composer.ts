import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ISendMailOptions } from '@nestjs-modules/mailer';
import { DataSource } from 'typeorm';
import type { JobEvent } from '../../../libs/contracts/src';
import type { SmtpSettings } from '../../settings/smtp-settings';
import { NotificationEntity } from '../entities/notification.entity';
import { MailRenderer, preferencesLink, type RenderedMail } from '../rendering/mail-renderer';
import type { ClaimedDelivery } from './delivery-outbox';

/** Rendered events kept for the next deliveries of the same event (a fan-out renders once). */
const CACHE_SIZE = 256;

function senderDomain(sender: string | null): string {
  return /@([^>\s]+)>?\s*$/.exec(sender ?? '')?.[1] ?? 'herald.invalid';
}

/**
 * Turns a claimed delivery into the message for one recipient: the event's mail
 * (rendered once per event and gateway URI, then reused), addressed to that
 * recipient alone, with a Message-ID derived from the delivery (a re-send after a
 * crash carries the same one) and the headers of automated mail.
 */
@Injectable()
export class MailComposer {
  private readonly rendered = new Map<string, RenderedMail>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly renderer: MailRenderer,
  ) {}

  async compose(d: ClaimedDelivery, settings: SmtpSettings): Promise<ISendMailOptions> {
    const mail = await this.mailOf(d.eventId, settings.gatewayUri);
    const domain = senderDomain(settings.sender);
    const eventTag = createHash('sha256').update(d.eventId).digest('hex').slice(0, 16);
    return {
      to: d.recipientName ? { name: d.recipientName, address: d.recipientEmail } : d.recipientEmail,
      subject: mail.subject,
      html: mail.html,
      text: mail.text,
      messageId: `<herald.${eventTag}.${d.id}@${domain}>`,
      headers: {
        'Auto-Submitted': 'auto-generated',
        'List-Id': `Herald job notifications <notifications.${domain}>`,
        'List-Unsubscribe': `<${preferencesLink(settings.gatewayUri)}>`,
        'X-Herald-Event-Id': d.eventId,
        'X-Herald-Delivery-Id': String(d.id),
      },
    };
  }

  private async mailOf(eventId: string, gatewayUri: string | null): Promise<RenderedMail> {
    const key = `${eventId}\n${gatewayUri ?? ''}`;
    let mail = this.rendered.get(key);
    if (!mail) {
      const row = await this.dataSource.getRepository(NotificationEntity).findOneByOrFail({ eventId });
      mail = this.renderer.render(JSON.parse(row.payload) as JobEvent, { gatewayUri });
      if (this.rendered.size >= CACHE_SIZE) this.rendered.delete(this.rendered.keys().next().value!);
      this.rendered.set(key, mail);
    }
    return mail;
  }
}
