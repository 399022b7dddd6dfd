import { EventEmitter2 } from '@nestjs/event-emitter';
import { NotificationsCore } from '../../../test/support/notifications-core';
import { roundTrips } from '../../../test/support/round-trips';
import { itIf, NEEDS_POSTGRES } from '../../../test/support/skipped-suites';
import { Transactions } from '../../database/transactions';
import { Dispatcher } from '../dispatch/dispatcher';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';
import { DeliveriesDueEvent } from '../outbox/deliveries-due.event';
import { NotificationPlanner } from './notification-planner';

let seq = 0;
const versionCreated = (applicationId = 'app-1') => ({
  schemaVersion: 1 as const,
  id: `ev-${++seq}`,
  type: 'VERSION_CREATED' as never,
  occurredAt: '2026-01-05T08:00:00Z',
  application: { id: applicationId, name: 'Billing' },
  version: { name: 'v2' },
});

/**
 * The planner inside a transaction of its own making (as ingestion's), on SQLite in
 * memory: what it writes, and what it announces — only once that is committed.
 */
describe('NotificationPlanner', () => {
  let core: NotificationsCore;
  let announced: DeliveriesDueEvent[];
  const plan = (events: ReturnType<typeof versionCreated>[], fail = false) =>
    core.get(Transactions).run(async (manager) => {
      const counts = await core.get(NotificationPlanner).recorded(events, manager);
      expect(announced).toEqual([]); // nothing told before the commit
      if (fail) throw new Error('the inbox could not be written');
      return counts;
    });
  const deliveries = () => core.dataSource.getRepository(DeliveryEntity).find({ order: { id: 'ASC' } });

  beforeEach(async () => {
    core = await NotificationsCore.start({ DISPATCH_BATCH_SIZE: '1' }); // the dispatcher takes at most 2 at once
    announced = [];
    core.get(EventEmitter2).on(DeliveriesDueEvent.NAME, (e: DeliveriesDueEvent) => announced.push(e));
    await core.seedApplication('app-1', ['ann', 'bob']);
    await core.seedApplication('app-3', ['cy', 'di', 'ed']);
  });
  afterEach(() => core?.close());

  it('without a relay, writes the deliveries PENDING and announces them for a claim', async () => {
    expect(await plan([versionCreated(), versionCreated('app-3')])).toEqual([2, 3]);
    expect(announced).toHaveLength(1);
    expect(announced[0]).toMatchObject({ count: 5, handOff: undefined });
    expect((await deliveries()).map((d) => [d.address, d.status, d.leaseOwner])).toEqual([
      ['ann@example.com', DeliveryStatus.PENDING, null],
      ['bob@example.com', DeliveryStatus.PENDING, null],
      ['cy@example.com', DeliveryStatus.PENDING, null],
      ['di@example.com', DeliveryStatus.PENDING, null],
      ['ed@example.com', DeliveryStatus.PENDING, null],
    ]);
  });

  it("writes them claimed by this process's dispatcher when it offers room for all, and hands them over with the event", async () => {
    await core.useRelay(1); // configured (nothing listens there: the mails fail later, which is not this test's business)
    const event = versionCreated();
    await plan([event]);
    expect(announced).toHaveLength(1);
    const { handOff } = announced[0];
    expect(handOff?.owner).toBe(core.get(Dispatcher).owner);
    expect(handOff?.deliveries.map((d) => [d.address, d.leaseExpiresAt])).toEqual([
      ['ann@example.com', core.clock.now() + core.get(Dispatcher).leaseMs],
      ['bob@example.com', core.clock.now() + core.get(Dispatcher).leaseMs],
    ]);
    expect(JSON.parse(handOff!.payloads.get(event.id)!)).toEqual(event);
  });

  it('writes them PENDING when they are more than the dispatcher offers to take', async () => {
    await core.useRelay(1);
    await plan([versionCreated('app-3')]);
    expect(announced[0]).toMatchObject({ count: 3, handOff: undefined });
  });

  it('announces nothing, and leaves nothing, when the transaction rolls back', async () => {
    await expect(plan([versionCreated()], true)).rejects.toThrow('the inbox could not be written');
    expect(announced).toEqual([]);
    expect(await deliveries()).toEqual([]);
  });
});

/**
 * On PostgreSQL the planner's statements that do not depend on each other are sent
 * together (pipeline mode): a batch's fixed cost is its round trips.
 */
describe('NotificationPlanner (PostgreSQL)', () => {
  const url = process.env.HERALD_TEST_DATABASE_URL;
  const schema = `herald_planner_${process.pid}`;
  let core: NotificationsCore;
  afterEach(async () => {
    await core?.dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await core?.close();
  });

  itIf(!!url, NEEDS_POSTGRES)('plans a failure for two people in 6 round trips: the history, its writes, the audience, quiet hours, the notification with the cap, the outbox', async () => {
    core = await NotificationsCore.start({ DATABASE_URL: url!, DATABASE_SCHEMA: schema });
    await core.seedApplication('app-1', ['ann', 'bob']);
    const at = '2026-01-05T08:00:00Z';
    const failed = { schemaVersion: 1 as const, id: `ev-${++seq}`, type: 'JOB_FAILED' as never, occurredAt: at, application: { id: 'app-1', name: 'Billing' }, job: { id: 'job-1', kind: 'analysis', startedAt: at, endedAt: at }, error: { message: 'Out of memory' } };
    const { result, trips } = await core.get(Transactions).run((manager) => roundTrips(manager, () => core.get(NotificationPlanner).recorded([failed], manager)));
    expect(result).toEqual([2]);
    expect(trips).toBe(6);
  });
});
