import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { JobEvent } from '@herald/contracts';
import { memoryDatabase } from '../../../test/support/memory-database';
import { ManualClock } from '../../clock/manual-clock';
import type { Transactions } from '../../database/transactions';
import { JobEventEntity } from '../entities/job-event.entity';
import { InvalidJobEventError, JobEventIngestionService } from './job-event-ingestion.service';
import type { JobEventsSubscriber } from './job-events-subscriber';

let seq = 0;
const versionCreated = (id = `ev-${++seq}`) => ({
  schemaVersion: 1,
  id,
  type: 'VERSION_CREATED',
  occurredAt: '2026-01-05T08:00:00Z',
  application: { id: 'app-1', name: 'Billing' },
  version: { name: 'v2' },
});

/** A subscriber that writes in the events' transaction (a row per event, in a table of its own) and tells what it saw after the commit. */
class Recorder implements JobEventsSubscriber {
  readonly committed: string[] = [];
  failOn?: string;
  constructor(private readonly transactions: Transactions) {}

  async recorded(events: JobEvent[], manager: EntityManager): Promise<number[]> {
    for (const e of events) {
      if (e.id === this.failOn) throw new Error(`cannot plan ${e.id}`);
      await manager.query('INSERT INTO planned (event_id) VALUES (?)', [e.id]);
    }
    this.transactions.afterCommit(manager, () => this.committed.push(...events.map((e) => e.id)));
    return events.map(() => 3);
  }
}

/** Ingestion on the real schema (SQLite in memory): the inbox, its subscribers' share of the transaction, the clock. */
describe('JobEventIngestionService', () => {
  let dataSource: DataSource;
  let transactions: Transactions;
  let clock: ManualClock;
  let ingestion: JobEventIngestionService;
  let recorder: Recorder;
  const inbox = () => dataSource.getRepository(JobEventEntity).find({ order: { id: 'ASC' } });
  const planned = async () => ((await dataSource.query('SELECT event_id FROM planned ORDER BY event_id')) as { event_id: string }[]).map((r) => r.event_id);

  beforeAll(() => Logger.overrideLogger(['error']));
  beforeEach(async () => {
    ({ dataSource, transactions } = await memoryDatabase([JobEventEntity]));
    await dataSource.query('CREATE TABLE planned (event_id TEXT PRIMARY KEY)');
    clock = new ManualClock();
    ingestion = new JobEventIngestionService(transactions, clock);
    recorder = new Recorder(transactions);
    ingestion.subscribe(recorder);
  });
  afterEach(() => dataSource.destroy());

  it('records a new event in the inbox with what its subscribers planned, and tells them after the commit', async () => {
    const event = versionCreated();
    expect(await ingestion.ingest(event, 'emitter')).toEqual({ eventId: event.id, duplicate: false, deliveries: 3 });
    expect(await inbox()).toMatchObject([{ id: event.id, source: 'emitter', receivedAt: clock.date() }]);
    expect(recorder.committed).toEqual([event.id]);
  });

  it('answers an event seen before as a duplicate and hands it to nobody again', async () => {
    const event = versionCreated();
    await ingestion.ingest(event, 'emitter');
    expect(await ingestion.ingest(event, 'broker')).toEqual({ eventId: event.id, duplicate: true, deliveries: 0 });
    expect(recorder.committed).toEqual([event.id]);
    expect(await inbox()).toHaveLength(1);
  });

  it('records events that arrive together; one whose planning fails fails alone and leaves nothing behind', async () => {
    const [a, b, c] = [versionCreated(), versionCreated(), versionCreated()];
    recorder.failOn = b.id;
    const results = await Promise.allSettled([a, b, c].map((e) => ingestion.ingest(e, 'graphql')));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await inbox()).map((e) => e.id)).toEqual([a.id, c.id].sort());
    expect(await planned()).toEqual([a.id, c.id].sort());
    expect(recorder.committed.sort()).toEqual([a.id, c.id].sort()); // nothing told of b
  });

  it('rejects an invalid event naming the field, and records nothing', async () => {
    const error = await ingestion.ingest({ ...versionCreated(), occurredAt: 'yesterday' }, 'graphql').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidJobEventError);
    expect((error as InvalidJobEventError).problems.map((p) => p.field)).toEqual(['occurredAt']);
    expect(await inbox()).toEqual([]);
    expect(recorder.committed).toEqual([]);
  });
});
