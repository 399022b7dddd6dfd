import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type AudienceMember,
  type AudienceSource,
  AudienceSourceProvider,
  type AudienceView,
  type ReaderAnswer,
  type ReaderQuestion,
} from '../../audiences/audience-source.port';
import type { NotificationType } from '../../event-types/notification-type';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';
import type { NotificationTargetEntity } from '../notification-target.entity';
import { type EnabledTarget, NotificationTargets } from '../notification-targets';
import { CHANNEL_OF } from '../target-kind';
import { recipientIdOfTarget, TARGET_SOURCE, targetIdOf } from '../target-ids';

/**
 * Notification targets as an audience source: an application's enabled targets
 * that get a type receive its events — each on its own channel (teams, slack,
 * webhook), at its host (what the delivery log shows; the URL stays a secret), in
 * its language and zone, at its frequency (digests and the cap apply per target as
 * per person). Recipient ids are `target <id>`. At send time a target removed,
 * disabled, or no longer getting the type no longer reads (its deliveries are
 * CANCELLED with the reason).
 */
@AudienceSourceProvider()
@Injectable()
export class TargetAudience implements AudienceSource {
  readonly name = TARGET_SOURCE;

  constructor(private readonly targets: NotificationTargets) {}

  owns(recipientId: string): boolean {
    return targetIdOf(recipientId) !== null;
  }

  async membersFor(applicationId: string, type: NotificationType, manager: EntityManager): Promise<AudienceMember[]> {
    const rows = await this.targets.enabledOf(applicationId, manager);
    return rows.filter((row) => typesOf(row).includes(type)).map((row) => this.member(row));
  }

  async readersOf(questions: readonly ReaderQuestion[], manager?: EntityManager): Promise<ReaderAnswer[]> {
    const rows = new Map((await this.targets.rows(questions.map((q) => targetIdOf(q.recipientId) ?? 0), manager)).map((row) => [row.id, row]));
    return questions.map((q): ReaderAnswer => {
      const row = rows.get(targetIdOf(q.recipientId) ?? 0);
      if (!row || row.applicationId !== q.applicationId) return { reads: false, reason: 'the notification target was removed' };
      if (!row.enabled) return { reads: false, reason: `the notification target is disabled (${row.disabledReason ?? 'disabled'})` };
      if (!typesOf(row).includes(q.eventType)) return { reads: false, reason: `the notification target no longer gets ${q.eventType}` };
      const { reach, displayName, locale, timeZone } = this.member(row);
      return { reads: true, reach, displayName, locale, timeZone, suspension: null };
    });
  }

  async audienceOf(applicationId: string, type: NotificationType): Promise<AudienceView[]> {
    return (await this.targets.ofApplication(applicationId)).map((row) => {
      const gets = typesOf(row).includes(type);
      const detail = !row.enabled ? `nothing posted: the target is disabled (${row.disabledReason ?? 'disabled'})` : !gets ? `nothing posted: the target does not get ${type}` : undefined;
      return {
        recipientId: recipientIdOfTarget(row.id),
        displayName: row.name,
        address: row.host,
        frequency: detail ? NotificationFrequency.NEVER : (row.frequency as NotificationFrequency),
        ...(detail && { notReceiving: { reason: null, detail } }),
      };
    });
  }

  private member(row: EnabledTarget): AudienceMember {
    return {
      recipientId: recipientIdOfTarget(row.id),
      displayName: row.name,
      locale: row.language,
      timeZone: row.timeZone,
      frequency: row.frequency as NotificationFrequency,
      digestHour: row.digestHour,
      reach: { channel: CHANNEL_OF[row.kind], address: row.host },
    };
  }
}

function typesOf(row: Pick<NotificationTargetEntity, 'types'>): string[] {
  return JSON.parse(row.types) as string[];
}
