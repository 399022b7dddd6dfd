import { In } from 'typeorm';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { MemoryChannel, MemoryChannelModule } from '../../../test/support/memory-channel';
import { BACKOFF_MAX_MS, DISPATCH_TIMING, jobFailed, NotificationsCore, SWEEP_MS } from '../../../test/support/notifications-core';
import { eventually } from '../../../test/support/people';
import { ChannelsChangedEvent } from '../../channels/delivery-channel.port';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';
import { DeliveriesDueEvent } from '../outbox/deliveries-due.event';
import { DeliveryOutbox } from '../outbox/delivery-outbox';
import { Dispatcher } from './dispatcher';

/**
 * The dispatcher with the real outbox (SQLite in memory) and a channel written for
 * the test that keeps what it is given in memory (the email channel with a real SMTP
 * server: src/email/email-channel.spec.ts); time moves only when the test says so,
 * so backoff, sweeps and leases are tested without waiting for them.
 */
describe('Dispatcher', () => {
  let core: NotificationsCore;
  let channel: MemoryChannel;
  let announced: DeliveriesDueEvent[];
  const ingest = (event: object) => core.ingest(event);
  const deliveriesOf = (eventId: string) => core.deliveriesOf(eventId);
  const statusesOf = async (eventId: string) => (await deliveriesOf(eventId)).map((d) => d.status);
  const start = async (env: Record<string, string> = {}) => {
    core = await NotificationsCore.start(
      { ...DISPATCH_TIMING, ...env },
      { channels: [MemoryChannelModule] },
    );
    channel = core.get(MemoryChannel);
    announced = [];
    core.get(EventEmitter2).on(DeliveriesDueEvent.NAME, (e: DeliveriesDueEvent) => announced.push(e));
    await core.seedApplication('app-1', ['ann', 'bob']);
  };

  afterEach(() => core?.close());

  it('takes the deliveries planned in this process as they commit, already claimed by it, and hands them to their channel', async () => {
    await start();
    const event = jobFailed();
    expect(await ingest(event)).toMatchObject({ deliveries: 2 });
    expect(announced).toHaveLength(1);
    expect(announced[0].handOff?.owner).toBe(core.get(Dispatcher).owner);
    expect(announced[0].handOff?.deliveries.map((d) => [d.channel, d.address])).toEqual([
      ['memory', 'memory:ann'],
      ['memory', 'memory:bob'],
    ]);
    await eventually(async () => expect(await statusesOf(event.id)).toEqual([DeliveryStatus.SENT, DeliveryStatus.SENT]));
    expect(channel.addresses()).toEqual(['memory:ann', 'memory:bob']);
    expect(channel.stored.map((m) => m.types)).toEqual([['JOB_FAILED'], ['JOB_FAILED']]);
    expect(await deliveriesOf(event.id)).toMatchObject([{ messageId: expect.stringMatching(/^<memory\.\d+>$/), lastReply: 'stored', attempts: 1 }, { attempts: 1 }]);
  });

  it('takes work handed over while all its workers were waiting for their last outcomes, without waiting for a sweep', async () => {
    // As many workers as deliveries in an event: after the first event every worker has
    // sent one, found nothing queued and waits for its outcome to be written, which
    // is held back here. The second event is handed over meanwhile: it found every
    // worker still counted, so no new one was started, and it is theirs to take.
    await start({ DISPATCH_CONCURRENCY: '2' });
    const outbox = core.get(DeliveryOutbox);
    const record = outbox.record.bind(outbox);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const records = jest.spyOn(outbox, 'record').mockImplementation(async (...args) => (await held, record(...args)));

    const first = jobFailed();
    await ingest(first);
    await eventually(async () => expect(records).toHaveBeenCalled());
    expect(channel.stored).toHaveLength(2);
    const second = jobFailed();
    expect(await ingest(second)).toMatchObject({ deliveries: 2 });
    release();

    // The clock stands still: no sweep comes to the rescue.
    await eventually(async () => expect(await statusesOf(second.id)).toEqual([DeliveryStatus.SENT, DeliveryStatus.SENT]), 5_000);
    expect(channel.stored).toHaveLength(4);
    expect(await statusesOf(first.id)).toEqual([DeliveryStatus.SENT, DeliveryStatus.SENT]);
  });

  it("runs as many workers as its channels can keep busy (an SMTP pool of 20 connections: 80) when DISPATCH_CONCURRENCY is not set, and DISPATCH_CONCURRENCY's when it is", async () => {
    for (const [env, most] of [[{}, 50], [{ DISPATCH_CONCURRENCY: '7' }, 7]] as Array<[Record<string, string>, number]>) {
      await core?.close();
      await start(env);
      await core.seedApplication('app-many', Array.from({ length: 60 }, (_, i) => `p${i}`));
      let open!: () => void;
      channel.gate = new Promise<void>((r) => (open = r));
      channel.sendsAtOnce = 50;
      await ingest(jobFailed('app-many'));
      await eventually(async () => expect(channel.inFlight).toBe(most));
      open();
      await eventually(async () => expect(channel.stored).toHaveLength(60));
      expect(channel.mostInFlight).toBe(most);
    }
  });

  it('while the channel holds, takes nothing from planning, lets its deliveries wait, and sends them once it no longer holds', async () => {
    await start();
    channel.hold = { reason: 'waiting: the memory is not set up', unconfigured: true };
    await core.get(EventEmitter2).emitAsync(ChannelsChangedEvent.NAME, new ChannelsChangedEvent());
    const event = jobFailed();
    await ingest(event);
    expect(announced[0].handOff).toBeUndefined(); // no room: not written claimed
    await eventually(async () => expect(await statusesOf(event.id)).toEqual([DeliveryStatus.WAITING, DeliveryStatus.WAITING]));
    expect((await deliveriesOf(event.id))[0]).toMatchObject({ attempts: 0, lastError: 'waiting: the memory is not set up' });
    channel.hold = undefined;
    await core.get(EventEmitter2).emitAsync(ChannelsChangedEvent.NAME, new ChannelsChangedEvent());
    await eventually(async () => expect(await statusesOf(event.id)).toEqual([DeliveryStatus.SENT, DeliveryStatus.SENT]));
    expect(channel.addresses()).toEqual(['memory:ann', 'memory:bob']);
  });

  it('sends nothing through a channel that began to hold after its deliveries were claimed: they wait, and those queued for it with them', async () => {
    await start();
    channel.hold = { reason: 'waiting: the memory went away' };
    jest.spyOn(channel, 'check').mockResolvedValue(undefined); // it still looked fine when the claim began
    const event = jobFailed();
    await ingest(event);
    await eventually(async () => expect(await statusesOf(event.id)).toEqual([DeliveryStatus.WAITING, DeliveryStatus.WAITING]));
    expect((await deliveriesOf(event.id)).map((d) => [d.attempts, d.lastError])).toEqual([[0, 'waiting: the memory went away'], [0, 'waiting: the memory went away']]);
    expect(channel.stored).toEqual([]);
  });

  it("retries a message's transient failure after its backoff, found by the sweep; a final one fails at once", async () => {
    await start();
    channel.failWith = (d) =>
      d.address === 'memory:ann'
        ? { scope: 'message', transient: true, reply: '451 later', description: 'busy', via: 'memory' }
        : { scope: 'recipient', transient: false, reply: '550 no such person', description: 'unknown', via: 'memory' };
    const event = jobFailed();
    await ingest(event);
    const [ann, bob] = await eventually(async () => {
      const rows = await deliveriesOf(event.id);
      expect(rows.map((d) => d.status)).toEqual([DeliveryStatus.RETRY, DeliveryStatus.FAILED]);
      return rows;
    });
    expect(ann).toMatchObject({ attempts: 1, lastReply: '451 later', lastError: 'busy' });
    expect(bob).toMatchObject({ attempts: 1, lastReply: '550 no such person', lastError: 'unknown' });
    // Backoff is 60 s ±50 %: not due before 30 s.
    expect(ann.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(core.clock.now() + 30_000);
    channel.failWith = undefined;

    core.clock.advance(BACKOFF_MAX_MS); // past the backoff: a sweep on the way claims it
    await eventually(async () => expect((await deliveriesOf(event.id)).map((d) => [d.status, d.attempts])).toEqual([[DeliveryStatus.SENT, 2], [DeliveryStatus.FAILED, 1]]));
    expect(channel.addresses()).toEqual(['memory:ann']);
  });

  it('gives up on a transient failure once DISPATCH_MAX_ATTEMPTS are spent', async () => {
    await start({ DISPATCH_MAX_ATTEMPTS: '2' });
    channel.failWith = () => ({ scope: 'message', transient: true, reply: null, description: 'still busy', via: 'memory' });
    const event = jobFailed();
    await ingest(event);
    await eventually(async () => expect(await statusesOf(event.id)).toEqual([DeliveryStatus.RETRY, DeliveryStatus.RETRY]));
    core.clock.advance(BACKOFF_MAX_MS);
    await eventually(async () => expect((await deliveriesOf(event.id)).map((d) => [d.status, d.attempts, d.lastError])).toEqual([[DeliveryStatus.FAILED, 2, 'still busy'], [DeliveryStatus.FAILED, 2, 'still busy']]));
  });

  it("on a failure of the channel as a whole, spends no attempt: alone it waits for the next sweep; with the channel's hold, so does everything queued for it, until the hold ends", async () => {
    await start({ DISPATCH_CONCURRENCY: '1' });
    // Alone: this delivery waits, the next is sent.
    let failures = 1;
    channel.failWith = () => (failures-- > 0 ? { scope: 'channel', description: 'waiting: the memory hiccuped; tried again at the next sweep' } : undefined);
    const event = jobFailed();
    await ingest(event);
    await eventually(async () => expect(await statusesOf(event.id)).toEqual([DeliveryStatus.WAITING, DeliveryStatus.SENT]));
    expect((await deliveriesOf(event.id))[0]).toMatchObject({ attempts: 0, lastError: 'waiting: the memory hiccuped; tried again at the next sweep' });
    core.clock.advance(SWEEP_MS);
    await eventually(async () => expect(await statusesOf(event.id)).toEqual([DeliveryStatus.SENT, DeliveryStatus.SENT]));

    // With a hold until a time: the queued delivery waits too, and both go when it ends.
    const until = new Date(core.clock.now() + 5_000);
    channel.failWith = () => {
      channel.hold = { reason: `paced: slow down; next at ${until.toISOString()}`, until };
      return { scope: 'channel', slowDown: true, description: channel.hold.reason, hold: channel.hold };
    };
    const paced = jobFailed();
    await ingest(paced);
    await eventually(async () => expect(await statusesOf(paced.id)).toEqual([DeliveryStatus.WAITING, DeliveryStatus.WAITING]));
    expect((await deliveriesOf(paced.id)).map((d) => [d.attempts, d.lastError])).toEqual([[0, channel.hold!.reason], [0, channel.hold!.reason]]);
    channel.failWith = undefined;
    channel.hold = undefined;
    core.clock.advance(5_000); // the hold's end, well before the next sweep
    await eventually(async () => expect(await statusesOf(paced.id)).toEqual([DeliveryStatus.SENT, DeliveryStatus.SENT]));
  });

  it('sends what a process that died had claimed, once its lease has run out and the sweep finds it', async () => {
    await start();
    channel.hold = { reason: 'waiting: not yet', unconfigured: true };
    await core.get(EventEmitter2).emitAsync(ChannelsChangedEvent.NAME, new ChannelsChangedEvent());
    const event = jobFailed();
    await ingest(event); // the channel holds: written PENDING, then held
    const leaseEnd = new Date(core.clock.now() + 60_000);
    await core.dataSource.getRepository(DeliveryEntity).update({ id: In((await deliveriesOf(event.id)).map((d) => d.id)) }, { status: DeliveryStatus.SENDING, leaseOwner: 'dead-host:1:gone', leaseExpiresAt: leaseEnd });
    const claims = jest.spyOn(core.get(DeliveryOutbox), 'claim');
    channel.hold = undefined;
    await core.get(EventEmitter2).emitAsync(ChannelsChangedEvent.NAME, new ChannelsChangedEvent()); // the dispatcher looks at once, and finds them claimed
    const firstClaim = eventually(async () => {
      expect(claims).toHaveBeenCalled();
      return claims.mock.results[0].value as Promise<unknown>;
    });
    expect(await firstClaim).toEqual([]);
    expect(channel.stored).toHaveLength(0);

    core.clock.advance(SWEEP_MS * 2 + 1); // past the lease; the sweep claims them
    await eventually(async () => expect((await deliveriesOf(event.id)).map((d) => [d.status, d.leaseOwner])).toEqual([[DeliveryStatus.SENT, null], [DeliveryStatus.SENT, null]]));
    expect(channel.addresses()).toEqual(['memory:ann', 'memory:bob']);
    expect(channel.batches).toEqual([2]); // one claim, one batch for the channel
  });
});
