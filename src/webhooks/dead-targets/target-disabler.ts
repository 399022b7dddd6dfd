import { Injectable, Logger } from '@nestjs/common';
import { NotificationType } from '../../event-types/notification-type';
import { SmtpGateway } from '../../smtp/smtp-gateway';
import { RecipientsService } from '../../users/recipients/recipients.service';
import { ChatMessageWriter } from '../messages/chat-message';
import { NotificationTargets, type SendableTarget } from '../notification-targets';

/**
 * A webhook answered 404 or 410: it was deleted (the team removed the workflow or
 * the app). The target is disabled — once, whichever process or delivery sees it
 * first — and the application's managers who have an address are told by one mail
 * each, through the relay as the admins' alerts are (not through the outbox: a
 * notice about the notifications). Never rejects.
 */
@Injectable()
export class TargetDisabler {
  private readonly logger = new Logger('NotificationTargets');

  constructor(
    private readonly targets: NotificationTargets,
    private readonly recipients: RecipientsService,
    private readonly smtp: SmtpGateway,
    private readonly writer: ChatMessageWriter,
  ) {}

  /** Disables the target; true when this call did. The managers are told in the background. */
  async disable(target: SendableTarget, status: number, applicationName: string): Promise<boolean> {
    const reason = `the webhook answered ${status}: it was deleted`;
    const first = await this.targets.disable(target.id, reason).catch((error: Error) => {
      this.logger.error(`could not disable target ${target.id} (${target.host}): ${error.message}`);
      return false;
    });
    if (!first) return false;
    this.logger.warn(`target ${target.id} of application ${target.applicationId} (${target.kind}, ${target.host}) disabled: ${reason}`);
    void this.tellManagers(target, status, applicationName);
    return true;
  }

  private async tellManagers(target: SendableTarget, status: number, applicationName: string): Promise<void> {
    try {
      const managers = (await this.recipients.audienceOf(target.applicationId, NotificationType.JOB_FAILED)).filter((m) => m.email);
      const relay = await this.smtp.relay();
      if (!managers.length || !relay) return this.logger.warn(`target ${target.id} was disabled, but no manager of ${target.applicationId} has an address (or no relay is set) to tell`);
      const mail = await this.writer.disabledNotice({ application: applicationName, target: target.name, kind: target.kind, host: target.host, status });
      let told = 0;
      for (const manager of managers) {
        await relay
          .send({ to: manager.email!, subject: mail.subject, text: mail.text, headers: { 'Auto-Submitted': 'auto-generated' } })
          .then(() => told++)
          .catch((error: Error) => this.logger.warn(`a manager of ${target.applicationId} could not be told that target ${target.id} was disabled: ${error.message.split('\n')[0]}`));
      }
      this.logger.log(`${told} manager(s) of ${target.applicationId} told that target ${target.id} was disabled`);
    } catch (error) {
      this.logger.error(`could not tell the managers of ${target.applicationId} that target ${target.id} was disabled: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}
