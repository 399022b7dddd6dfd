import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { EntityManager } from 'typeorm';
import { together } from '../database/together';
import type { NotificationType } from '../event-types/notification-type';
import {
  type AudienceMember,
  type AudienceSource,
  AudienceSourceProvider,
  type AudienceView,
  type ReaderAnswer,
  type ReaderQuestion,
} from './audience-source.port';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * The audience sources of this application: every provider decorated
 * `@AudienceSourceProvider()`, whichever module registers it. Start-up stops when
 * there is none, when two share a name or when a name is not lowercase letters,
 * digits and dashes. Planning, the send-time check and event(id) ask all of them
 * through this class, knowing none by name.
 */
@Injectable()
export class AudienceSources implements OnModuleInit {
  private found?: readonly AudienceSource[];

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    this.discover();
  }

  /** Every source, in the order their modules were registered. */
  get all(): readonly AudienceSource[] {
    return this.discover();
  }

  /** The source that owns a recipient id, or undefined (its source is no longer registered). */
  ownerOf(recipientId: string): AudienceSource | undefined {
    return this.discover().find((s) => s.owns(recipientId));
  }

  /**
   * Everyone who receives `type` about the application, source after source (in the
   * caller's transaction). The sources are asked together: on PostgreSQL their reads
   * share one round trip.
   */
  async membersFor(applicationId: string, type: NotificationType, manager: EntityManager): Promise<AudienceMember[]> {
    return (await together(this.discover().map((source) => source.membersFor(applicationId, type, manager)))).flat();
  }

  /** The send-time check: each question asked of the source owning its recipient, answers in the order asked. */
  async readersOf(questions: readonly ReaderQuestion[], manager?: EntityManager): Promise<ReaderAnswer[]> {
    if (!questions.length) return [];
    const sources = this.discover();
    const owners = questions.map((q) => sources.findIndex((s) => s.owns(q.recipientId)));
    // The usual batch: every recipient one source's (people's) — asked as it is.
    if (owners.every((o) => o === owners[0]) && owners[0] >= 0) return sources[owners[0]].readersOf(questions, manager);
    const answers: ReaderAnswer[] = new Array(questions.length);
    for (let s = 0; s < sources.length; s++) {
      const mine = questions.flatMap((q, i) => (owners[i] === s ? [i] : []));
      if (!mine.length) continue;
      const got = await sources[s].readersOf(mine.map((i) => questions[i]), manager);
      mine.forEach((i, k) => (answers[i] = got[k]));
    }
    owners.forEach((o, i) => {
      if (o < 0) answers[i] = { reads: false, reason: 'no longer known to Herald' };
    });
    return answers;
  }

  /** The application's whole audience for `type` now, every source's. */
  async audienceOf(applicationId: string, type: NotificationType): Promise<AudienceView[]> {
    return (await Promise.all(this.discover().map((s) => s.audienceOf(applicationId, type)))).flat();
  }

  private discover(): readonly AudienceSource[] {
    if (this.found) return this.found;
    const all = this.discovery
      .getProviders({ metadataKey: AudienceSourceProvider.KEY })
      .map((wrapper) => wrapper.instance as AudienceSource | undefined)
      .filter((source): source is AudienceSource => !!source);
    if (!all.length) throw new Error('No audience source is registered: import an audience module (PeopleAudienceModule, src/audiences/people) into the application');
    const names = new Map<string, AudienceSource>();
    for (const source of all) {
      if (!NAME.test(source.name)) throw new Error(`Audience source ${source.constructor.name} is named "${source.name}": a name is lowercase letters, digits and dashes, at most 32`);
      const other = names.get(source.name);
      if (other) throw new Error(`Two audience sources are named "${source.name}": ${other.constructor.name} and ${source.constructor.name} (an audience module imported twice?)`);
      names.set(source.name, source);
    }
    this.found = all;
    return all;
  }
}

/** Why none of these is read: the one reason, or each distinct one (a digest's events), in order. */
export function reasonsNotRead(answers: readonly ReaderAnswer[]): string {
  return [...new Set(answers.flatMap((a) => (a.reads ? [] : [a.reason])))].join('; ');
}
