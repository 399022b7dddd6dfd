import { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../../config/herald-config';
import { dataSourceOptions } from '../../database/data-source-options';
import { DatabaseHealth } from '../../database/database-health';
import { runMigrations } from '../../database/prepare-database';
import { SystemClock } from '../../clock/clock';
import { Transactions } from '../../database/transactions';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { DigestEntity } from '../entities/digest.entity';
import { DeliveryEntity } from '../entities/delivery.entity';
import { NotificationEntity } from '../entities/notification.entity';
import { DeliveryOutbox, type NewDelivery } from './delivery-outbox';

/** SQLite in memory; also PostgreSQL (a schema of its own, dropped after) when HERALD_TEST_DATABASE_URL is set. */
const DATABASES: Array<{ name: string; database: DatabaseConfig }> = [
  { name: 'sqlite', database: { type: 'sqlite', path: ':memory:' } },
  ...(process.env.HERALD_TEST_DATABASE_URL
    ? [{ name: 'postgres', database: { type: 'postgres' as const, url: process.env.HERALD_TEST_DATABASE_URL, schema: `herald_outbox_${process.pid}_${Date.now().toString(36)}` } }]
    : []),
];

describe.each(DATABASES)('DeliveryOutbox: deliveries and their events ($name)', ({ database }) => {
  let dataSource: DataSource;
  let outbox: DeliveryOutbox;

  beforeAll(async () => {
    dataSource = await new DataSource({
      ...dataSourceOptions(database),
      entities: [DeliveryEntity, DeliveryEventEntity, DigestEntity, NotificationEntity],
      logger: 'advanced-console',
      logging: false,
    }).initialize();
    await runMigrations(dataSource);
    outbox = new DeliveryOutbox(dataSource, new Transactions(dataSource, new DatabaseHealth()), new SystemClock());
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
    recipientEmail: `${recipient}@example.com`,
    recipientName: null,
    recipientLocale: null,
    recipientTimeZone: null,
  });
  const eventsOf = async (deliveryId: number) =>
    (await dataSource.getRepository(DeliveryEventEntity).find({ where: { deliveryId }, order: { position: 'ASC' } })).map((e) => e.eventId);

  it('writes each delivery with its events in order, one or several, and answers each with its own id', async () => {
    const planned = [delivery('ann', ['e1']), delivery('bob', ['e3', 'e1', 'e2']), delivery('cid', ['e2'])];
    const inserted = await dataSource.transaction((manager) => outbox.insert(manager, planned));
    expect(inserted.map((d) => [d.recipientEmail, d.eventId])).toEqual([
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
    expect(claimed.map((d) => [d.recipientEmail, d.eventId])).toEqual([
      ['ann@example.com', 'e1'],
      ['bob@example.com', 'e3'],
      ['cid@example.com', 'e2'],
    ]);
  });
});
