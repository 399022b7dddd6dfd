import { EventEmitter2 } from '@nestjs/event-emitter';
import { Role } from '../src/auth/role.enum';
import { ChannelsChangedEvent } from '../src/channels/delivery-channel.port';
import { NotificationFrequency } from '../src/users/frequency/notification-frequency';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { MemoryAudience, MemoryAudienceModule } from './support/memory-audience';
import { MemoryChannel, MemoryChannelModule } from './support/memory-channel';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const EVENT =
  'query($id: ID!) { event(id: $id) { deliveries { id channel address recipientId status lastError } audience { userId displayName email outcome frequency deliveryId deliveryStatus digestWindowEnd detail } } }';

interface Delivery {
  id: string;
  channel: string;
  address: string;
  recipientId: string;
  status: string;
  lastError: string | null;
}

/**
 * A second audience source, written for this test (test/support/memory-audience.ts:
 * its members live in memory, each reached on one fixed channel and address) and
 * registered as a source's module is — nothing else of Herald changes: planning
 * writes its members' deliveries beside the managers' (a mail to a list address,
 * sent to a real SMTP server; a message on the memory channel), the send-time
 * check asks it (CANCELLED once its member is gone), digests wait per member, and
 * event(id)'s audience shows its members.
 */
describe(`a second audience source beside the console's people (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  let memory: MemoryChannel;
  let listed: MemoryAudience;
  let seq = 0;
  const publish = async (applicationId: string) => {
    const input = { schemaVersion: 1, id: `audience-${process.pid}-${++seq}`, type: 'VERSION_CREATED', occurredAt: '2026-11-24T09:00:00Z', application: { id: applicationId, name: 'Shop' }, version: { name: `v${seq}` } };
    const { data, errors } = await app.gql(PUBLISH, { input }, app.token(Role.SERVICE, 'console'));
    if (errors) throw new Error(JSON.stringify(errors));
    return data!.publishJobEvent as { eventId: string; deliveries: number };
  };
  const eventOf = async (id: string) => (await app.admin(EVENT, { id })).event as { deliveries: Delivery[]; audience: Array<Record<string, string | null>> };
  const rows = (ds: Delivery[]) => ds.map((d) => [d.recipientId, d.channel, d.address, d.status]).sort();

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start(
      { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(sink.port), SMTP_SECURITY: 'NONE', SMTP_AUTH: 'false', SMTP_SENDER: 'herald@example.com', DISPATCH_SWEEP_INTERVAL_MS: '200' },
      undefined,
      { modules: [MemoryChannelModule, MemoryAudienceModule] },
    );
    memory = app.app.get(MemoryChannel);
    memory.reaches = () => false; // people by mail only: the memory channel carries the list's member alone
    listed = app.app.get(MemoryAudience);
    await seedApplication(app, { id: 'shop', name: 'Shop' }, [{ id: 'ann' }]);
    await seedApplication(app, { id: 'desk', name: 'Desk' }, [{ id: 'cy' }]);
  });
  afterAll(async () => {
    await app?.close();
    await sink.stop();
  });
  beforeEach(() => {
    listed.members.splice(0);
    memory.hold = undefined;
  });

  it("plans its members' deliveries on their own channel and address beside the managers', sends them and shows them in event(id)", async () => {
    listed.members.push(
      { id: 1, applicationId: 'shop', channel: 'email', address: 'team@example.com', name: 'Shop team', frequency: NotificationFrequency.IMMEDIATELY, subscribed: true },
      { id: 2, applicationId: 'shop', channel: 'memory', address: 'room-7', name: 'Shop room', frequency: NotificationFrequency.IMMEDIATELY, subscribed: true },
      { id: 3, applicationId: 'shop', channel: 'email', address: 'gone@example.com', name: 'Old list', frequency: NotificationFrequency.IMMEDIATELY, subscribed: false },
      { id: 4, applicationId: 'desk', channel: 'email', address: 'desk@example.com', name: 'Desk team', frequency: NotificationFrequency.IMMEDIATELY, subscribed: true },
    );
    const { eventId, deliveries } = await publish('shop');
    expect(deliveries).toBe(3);
    await eventually(async () => expect((await eventOf(eventId)).deliveries.every((d) => d.status === 'SENT')).toBe(true));
    const event = await eventOf(eventId);
    expect(rows(event.deliveries)).toEqual([
      ['ann', 'email', 'ann@example.com', 'SENT'],
      ['listed 1', 'email', 'team@example.com', 'SENT'],
      ['listed 2', 'memory', 'room-7', 'SENT'],
    ]);
    const mails = sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === eventId);
    expect(mails.flatMap((m) => m.to).sort()).toEqual(['ann@example.com', 'team@example.com']);
    expect(memory.stored.filter((m) => m.eventIds[0] === eventId).map((m) => m.delivery.address)).toEqual(['room-7']);
    expect(event.audience.map((m) => [m.userId, m.email, m.outcome]).sort()).toEqual([
      ['ann', 'ann@example.com', 'MAILED'],
      ['listed 1', 'team@example.com', 'MAILED'],
      ['listed 2', 'room-7', 'MAILED'],
      ['listed 3', 'gone@example.com', 'NOT_RECEIVING'],
    ]);
    expect(event.audience.find((m) => m.userId === 'listed 3')!.detail).toBe('no mail: unsubscribed from the memory list');
  });

  it('asks the source again when the message is to go: a member who left gets nothing, CANCELLED with its reason', async () => {
    listed.members.push(
      { id: 5, applicationId: 'desk', channel: 'memory', address: 'room-9', name: 'Desk room', frequency: NotificationFrequency.IMMEDIATELY, subscribed: true },
      { id: 6, applicationId: 'desk', channel: 'memory', address: 'room-10', name: 'Desk bots', frequency: NotificationFrequency.IMMEDIATELY, subscribed: true },
    );
    memory.hold = { reason: 'waiting: the memory is full' };
    await app.app.get(EventEmitter2).emitAsync(ChannelsChangedEvent.NAME, new ChannelsChangedEvent());
    const { eventId } = await publish('desk');
    await eventually(async () => expect(rows((await eventOf(eventId)).deliveries).filter(([, c]) => c === 'memory').map((r) => r[3])).toEqual(['WAITING', 'WAITING']));
    listed.members.find((m) => m.id === 5)!.subscribed = false;
    memory.hold = undefined;
    await app.app.get(EventEmitter2).emitAsync(ChannelsChangedEvent.NAME, new ChannelsChangedEvent());
    await eventually(async () =>
      expect(rows((await eventOf(eventId)).deliveries)).toEqual([
        ['cy', 'email', 'cy@example.com', 'SENT'],
        ['listed 5', 'memory', 'room-9', 'CANCELLED'],
        ['listed 6', 'memory', 'room-10', 'SENT'],
      ]),
    );
    const event = await eventOf(eventId);
    expect(event.deliveries.find((d) => d.recipientId === 'listed 5')!.lastError).toBe('unsubscribed from the memory list');
    expect(event.audience.find((m) => m.userId === 'listed 5')).toMatchObject({ outcome: 'CANCELLED', detail: expect.stringContaining('cancelled before it was sent: unsubscribed from the memory list') });
    expect(memory.stored.filter((m) => m.eventIds[0] === eventId).map((m) => m.delivery.address)).toEqual(['room-10']);
  });

  it("keeps a member's events for its digest, keyed by its recipient id, and event(id) says so", async () => {
    listed.members.push({ id: 8, applicationId: 'desk', channel: 'email', address: 'digest@example.com', name: 'Desk digest', frequency: NotificationFrequency.DIGEST_HOURLY, subscribed: true });
    const { eventId, deliveries } = await publish('desk');
    expect(deliveries).toBe(1); // cy's; the list's waits for its digest
    const event = await eventOf(eventId);
    expect(event.audience.find((m) => m.userId === 'listed 8')).toMatchObject({ email: 'digest@example.com', outcome: 'DIGEST_PENDING', frequency: 'DIGEST_HOURLY', digestWindowEnd: expect.any(String) });
  });
});
