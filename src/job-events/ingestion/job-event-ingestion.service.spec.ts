import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { JobEvent } from '@herald/contracts';
import { openDatabase, testDatabases } from '../../../test/support/memory-database';
import { itIf, NEEDS_POSTGRES } from '../../../test/support/skipped-suites';
import { eventually } from '../../../test/support/people';
import { ManualClock } from '../../clock/manual-clock';
import type { DatabaseConfig } from '../../config/herald-config';
import type { Transactions } from '../../database/transactions';
import { JobEventEntity } from '../entities/job-event.entity';
import { JobEventInbox } from './job-event-inbox';
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

/** Herald's schema, and the table where the Recorder plans (`planned`, named with its schema on PostgreSQL). */
async function open(database: DatabaseConfig): Promise<{ dataSource: DataSource; transactions: Transactions; planned: string }> {
  const { dataSource, transactions } = await openDatabase(database, [JobEventEntity]);
  return { dataSource, transactions, planned: database.type === 'postgres' ? `"${database.schema}".planned` : 'planned' };
}

/** A subscriber that writes in the events' transaction (a row per event, in a table of its own) and tells what it saw after the commit. */
class Recorder implements JobEventsSubscriber {
  readonly seen: string[] = [];
  readonly committed: string[] = [];
  failOn?: string;
  /** Holds the transaction open (after the inbox's insert) until it settles. */
  hold?: Promise<void>;
  constructor(
    private readonly transactions: Transactions,
    private readonly insert: string,
  ) {}

  async recorded(events: JobEvent[], manager: EntityManager): Promise<number[]> {
    this.seen.push(...events.map((e) => e.id));
    await this.hold;
    for (const e of events) {
      if (e.id === this.failOn) throw new Error(`cannot plan ${e.id}`);
      await manager.query(this.insert, [e.id]);
    }
    this.transactions.afterCommit(manager, () => this.committed.push(...events.map((e) => e.id)));
    return events.map(() => 3);
  }
}

