import type { DataSource } from 'typeorm';
import { openDatabase, testDatabases } from '../../../test/support/memory-database';
import { SystemClock } from '../../clock/clock';
import type { Transactions } from '../../database/transactions';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { DigestEntity } from '../entities/digest.entity';
import { DeliveryEntity } from '../entities/delivery.entity';
import { NotificationEntity } from '../entities/notification.entity';
import { DeliveryOutbox, type NewDelivery } from './delivery-outbox';

describe.each(testDatabases('herald_outbox'))('DeliveryOutbox: deliveries and their events ($name)', ({ database: databaseOf }) => {
  const database = databaseOf();
  let dataSource: DataSource;
  let outbox: DeliveryOutbox;

  beforeAll(async () => {
    let transactions: Transactions;
    ({ dataSource, transactions } = await openDatabase(database, [DeliveryEntity, DeliveryEventEntity, DigestEntity, NotificationEntity]));
    outbox = new DeliveryOutbox(dataSource, transactions, new SystemClock());
    const events = ['e1', 'e2', 'e3'].map((eventId) => ({ eventId, eventType: 'JOB_FAILED', payload: '{}' }));
    await dataSource.getRepository(NotificationEntity).insert(events);
  });
  afterAll(async () => {
    if (database.type === 'postgres') await dataSource.query(`DROP SCHEMA "${database.schema}" CASCADE`);
    await dataSource.destroy();
  });

  const delivery = (recipient: string, eventIds: string[]): NewDelivery => ({
    eventIds,
    eventType: 'JOB_FAILED',
    applicationId: 'app',
    recipientId: recipient,
    channel: 'email',
    address: `${recipient}@example.com`,
    recipientName: null,
    recipientLocale: null,
    recipientTimeZone: null,
  });
  const eventsOf = async (deliveryId: number) =>
    (await dataSource.getRepository(DeliveryEventEntity).find({ where: { deliveryId }, order: { position: 'ASC' } })).map((e) => e.eventId);

  it('writes each delivery with its events in order, one or several, and answers each with its own id', async () => {
    const planned = [delivery('ann', ['e1']), delivery('bob', ['e3', 'e1', 'e2']), delivery('cid', ['e2'])];
    const inserted = await dataSource.transaction((manager) => outbox.insert(manager, planned));
    expect(inserted.map((d) => [d.address, d.eventId])).toEqual([
      ['ann@example.com', 'e1'],
      ['bob@example.com', 'e3'],
      ['cid@example.com', 'e2'],
    ]);
    for (const [i, d] of inserted.entries()) {
      expect(await eventsOf(d.id)).toEqual(planned[i].eventIds);
      expect((await dataSource.getRepository(DeliveryEntity).findOneByOrFail({ id: d.id })).recipientId).toBe(planned[i].recipientId);
    }
  });

  it('claims a delivery with the first of its events', async () => {
    const claimed = await outbox.claim('me', 10, 60_000);
    expect(claimed.map((d) => [d.address, d.eventId])).toEqual([
      ['ann@example.com', 'e1'],
      ['bob@example.com', 'e3'],
      ['cid@example.com', 'e2'],
    ]);
  });
});
