import { EventEmitter2 } from '@nestjs/event-emitter';
import { HeraldTestApp, removeStorage, TEST_DATABASE_URL, type TestStorage } from '../../../test/support/herald-test-app';
import { NotificationsCore } from '../../../test/support/notifications-core';
import { eventually } from '../../../test/support/people';
import { SmtpSink } from '../../../test/support/smtp-sink';
import { Transactions } from '../../database/transactions';
import { NotificationType } from '../../event-types/notification-type';
import { JobEventIngestionService } from '../../job-events/ingestion/job-event-ingestion.service';
import { ApplicationsService } from '../../users/applications/applications.service';
import { MembershipRole } from '../../users/entities/membership.entity';
import { NotificationFrequency } from '../../users/frequency/notification-frequency';
import { UsersService } from '../../users/users.service';
import { Digests } from '../digests/digests';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';
import { NotificationEntity } from '../entities/notification.entity';
import { DeliveriesDueEvent } from '../outbox/deliveries-due.event';
import { DeliveryOutbox } from '../outbox/delivery-outbox';
import { Dispatcher } from './dispatcher';

const HOUR = 3_600_000;
let seq = 0;
const jobFailed = (applicationId: string, at = '2026-01-05T09:00:00Z') => ({
  schemaVersion: 1,
  id: `rd-${++seq}`,
  type: 'JOB_FAILED',
  occurredAt: at,
  application: { id: applicationId, name: `App ${applicationId}` },
  job: { id: `job-${seq}`, kind: 'analysis', startedAt: at, endedAt: at },
  error: { message: 'Out of memory' },
});

/**
 * The check before sending (Readers), on the paths the end-to-end suite cannot
 * time: a hand-off from planning announced after its person lost the application,
 * and a digest closed while no relay was configured whose person then lost one of
 * its applications (it is narrowed to the rest). Real outbox (SQLite in memory,
 * and PostgreSQL when HERALD_TEST_DATABASE_URL is set), real SMTP server, a ManualClock.
 */
const DATABASES = [{ name: 'sqlite', postgres: false }, ...(TEST_DATABASE_URL ? [{ name: 'postgres', postgres: true }] : [])];

