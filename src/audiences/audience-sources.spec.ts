import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { EntityManager } from 'typeorm';
import { NotificationType } from '../event-types/notification-type';
import { type AudienceMember, type AudienceSource, AudienceSourceProvider, localIdOf, type ReaderQuestion } from './audience-source.port';
import { AudienceSources } from './audience-sources';
import { AudiencesModule } from './audiences.module';

/** A source named as a test wants; it owns `<name> <id>` (or, as people, ids without white space) and reads only even ids. */
function sourceNamed(name: string, bare = false) {
  @AudienceSourceProvider()
  @Injectable()
  class NamedSource implements AudienceSource {
    readonly name = name;
    asked: string[][] = [];
    owns = (id: string) => (bare ? !/\s/.test(id) : localIdOf(name, id) !== null);
    membersFor = async () => [];
    audienceOf = async () => [];
    readersOf = async (questions: readonly ReaderQuestion[]) => {
      this.asked.push(questions.map((q) => q.recipientId));
      return questions.map((q) => (Number(q.recipientId.replace(/\D/g, '')) % 2 === 0 ? { reads: true as const, reach: { channel: 'email', address: q.recipientId }, displayName: null, locale: null, timeZone: null, suspension: null } : { reads: false as const, reason: `${name} says no` }));
    };
  }
  return NamedSource;
}

async function start(...sources: Array<ReturnType<typeof sourceNamed>>) {
  const modules = sources.map((source) => {
    @Module({ providers: [source] })
    class SourceModule {}
    return SourceModule;
  });
  const module = await Test.createTestingModule({ imports: [AudiencesModule, ...modules] }).compile();
  await module.init();
  return module;
}

describe('AudienceSources', () => {
  const ask = (recipientId: string): ReaderQuestion => ({ recipientId, applicationId: 'app', eventType: NotificationType.VERSION_CREATED });

  it("asks each question of the source that owns its recipient, in one call per source, answering in the order asked", async () => {
    const People = sourceNamed('people', true);
    const Lists = sourceNamed('subscriber');
    const module = await start(People, Lists);
    const sources = module.get(AudienceSources);
    const answers = await sources.readersOf([ask('ann2'), ask('subscriber 3'), ask('bob1'), ask('subscriber 4'), ask('target 6')]);
    expect(answers.map((a) => (a.reads ? 'reads' : a.reason))).toEqual(['reads', 'subscriber says no', 'people says no', 'reads', 'no longer known to Herald']);
    expect((module.get(People) as unknown as { asked: string[][] }).asked).toEqual([['ann2', 'bob1']]);
    expect((module.get(Lists) as unknown as { asked: string[][] }).asked).toEqual([['subscriber 3', 'subscriber 4']]);
    expect(sources.ownerOf('subscriber 3')?.name).toBe('subscriber');
    await module.close();
  });

  it("asks every source for an event's members together, and answers them source after source", async () => {
    const People = sourceNamed('people', true);
    const Lists = sourceNamed('subscriber');
    const module = await start(People, Lists);
    const asked: string[] = [];
    const answer = new Map<string, () => void>();
    for (const [source, member] of [[module.get(People), 'ann'], [module.get(Lists), 'subscriber 1']] as const) {
      (source as unknown as AudienceSource).membersFor = () => {
        asked.push(source.name);
        return new Promise((resolve) => answer.set(source.name, () => resolve([{ recipientId: member } as AudienceMember])));
      };
    }
    const members = module.get(AudienceSources).membersFor('app', NotificationType.VERSION_CREATED, {} as EntityManager);
    await Promise.resolve();
    expect(asked).toEqual(['people', 'subscriber']); // the second asked before the first has answered
    answer.get('subscriber')!();
    answer.get('people')!();
    expect((await members).map((m) => m.recipientId)).toEqual(['ann', 'subscriber 1']);
    await module.close();
  });

  it('stops start-up when no source is registered', async () => {
    await expect(start()).rejects.toThrow('No audience source is registered: import an audience module (PeopleAudienceModule, src/audiences/people) into the application');
  });

  it('stops start-up when two sources share a name, or on a name that is not lowercase letters, digits and dashes', async () => {
    await expect(start(sourceNamed('people'), sourceNamed('people'))).rejects.toThrow(/Two audience sources are named "people": NamedSource and NamedSource/);
    await expect(start(sourceNamed('Sub scriber'))).rejects.toThrow('Audience source NamedSource is named "Sub scriber": a name is lowercase letters, digits and dashes, at most 32');
  });
});
