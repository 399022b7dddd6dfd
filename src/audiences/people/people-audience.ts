import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { NotificationType } from '../../event-types/notification-type';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';
import { NotReceivingReason, notReceivingReason } from '../../users/profile/effective-preference.model';
import { RecipientsService } from '../../users/recipients/recipients.service';
import {
  type AudienceMember,
  type AudienceSource,
  AudienceSourceProvider,
  type AudienceView,
  type ReaderAnswer,
  type ReaderQuestion,
} from '../audience-source.port';

const REASON_TEXT: Record<NotReceivingReason, string> = {
  [NotReceivingReason.NO_EMAIL]: 'they have no email address',
  [NotReceivingReason.NOTIFICATIONS_OFF]: 'their notifications are off (notificationsEnabled)',
  [NotReceivingReason.OPTED_OUT]: 'they turned this type off for this application or everywhere (NEVER)',
};

/** A console id never contains white space (libs/contracts Identifier); other sources' ids always do. */
const WHITE_SPACE = /\s/;

/**
 * The console's people: the MANAGE members of an application, as users'
 * RecipientsService answers (one prepared statement per question; the hot path).
 * A person's recipient id is their console id; every channel may reach them.
 */
@AudienceSourceProvider()
@Injectable()
export class PeopleAudience implements AudienceSource {
  readonly name = 'people';

  constructor(private readonly recipients: RecipientsService) {}

  owns(recipientId: string): boolean {
    return !WHITE_SPACE.test(recipientId);
  }

  async membersFor(applicationId: string, type: NotificationType, manager: EntityManager): Promise<AudienceMember[]> {
    const people = await this.recipients.recipientsFor(applicationId, type, manager);
    return people.map((r) => ({
      recipientId: r.externalId,
      displayName: r.displayName,
      locale: r.locale,
      timeZone: r.timeZone,
      frequency: r.frequency,
      digestHour: r.digestHour,
      reach: { person: { externalId: r.externalId, email: r.email, displayName: r.displayName } },
    }));
  }

  async readersOf(questions: readonly ReaderQuestion[], manager?: EntityManager): Promise<ReaderAnswer[]> {
    const answers = await this.recipients.readersOf(questions as ReaderQuestion[], manager);
    return answers.map((a, i) =>
      a.reads
        ? {
            reads: true,
            reach: { person: { externalId: questions[i].recipientId, email: a.email, displayName: a.displayName } },
            displayName: a.displayName,
            locale: a.locale,
            timeZone: a.timeZone,
            suspension: a.suspension,
          }
        : a,
    );
  }

  async audienceOf(applicationId: string, type: NotificationType): Promise<AudienceView[]> {
    return (await this.recipients.audienceOf(applicationId, type)).map((m) => {
      const reason = notReceivingReason(m, m.frequency !== NotificationFrequency.NEVER);
      const notReceiving =
        reason === NotReceivingReason.OPTED_OUT && m.applicationDefault
          ? { reason, detail: "no mail: this type is off by default for this application (its notification defaults), and they have not chosen otherwise (their settings now)" }
          : reason && { reason, detail: `no mail: ${REASON_TEXT[reason]} (their settings now)` };
      return {
        recipientId: m.externalId,
        displayName: m.displayName,
        address: m.email,
        frequency: m.frequency,
        ...(notReceiving && { notReceiving }),
      };
    });
  }
}