describe.each(DATABASES)('Readers: who still receives a mail, asked again before it is sent ($name)', ({ postgres }) => {
  let core: NotificationsCore;
  let sink: SmtpSink;
  let storage: TestStorage | undefined;
  const deliveries = (recipientId?: string) => core.dataSource.getRepository(DeliveryEntity).find({ where: recipientId ? { recipientId } : {}, order: { id: 'ASC' } });
  const eventsOf = async (deliveryId: number) =>
    (await core.dataSource.getRepository(DeliveryEventEntity).find({ where: { deliveryId }, order: { position: 'ASC' } })).map((e) => e.eventId);

  beforeEach(async () => {
    sink = await new SmtpSink().start();
    storage = postgres ? HeraldTestApp.freshStorage() : undefined;
    const database: Record<string, string> = storage ? { DATABASE_URL: TEST_DATABASE_URL!, DATABASE_SCHEMA: storage.schema, DATA_DIR: storage.dataDir } : {};
    core = await NotificationsCore.start({ DISPATCH_SWEEP_INTERVAL_MS: String(HOUR), SETTINGS_REFRESH_INTERVAL_MS: String(HOUR), ...database }, { clockStart: Date.UTC(2026, 0, 5, 9) });
    await core.seedApplication('app-1', ['ann', 'bob']);
    await core.seedApplication('app-2', ['ann']);
  });
  afterEach(async () => {
    await core?.close();
    if (storage) await removeStorage(storage);
    await sink.stop();
  });

  it("checks planning's hand-off too: a person who lost the application since gets nothing, CANCELLED with the reason", async () => {
    await core.useRelay(sink.port);
    const dispatcher = core.get(Dispatcher);
    const event = jobFailed('app-1');
    const payload = JSON.stringify(event);
    // Written as the planner writes a hand-off: claimed by this dispatcher, with the event.
    const handed = await core.get(Transactions).run(async (manager) => {
      await manager.getRepository(NotificationEntity).insert({ eventId: event.id, eventType: 'JOB_FAILED', payload });
      const people = ['ann', 'bob'].map((p) => ({
        eventIds: [event.id], eventType: 'JOB_FAILED', applicationId: 'app-1', recipientId: p,
        channel: 'email', address: `${p}@example.com`, recipientName: p, recipientLocale: 'en', recipientTimeZone: null,
      }));
      return core.get(DeliveryOutbox).insert(manager, people, { owner: dispatcher.owner, leaseMs: 120_000 });
    });
    await core.get(ApplicationsService).revoke('bob', 'app-1', MembershipRole.MANAGE, { id: 'admin', name: null });
    core.get(EventEmitter2).emit(DeliveriesDueEvent.NAME, new DeliveriesDueEvent(2, { owner: dispatcher.owner, deliveries: handed, payloads: new Map([[event.id, payload]]) }));

    await eventually(async () =>
      expect((await deliveries()).map((d) => [d.recipientId, d.status, d.attempts, d.lastError])).toEqual([
        ['ann', DeliveryStatus.SENT, 1, null],
        ['bob', DeliveryStatus.CANCELLED, 0, 'no longer a manager of app-1'],
      ]),
    );
    expect(sink.received.flatMap((m) => m.to)).toEqual(['ann@example.com']);
  });

  it('narrows a digest closed while no relay was configured to the applications its person still manages when it is sent', async () => {
    await core.get(UsersService).setPreference('ann', NotificationType.JOB_FAILED, undefined, { frequency: NotificationFrequency.DIGEST_HOURLY });
    const ingest = (e: object) => core.get(JobEventIngestionService).ingest(e, 'emitter');
    const [inB, inA] = [jobFailed('app-2', '2026-01-05T09:10:00Z'), jobFailed('app-1', '2026-01-05T09:20:00Z')];
    await ingest(inB);
    await ingest(inA);
    core.clock.advance(HOUR);
    expect(await core.get(Digests).sweep()).toBe(1); // no relay: the digest waits
    const [digest] = await eventually(async () => {
      const rows = await deliveries('ann'); // bob has app-1's mail of his own
      expect(rows.map((d) => d.status)).toEqual([DeliveryStatus.WAITING]);
      return rows;
    });
    expect(await eventsOf(digest.id)).toEqual([inA.id, inB.id]); // newest first: app-1's is its first event
    expect(digest.applicationId).toBe('app-1');

    await core.get(ApplicationsService).revoke('ann', 'app-1', MembershipRole.MANAGE, { id: 'admin', name: null });
    await core.get(UsersService).updateProfile('ann', { email: 'ann.new@example.net' });
    await core.useRelay(sink.port);

    const [mail] = await eventually(async () => {
      const mine = sink.received.filter((m) => !m.to.includes('bob@example.com'));
      expect(mine).toHaveLength(1);
      return mine;
    });
    expect(mail.to).toEqual(['ann.new@example.net']);
    expect(mail.parsed.text).toContain('(app-2)');
    expect(mail.parsed.text).not.toContain('(app-1)');
    const rows = await eventually(async () => {
      const all = await deliveries('ann');
      expect(all.map((d) => d.status)).toEqual([DeliveryStatus.SENT, DeliveryStatus.CANCELLED]);
      return all;
    });
    // The digest now lists app-2's event alone (its type and application are that event's); app-1's is cancelled on its own.
    expect(rows[0]).toMatchObject({ id: digest.id, applicationId: 'app-2', address: 'ann.new@example.net' });
    expect(await eventsOf(digest.id)).toEqual([inB.id]);
    expect(rows[1]).toMatchObject({ applicationId: 'app-1', recipientId: 'ann', attempts: 0, lastError: 'no longer a manager of app-1' });
    expect(await eventsOf(rows[1].id)).toEqual([inA.id]);
    expect(sink.received.filter((m) => !m.to.includes('bob@example.com'))).toHaveLength(1);
  });
});
