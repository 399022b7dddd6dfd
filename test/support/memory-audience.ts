import { Injectable, Module } from '@nestjs/common';
import {
  type AudienceMember,
  type AudienceSource,
  AudienceSourceProvider,
  type AudienceView,
  localIdOf,
  type ReaderAnswer,
  type ReaderQuestion,
  recipientIdOf,
} from '../../src/audiences/audience-source.port';
import { NotificationFrequency } from '../../src/users/frequency/notification-frequency';

/** A member of the memory audience: an application's, reached on one channel at one address. */
export interface MemoryMember {
  id: number;
  applicationId: string;
  channel: string;
  address: string;
  name: string;
  frequency: NotificationFrequency;
  subscribed: boolean;
}

/**
 * An audience source written for tests: its members live in memory (`members`),
 * each reached on one fixed channel and address; its recipient ids are
 * `listed <id>`. A test subscribes and unsubscribes them by changing the array.
 */
@AudienceSourceProvider()
@Injectable()
export class MemoryAudience implements AudienceSource {
  readonly name = 'listed';
  readonly members: MemoryMember[] = [];

  owns(recipientId: string): boolean {
    return localIdOf(this.name, recipientId) !== null;
  }

  async membersFor(applicationId: string): Promise<AudienceMember[]> {
    return this.members
      .filter((m) => m.applicationId === applicationId && m.subscribed && m.frequency !== NotificationFrequency.NEVER)
      .map((m) => ({
        recipientId: recipientIdOf(this.name, m.id),
        displayName: m.name,
        locale: 'en',
        timeZone: 'UTC',
        frequency: m.frequency,
        digestHour: null,
        reach: { channel: m.channel, address: m.address },
      }));
  }

  async readersOf(questions: readonly ReaderQuestion[]): Promise<ReaderAnswer[]> {
    return questions.map((q) => {
      const m = this.members.find((x) => String(x.id) === localIdOf(this.name, q.recipientId));
      if (!m || !m.subscribed || m.applicationId !== q.applicationId) return { reads: false, reason: 'unsubscribed from the memory list' };
      return { reads: true, reach: { channel: m.channel, address: m.address }, displayName: m.name, locale: 'en', timeZone: 'UTC', suspension: null };
    });
  }

  async audienceOf(applicationId: string): Promise<AudienceView[]> {
    return this.members
      .filter((m) => m.applicationId === applicationId)
      .map((m) => ({
        recipientId: recipientIdOf(this.name, m.id),
        displayName: m.name,
        address: m.address,
        frequency: m.subscribed ? m.frequency : NotificationFrequency.NEVER,
        ...(!m.subscribed && { notReceiving: { reason: null, detail: 'no mail: unsubscribed from the memory list' } }),
      }));
  }
}

/** The memory audience's module: what a source's registration is (its module, imported by the application). */
@Module({ providers: [MemoryAudience], exports: [MemoryAudience] })
export class MemoryAudienceModule {}