/** Ingestion on the real schema: the inbox, its subscribers' share of the transaction, the clock. */
describe.each(testDatabases('herald_inbox'))('JobEventIngestionService ($name)', ({ name, database }) => {
  let config: DatabaseConfig;
  let dataSource: DataSource;
  let transactions: Transactions;
  let plannedTable: string;
  let clock: ManualClock;
  let ingestion: JobEventIngestionService;
  let recorder: Recorder;
  const opened: DataSource[] = [];
  const inbox = () => dataSource.getRepository(JobEventEntity).find({ order: { id: 'ASC' } });
  const planned = async () => ((await dataSource.query(`SELECT event_id FROM ${plannedTable} ORDER BY event_id`)) as { event_id: string }[]).map((r) => r.event_id);
  /** An ingestion with its own connection to the same database (another process, on PostgreSQL). */
  const another = async () => {
    const other = await open(config);
    opened.push(other.dataSource);
    const subscriber = new Recorder(other.transactions, insertSql(other.dataSource));
    const service = new JobEventIngestionService(new JobEventInbox(other.dataSource), other.transactions, clock, [subscriber]);
    return { service, subscriber };
  };
  const insertSql = (ds: DataSource) => `INSERT INTO ${plannedTable} (event_id) VALUES (${ds.options.type === 'postgres' ? '$1' : '?'})`;

  beforeAll(() => Logger.overrideLogger(['error']));
  beforeEach(async () => {
    config = database();
    ({ dataSource, transactions, planned: plannedTable } = await open(config));
    opened.push(dataSource);
    await dataSource.query(`CREATE TABLE ${plannedTable} (event_id TEXT PRIMARY KEY)`);
    clock = new ManualClock();
    recorder = new Recorder(transactions, insertSql(dataSource));
    ingestion = new JobEventIngestionService(new JobEventInbox(dataSource), transactions, clock, [recorder]);
  });
  afterEach(async () => {
    if (config.type === 'postgres') await dataSource.query(`DROP SCHEMA "${config.schema}" CASCADE`);
    for (const ds of opened.splice(0)) await ds.destroy();
  });

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

  it('records the first of a batch\'s arrivals with an id; the others, and ids recorded before, answer duplicate', async () => {
    const [known, fresh, other] = [versionCreated(), versionCreated(), versionCreated()];
    await ingestion.ingest(known, 'emitter');
    const results = await Promise.all([
      ingestion.ingest(fresh, 'graphql'),
      ingestion.ingest(fresh, 'broker'),
      ingestion.ingest(known, 'broker'),
      ingestion.ingest(other, 'broker'),
    ]);
    expect(results.map((r) => [r.eventId, r.duplicate, r.deliveries])).toEqual([
      [fresh.id, false, 3],
      [fresh.id, true, 0],
      [known.id, true, 0],
      [other.id, false, 3],
    ]);
    expect((await inbox()).map((e) => [e.id, e.source])).toEqual([[known.id, 'emitter'], [fresh.id, 'graphql'], [other.id, 'broker']].sort());
    expect(recorder.seen).toEqual([known.id, fresh.id, other.id]);
    expect(await planned()).toEqual([known.id, fresh.id, other.id].sort());
  });

  // Two transactions recording one event at once: SQLite has one writer, PostgreSQL only can race.
  itIf(name === 'postgres', NEEDS_POSTGRES)('answers duplicate, planning nothing, an event another process is recording at that moment, once that one commits', async () => {
    const event = versionCreated();
    let release!: () => void;
    recorder.hold = new Promise<void>((r) => (release = r));
    const first = ingestion.ingest(event, 'graphql');
    await eventually(async () => expect(recorder.seen).toHaveLength(1)); // its inbox row is written, not committed
    const { service, subscriber } = await another();
    let answered = false;
    const second = service.ingest(event, 'broker').finally(() => (answered = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false); // it waits for the first transaction
    release();
    expect(await first).toEqual({ eventId: event.id, duplicate: false, deliveries: 3 });
    expect(await second).toEqual({ eventId: event.id, duplicate: true, deliveries: 0 });
    expect(subscriber.seen).toEqual([]); // never planned there, not even in a transaction rolled back
    expect(await planned()).toEqual([event.id]);
  });

  it('names a refused event in the log by its id only when that id is valid: one of an unknown type cannot forge lines or flood the log', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const ids = ['x\n[Nest] 1  - 12/07/2026, 9:00:00 AM     LOG [Ingestion] event forged from http: 1 deliveries', 'y'.repeat(100_000), 'z\u001b[2J'];
      for (const id of ids) {
        await expect(ingestion.ingest({ ...versionCreated(), type: 'VERSION_DELETED', id }, 'http')).rejects.toBeInstanceOf(InvalidJobEventError);
      }
      const logged = warn.mock.calls.map(([message]) => String(message));
      expect(logged).toHaveLength(ids.length);
      for (const line of logged) expect({ line: line.slice(0, 80), length: line.length, safe: !/[\u0000-\u001f]/.test(line) }).toEqual({ line: expect.stringContaining('(invalid id)'), length: expect.any(Number), safe: true });
      expect(Math.max(...logged.map((line) => line.length))).toBeLessThan(1000);
      // A valid id is named, as before.
      await expect(ingestion.ingest({ ...versionCreated('ev-named'), type: 'VERSION_DELETED' }, 'http')).rejects.toBeInstanceOf(InvalidJobEventError);
      expect(String(warn.mock.calls.at(-1)![0])).toContain('rejected event ev-named from http');
    } finally {
      warn.mockRestore();
    }
  });

  it('rejects an invalid event naming the field, and records nothing', async () => {
    const error = await ingestion.ingest({ ...versionCreated(), occurredAt: 'yesterday' }, 'graphql').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidJobEventError);
    expect((error as InvalidJobEventError).problems.map((p) => p.field)).toEqual(['occurredAt']);
    expect(await inbox()).toEqual([]);
    expect(recorder.committed).toEqual([]);
  });
});
