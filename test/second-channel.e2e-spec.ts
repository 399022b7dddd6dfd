import { EventEmitter2 } from '@nestjs/event-emitter';
import { Role } from '../src/auth/role.enum';
import { ChannelsChangedEvent } from '../src/channels/delivery-channel.port';
import { NotificationType } from '../src/event-types/notification-type';
import { NotificationFrequency } from '../src/users/frequency/notification-frequency';
import { UsersService } from '../src/users/users.service';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { MemoryChannel, MemoryChannelModule } from './support/memory-channel';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const EVENT = 'query($id: ID!) { event(id: $id) { recipients deliveries { id channel address recipientEmail status attempts lastReply lastError messageId } } }';

/**
 * A second delivery channel, written for this test (test/support/memory-channel.ts:
 * it keeps what it is given in memory) and registered as a channel's module is —
 * nothing else of Herald changes: planning addresses everyone on both channels, the
 * outbox, the dispatcher, retries and the delivery log carry its deliveries beside
 * the email ones (sent to a real SMTP server).
 */
describe(`a second channel beside email (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  let memory: MemoryChannel;
  let seq = 0;
  const publish = async (applicationId = 'shop') => {
    const input = { schemaVersion: 1, id: `second-${process.pid}-${++seq}`, type: 'VERSION_CREATED', occurredAt: '2026-11-24T09:00:00Z', application: { id: applicationId, name: 'Shop' }, version: { name: `v${seq}` } };
    const { data, errors } = await app.gql(PUBLISH, { input }, app.token(Role.SERVICE, 'console'));
    if (errors) throw new Error(JSON.stringify(errors));
    return data!.publishJobEvent as { eventId: string; deliveries: number };
  };
  const deliveriesOf = async (eventId: string) => (await app.admin(EVENT, { id: eventId })).event.deliveries as Array<Record<string, string | number | null>>;
  const byChannel = (ds: Array<Record<string, unknown>>, ...fields: string[]) => ds.map((d) => [d.channel, d.address, ...fields.map((f) => d[f])]);

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start(
      {
        ...sink.relayEnv('herald@example.com'),
        DISPATCH_SWEEP_INTERVAL_MS: '200', DISPATCH_BACKOFF_BASE_MS: '300', DISPATCH_BACKOFF_MAX_MS: '600', DISPATCH_MAX_ATTEMPTS: '3',
      },
      undefined,
      { modules: [MemoryChannelModule] },
    );
    memory = app.app.get(MemoryChannel);
    await seedApplication(app, { id: 'shop', name: 'Shop' }, [{ id: 'ann' }, { id: 'bob' }]);
  });
  afterAll(async () => {
    await app?.close();
    await sink.stop();
  });
  beforeEach(() => {
    memory.failWith = undefined;
    memory.hold = undefined;
  });

  it("plans, sends and logs each event on both channels: the mails to the SMTP server, the other channel's messages in memory", async () => {
    const { eventId, deliveries } = await publish();
    expect(deliveries).toBe(4);
    await eventually(async () => expect((await deliveriesOf(eventId)).every((d) => d.status === 'SENT')).toBe(true));
    const ds = await deliveriesOf(eventId);
    expect(byChannel(ds, 'recipientEmail').sort()).toEqual([
      ['email', 'ann@example.com', 'ann@example.com'],
      ['email', 'bob@example.com', 'bob@example.com'],
      ['memory', 'memory:ann', 'memory:ann'],
      ['memory', 'memory:bob', 'memory:bob'],
    ]);
    expect(sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === eventId).flatMap((m) => m.to).sort()).toEqual(['ann@example.com', 'bob@example.com']);
    const stored = memory.stored.filter((m) => m.eventIds[0] === eventId);
    expect(stored.map((m) => [m.delivery.address, m.types])).toEqual(expect.arrayContaining([['memory:ann', ['VERSION_CREATED']], ['memory:bob', ['VERSION_CREATED']]]));
    expect(ds.find((d) => d.address === 'memory:ann')).toMatchObject({ messageId: expect.stringMatching(/^<memory\.\d+>$/), lastReply: 'stored', attempts: 1 });
    // The log filters and pages them like any delivery.
    const mine = await app.gql('{ deliveries(filter: { status: SENT }) { totalCount edges { node { channel address } } } }', {}, app.token(Role.USER, 'ann'));
    expect(mine.data?.deliveries.edges.map((e: { node: { channel: string } }) => e.node.channel).sort()).toEqual(['email', 'memory']);
  });

  it("retries the other channel's transient failure after its backoff, fails a final one, and retryDelivery sends it again", async () => {
    memory.failWith = (d) =>
      d.address === 'memory:ann'
        ? d.attempts === 0 ? { scope: 'message', transient: true, reply: '451 later', description: 'memory is busy', via: 'memory' } : undefined
        : { scope: 'recipient', transient: false, reply: '550 gone', description: 'no such box', via: 'memory' };
    const { eventId } = await publish();
    await eventually(async () =>
      expect(byChannel(await deliveriesOf(eventId), 'status', 'attempts').filter(([c]) => c === 'memory').sort()).toEqual([
        ['memory', 'memory:ann', 'SENT', 2],
        ['memory', 'memory:bob', 'FAILED', 1],
      ]),
    );
    const bob = (await deliveriesOf(eventId)).find((d) => d.address === 'memory:bob')!;
    expect(bob).toMatchObject({ lastReply: '550 gone', lastError: 'no such box' });
    memory.failWith = undefined;
    await app.admin('mutation($input: RetryDeliveryInput!) { retryDelivery(input: $input) { id } }', { input: { id: bob.id } });
    await eventually(async () => expect((await deliveriesOf(eventId)).find((d) => d.id === bob.id)).toMatchObject({ status: 'SENT', attempts: 1 }));
    // Email went its own way meanwhile.
    expect(byChannel(await deliveriesOf(eventId), 'status').filter(([c]) => c === 'email')).toEqual([
      ['email', 'ann@example.com', 'SENT'],
      ['email', 'bob@example.com', 'SENT'],
    ]);
  });

  it('holds only its own deliveries while it holds, and sends them once it says it may', async () => {
    memory.hold = { reason: 'waiting: the memory is full' };
    await app.app.get(EventEmitter2).emitAsync(ChannelsChangedEvent.NAME, new ChannelsChangedEvent());
    const { eventId } = await publish();
    await eventually(async () =>
      expect(byChannel(await deliveriesOf(eventId), 'status', 'lastError').sort()).toEqual([
        ['email', 'ann@example.com', 'SENT', null],
        ['email', 'bob@example.com', 'SENT', null],
        ['memory', 'memory:ann', 'WAITING', 'waiting: the memory is full'],
        ['memory', 'memory:bob', 'WAITING', 'waiting: the memory is full'],
      ]),
    );
    memory.hold = undefined;
    await app.app.get(EventEmitter2).emitAsync(ChannelsChangedEvent.NAME, new ChannelsChangedEvent());
    await eventually(async () => expect((await deliveriesOf(eventId)).map((d) => d.status)).toEqual(['SENT', 'SENT', 'SENT', 'SENT']));
  });

  it('keeps what waits for a digest per channel, and sends it on each when the person leaves digests', async () => {
    const users = app.app.get(UsersService);
    await users.setPreference('bob', NotificationType.VERSION_CREATED, undefined, { frequency: NotificationFrequency.DIGEST_DAILY, digestHour: 8 });
    const { eventId, deliveries } = await publish();
    expect(deliveries).toBe(2); // ann's two; bob's wait for his digest, on each channel
    await users.setPreference('bob', NotificationType.VERSION_CREATED, undefined, { frequency: NotificationFrequency.IMMEDIATELY });
    await eventually(async () =>
      expect(byChannel(await deliveriesOf(eventId), 'status').sort()).toEqual([
        ['email', 'ann@example.com', 'SENT'],
        ['email', 'bob@example.com', 'SENT'],
        ['memory', 'memory:ann', 'SENT'],
        ['memory', 'memory:bob', 'SENT'],
      ]),
    );
    expect((await app.admin(EVENT, { id: eventId })).event.recipients).toBe(4);
  });
});
