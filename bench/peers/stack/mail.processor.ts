import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, type OnApplicationShutdown } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { Transporter } from 'nodemailer';
import { MailRenderer } from '../../../src/notifications/rendering/mail-renderer';
import { MAIL_TRANSPORT } from './mail-transport';
import { MAIL_QUEUE, type MailJob } from './mail-job';
import { PeerConfig } from './peer-config';

/**
 * The worker: 20 jobs at a time, each rendered with the same handlebars
 * templates as Herald's (its renderer: compiled once at start) and sent through
 * the pool. A job that throws is retried by BullMQ (attempts and backoff are the
 * queue's job defaults).
 */
@Processor(MAIL_QUEUE, { concurrency: 20 })
export class MailProcessor extends WorkerHost implements OnApplicationShutdown {
  private readonly domain: string;

  constructor(
    private readonly renderer: MailRenderer,
    @Inject(MAIL_TRANSPORT) private readonly transport: Transporter,
    private readonly config: PeerConfig,
  ) {
    super();
    this.domain = /@([^>\s]+)>?\s*$/.exec(config.sender)?.[1] ?? 'localhost';
  }

  async process(job: Job<MailJob>): Promise<void> {
    const { event, to } = job.data;
    const mail = this.renderer.render(event, { gatewayUri: this.config.gatewayUri });
    await this.transport.sendMail({
      from: this.config.sender,
      to: to.name ? { name: to.name, address: to.address } : to.address,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: `<${event.id}.${to.id}@${this.domain}>`,
      headers: {
        'Auto-Submitted': 'auto-generated',
        'List-Id': `Job notifications <notifications.${this.domain}>`,
        'List-Unsubscribe': `<${this.config.gatewayUri}/profile/notifications>`,
      },
    });
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
