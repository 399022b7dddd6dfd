import { type DataSource, In } from 'typeorm';
import { openDatabase, testDatabases } from '../../../test/support/memory-database';
import { itIf, NEEDS_POSTGRES, NEEDS_SQLITE } from '../../../test/support/skipped-suites';
import { ManualClock } from '../../clock/manual-clock';
import type { Transactions } from '../../database/transactions';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { DigestEntity } from '../entities/digest.entity';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';
import { NotificationEntity } from '../entities/notification.entity';
import { DeliveryOutbox, type NewDelivery } from './delivery-outbox';

const LEASE_MS = 60_000;

/** A step of PostgreSQL's plan, as EXPLAIN (ANALYZE, FORMAT JSON) gives it. */
interface PlanNode {
  'Node Type': string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** The outbox on Herald's real schema (SQLite in memory, and PostgreSQL when given), its time told by a clock the test moves. */
describe.each(testDatabases('herald_outbox_claims'))('DeliveryOutbox ($name)', ({ name, database: databaseOf }) => {
  const postgres = name === 'postgres';
  let dataSource: DataSource;
  let transactions: Transactions;
  let clock: ManualClock;
  let outbox: DeliveryOutbox;

  const recipient = (n: number, eventId = 'ev-1'): NewDelivery => ({
    eventIds: [eventId],
    eventType: 'JOB_FAILED',
    applicationId: 'app-1',
    recipientId: `u${n}`,
    channel: 'email',
    address: `u${n}@example.com`,
    recipientName: `User ${n}`,
    recipientLocale: null,
    recipientTimeZone: null,
  });
  const plan = (deliveries: NewDelivery[], claim?: { owner: string; leaseMs: number }) =>
    transactions.run(async (manager) => {
      await manager.getRepository(NotificationEntity).insert({ eventId: 'ev-1', eventType: 'JOB_FAILED', payload: '{}' });
      return outbox.insert(manager, deliveries, claim);
    });
  const row = (id: number) => dataSource.getRepository(DeliveryEntity).findOneByOrFail({ id });

  beforeEach(async () => {
    const database = databaseOf();
    ({ dataSource, transactions } = await openDatabase(database, [DeliveryEntity, DeliveryEventEntity, DigestEntity, NotificationEntity]));
    clock = new ManualClock();
    outbox = new DeliveryOutbox(dataSource, transactions, clock);
  });
  afterEach(async () => {
    const options = dataSource.options;
    if (options.type === 'postgres') await dataSource.query(`DROP SCHEMA "${options.schema}" CASCADE`);
    await dataSource.destroy();
  });

  it('writes fresh deliveries PENDING and due now, or already claimed with a lease from now', async () => {
    const [pending] = await plan([recipient(1)]);
    expect(await row(pending.id)).toMatchObject({ status: DeliveryStatus.PENDING, leaseOwner: null, nextAttemptAt: clock.date() });

    await dataSource.createQueryBuilder().delete().from(DeliveryEntity).execute();
    await dataSource.createQueryBuilder().delete().from(NotificationEntity).execute();
    const [handed] = await plan([recipient(1)], { owner: 'me', leaseMs: LEASE_MS });
    expect(handed.leaseExpiresAt).toBe(clock.now() + LEASE_MS);
    expect(await row(handed.id)).toMatchObject({ status: DeliveryStatus.SENDING, leaseOwner: 'me', leaseExpiresAt: new Date(clock.now() + LEASE_MS) });
    expect(await outbox.claim('other', 10, LEASE_MS)).toEqual([]); // claimed already
  });

  it('lets another owner take over a claim only once its lease has run out, and then ignores the first owner\'s outcome', async () => {
    await plan([recipient(1), recipient(2)]);
    const mine = await outbox.claim('a', 10, LEASE_MS);
    expect(mine.map((d) => d.address)).toEqual(['u1@example.com', 'u2@example.com']);

    clock.advance(LEASE_MS - 1);
    expect(await outbox.claim('b', 10, LEASE_MS)).toEqual([]);
    clock.advance(2);
    const theirs = await outbox.claim('b', 1, LEASE_MS);
    expect(theirs.map((d) => d.id)).toEqual([mine[0].id]);

    await outbox.record(
      mine.map((delivery) => ({ delivery, status: DeliveryStatus.SENT, messageId: `<${delivery.id}@x>`, reply: '250 OK' })),
      'a',
    );
    expect(await row(mine[0].id)).toMatchObject({ status: DeliveryStatus.SENDING, leaseOwner: 'b' }); // b holds it now
    expect(await row(mine[1].id)).toMatchObject({ status: DeliveryStatus.SENT, attempts: 1, sentAt: clock.date(), leaseOwner: null });
  });

  it('records each kind of outcome with every column it sets, all at once (SQLite: one transaction, an UPDATE by id per outcome)', async () => {
    const claimed = await plan([1, 2, 3, 4, 5].map((n) => recipient(n)), { owner: 'a', leaseMs: LEASE_MS });
    const [sent, noted, retried, failed, cancelled] = claimed;
    clock.advance(1_000);
    const retryAt = new Date(clock.now() + 60_000);
    const connection = postgres ? undefined : (dataSource.driver as unknown as { databaseConnection: { exec(sql: string): unknown; prepare(sql: string): unknown } }).databaseConnection;
    const exec = connection && jest.spyOn(connection, 'exec');
    const prepare = connection && jest.spyOn(connection, 'prepare');
    await outbox.record(
      [
        { delivery: sent, status: DeliveryStatus.SENT, messageId: '<1@x>', reply: '250 OK', sentVia: 'primary: relay:25' },
        { delivery: { ...noted, address: 'new@example.com' }, status: DeliveryStatus.SENT, messageId: null, reply: null, note: 'sent without a reply' },
        { delivery: retried, status: DeliveryStatus.RETRY, nextAttemptAt: retryAt, reply: '451 later', error: 'try again' },
        { delivery: failed, status: DeliveryStatus.FAILED, reply: '550 no', error: 'refused' },
        { delivery: cancelled, status: DeliveryStatus.CANCELLED, reply: null, error: 'no longer a manager' },
      ],
      'a',
    );
    if (exec && prepare) {
      expect(exec.mock.calls.map(([statement]) => statement)).toEqual(['BEGIN IMMEDIATE', 'COMMIT']);
      expect(prepare.mock.calls.map(([statement]) => String(statement).replace(/\s+/g, ' ').slice(0, 32))).toEqual(['UPDATE "deliveries" SET status =']); // by id, not FROM JSON rows
      exec.mockRestore();
      prepare.mockRestore();
    }
    const now = clock.date();
    const lease = { leaseOwner: null, leaseExpiresAt: null, updatedAt: now };
    expect(await row(sent.id)).toMatchObject({ ...lease, status: DeliveryStatus.SENT, attempts: 1, messageId: '<1@x>', sentVia: 'primary: relay:25', lastReply: '250 OK', lastError: null, sentAt: now });
    expect(await row(noted.id)).toMatchObject({ ...lease, status: DeliveryStatus.SENT, attempts: 1, address: 'new@example.com', messageId: null, sentVia: null, lastReply: null, lastError: 'sent without a reply', sentAt: now });
    expect(await row(retried.id)).toMatchObject({ ...lease, status: DeliveryStatus.RETRY, attempts: 1, nextAttemptAt: retryAt, lastReply: '451 later', lastError: 'try again', messageId: null, sentAt: null });
    expect(await row(failed.id)).toMatchObject({ ...lease, status: DeliveryStatus.FAILED, attempts: 1, lastReply: '550 no', lastError: 'refused', sentAt: null });
    expect(await row(cancelled.id)).toMatchObject({ ...lease, status: DeliveryStatus.CANCELLED, attempts: 0, lastReply: null, lastError: 'no longer a manager', sentAt: null });
  });

  it("counts a delivery's lost sessions against it only when the relay worked since the last one, and only for the claim's owner", async () => {
    const [d] = await plan([recipient(1)], { owner: 'a', leaseMs: LEASE_MS });
    expect(await outbox.countFailure(d, 'a', null)).toBe(1); // the first counts
    clock.advance(1000);
    expect(await outbox.countFailure(d, 'a', null)).toBe(1); // the relay never worked since: down for everyone
    const lastFailure = clock.date();
    clock.advance(1000);
    expect(await outbox.countFailure(d, 'a', new Date(lastFailure.getTime() - 1))).toBe(1); // it worked, but before that failure
    clock.advance(500);
    const worked = clock.date(); // another mail accepted, or a probe passed
    clock.advance(500);
    expect(await outbox.countFailure(d, 'a', worked)).toBe(2);
    expect(await outbox.countFailure({ ...d, channelFailures: 2 }, 'b', clock.date())).toBe(2); // not b's claim: nothing written
    expect(await row(d.id)).toMatchObject({ relayFailures: 2, relayFailedAt: clock.date() });

    await outbox.release([d.id], 'a');
    clock.advance(1000);
    const [again] = await outbox.claim('c', 10, LEASE_MS);
    expect(again).toMatchObject({ id: d.id, channelFailures: 2 }); // a claim carries the count
  });

  it('claims a RETRY only once its backoff has passed', async () => {
    await plan([recipient(1)]);
    const [claimed] = await outbox.claim('a', 10, LEASE_MS);
    const retryAt = new Date(clock.now() + 30_000);
    await outbox.record([{ delivery: claimed, status: DeliveryStatus.RETRY, nextAttemptAt: retryAt, reply: '451 later', error: 'try again' }], 'a');

    clock.advance(29_999);
    expect(await outbox.claim('a', 10, LEASE_MS)).toEqual([]);
    clock.advance(1);
    expect(await outbox.claim('a', 10, LEASE_MS)).toMatchObject([{ id: claimed.id, attempts: 1 }]);
  });

  it('claims failed and stopped jobs\' mails first, then by when each is due, across new, retried and abandoned deliveries', async () => {
    await dataSource.getRepository(NotificationEntity).insert({ eventId: 'ev-1', eventType: 'JOB_FAILED', payload: '{}' });
    const write = (deliveries: NewDelivery[], claim?: { owner: string; leaseMs: number }) => transactions.run((manager) => outbox.insert(manager, deliveries, claim));
    const succeeded = (n: number): NewDelivery => ({ ...recipient(n), eventType: 'JOB_SUCCEEDED' });
    const start = clock.now();
    const [retried] = await write([recipient(1)]);
    await outbox.claim('x', 10, LEASE_MS);
    await outbox.record([{ delivery: retried, status: DeliveryStatus.RETRY, nextAttemptAt: new Date(start + 500), reply: '451 later', error: 'try again' }], 'x');
    await write([succeeded(2), recipient(3)]);
    clock.advance(1_000);
    await write([succeeded(4)]);
    await write([recipient(5)], { owner: 'x', leaseMs: 500 }); // abandoned: its lease runs out at 1,500
    clock.advance(1_000);

    // Taken: failed jobs' mails by when due (3 at 0, 1 at 500, 5 at 1,000), then the rest (2 at 0, 4 at
    // 1,000); each batch is answered failed jobs' first, then as planned.
    const claims = [];
    for (let i = 0; i < 3; i++) claims.push((await outbox.claim('a', 2, LEASE_MS)).map((d) => d.recipientId));
    expect(claims).toEqual([['u1', 'u3'], ['u5', 'u2'], ['u4']]);
  });

  itIf(!postgres, NEEDS_SQLITE)('reads each state\'s due deliveries in claim order from its index and sorts only those, not the backlog (SQLite)', async () => {
    const plan = (await dataSource.query(`EXPLAIN QUERY PLAN ${outbox['claimSql'].sql}`, Array(10).fill(null))) as Array<{ detail: string }>;
    const steps = plan.map((step) => step.detail);
    expect(steps.filter((step) => step === 'SEARCH deliveries USING COVERING INDEX IDX_deliveries_claim (status=?)')).toHaveLength(2); // PENDING, RETRY
    expect(steps).toContain('SEARCH deliveries USING INDEX IDX_deliveries_claim (status=?)'); // abandoned claims (their lease read from the row)
    expect(steps.some((step) => step.startsWith('MULTI-INDEX OR'))).toBe(false);
  });

  itIf(postgres, NEEDS_POSTGRES)("reads each state's due deliveries in claim order from its index, locking as it goes, and sorts only those, not the backlog (PostgreSQL)", async () => {
    // A backlog of one fan-out (one statement: the same priority and due time for all), with a few retried and abandoned.
    const backlog = await plan(Array.from({ length: 2000 }, (_, n) => recipient(n)));
    const deliveries = dataSource.getRepository(DeliveryEntity);
    await deliveries.update({ id: In(backlog.slice(0, 5).map((d) => d.id)) }, { status: DeliveryStatus.RETRY });
    await deliveries.update({ id: In(backlog.slice(5, 10).map((d) => d.id)) }, { status: DeliveryStatus.SENDING, leaseOwner: 'gone', leaseExpiresAt: new Date(clock.now() - 1) });
    await dataSource.query(`ANALYZE ${dataSource.getMetadata(DeliveryEntity).tablePath.split('.').map((part) => `"${part}"`).join('.')}`);

    // The claim's own statement and parameters, run under EXPLAIN ANALYZE and rolled back.
    const limit = 10;
    const claimSql = outbox['claimSql'];
    let parameters: readonly unknown[] = [];
    jest.spyOn(claimSql, 'query').mockImplementationOnce(async (_manager, given) => ((parameters = given ?? []), []));
    await outbox.claim('a', limit, LEASE_MS);
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    let root: PlanNode;
    try {
      [{ 'QUERY PLAN': [{ Plan: root }] }] = await runner.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${claimSql.sql}`, [...parameters]);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }

    expect(root['Actual Rows']).toBe(limit); // it claimed
    const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];
    const read = (node: PlanNode) => (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * node['Actual Loops'];
    // No step reads (or sorts) more than each state's first `limit` rows: none reads the backlog.
    expect(nodes(root).filter((node) => read(node) > 3 * limit).map((node) => `${node['Node Type']}: ${read(node)} rows`)).toEqual([]);
    expect(nodes(root).filter((node) => node['Index Name'] === 'IDX_deliveries_claim').length).toBeGreaterThanOrEqual(2); // PENDING, RETRY
  });

  itIf(postgres, NEEDS_POSTGRES)('never gives one delivery to two claims at once: each takes the next rows instead (PostgreSQL)', async () => {
    const planned = await plan(Array.from({ length: 100 }, (_, n) => recipient(n)));
    const claims = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((owner) => outbox.claim(owner, 30, LEASE_MS)));
    const ids = claims.flat().map((d) => d.id);
    expect(ids.sort((a, b) => a - b)).toEqual(planned.map((d) => d.id)); // each once
  });

  it('holds due deliveries while there is no relay, and makes them due again from now', async () => {
    await plan([recipient(1), recipient(2)]);
    expect(await outbox.holdDue('email', 'waiting: no relay')).toBe(2);
    expect(await outbox.claim('a', 10, LEASE_MS)).toEqual([]);

    clock.advance(5_000);
    expect(await outbox.requeueWaiting('email')).toBe(2);
    const [first] = await outbox.claim('a', 10, LEASE_MS);
    expect(await row(first.id)).toMatchObject({ attempts: 0, nextAttemptAt: clock.date(), lastError: 'waiting: no relay' });
  });

  it('gives back claimed deliveries unsent, without spending an attempt', async () => {
    await plan([recipient(1)]);
    const [claimed] = await outbox.claim('a', 10, LEASE_MS);
    await outbox.release([claimed.id], 'someone-else');
    expect((await row(claimed.id)).status).toBe(DeliveryStatus.SENDING);
    await outbox.release([claimed.id], 'a');
    expect(await row(claimed.id)).toMatchObject({ status: DeliveryStatus.PENDING, attempts: 0, leaseOwner: null });
    expect(await outbox.claim('b', 10, LEASE_MS)).toHaveLength(1);
  });
});
