import { EventEmitter2 } from '@nestjs/event-emitter';
import { BACKOFF_MAX_MS, DISPATCH_TIMING, jobFailed, NotificationsCore } from '../../test/support/notifications-core';
import { eventually } from '../../test/support/people';
import { SmtpSink } from '../../test/support/smtp-sink';
import { DeliveryStatus } from '../notifications/entities/delivery.entity';
import { DeliveriesDueEvent } from '../notifications/outbox/deliveries-due.event';
import { Dispatcher } from '../notifications/dispatch/dispatcher';
import { SmtpSecurity } from '../settings/smtp-settings/smtp-settings';
import { SmtpSettingsService } from '../settings/smtp-settings/smtp-settings.service';
import { EmailChannel } from './email-channel';
import { SelectedTransport } from './transports/selected-transport';
import { SmtpTransport } from './transports/smtp/smtp-transport';

/**
 * The email channel under the dispatcher, with the real outbox (SQLite in memory)
 * and a real SMTP server; time moves only when the test says so, so backoff,
 * sweeps and leases are tested without waiting for them.
 */
describe('EmailChannel', () => {
  let core: NotificationsCore;
  let sink: SmtpSink;
  let announced: DeliveriesDueEvent[];
  const ingest = (event: object) => core.ingest(event);
  const deliveriesOf = (eventId: string) => core.deliveriesOf(eventId);

  beforeEach(async () => {
    sink = await new SmtpSink().start();
    core = await NotificationsCore.start(DISPATCH_TIMING);
    announced = [];
    core.get(EventEmitter2).on(DeliveriesDueEvent.NAME, (e: DeliveriesDueEvent) => announced.push(e));
    await core.seedApplication('app-1', ['ann', 'bob']);
  });
  let closed = false;
  afterEach(async () => {
    if (!closed) await core?.close();
    closed = false;
    await sink.stop();
  });

  it('takes the deliveries planned in this process as they commit, already claimed by it, and sends them', async () => {
    await core.useRelay(sink.port);
    const event = jobFailed();
    expect(await ingest(event)).toMatchObject({ deliveries: 2 });
    expect(announced).toHaveLength(1);
    expect(announced[0].handOff?.owner).toBe(core.get(Dispatcher).owner);
    expect(announced[0].handOff?.deliveries.map((d) => d.address)).toEqual(['ann@example.com', 'bob@example.com']);
    await eventually(async () => expect((await deliveriesOf(event.id)).map((d) => d.status)).toEqual([DeliveryStatus.SENT, DeliveryStatus.SENT]));
    expect(sink.received.flatMap((m) => m.to).sort()).toEqual(['ann@example.com', 'bob@example.com']);
  });

  it('without a relay, lets the deliveries wait, and sends them once one is configured', async () => {
    const event = jobFailed();
    await ingest(event);
    expect(announced[0].handOff).toBeUndefined(); // no room: not written claimed
    await eventually(async () => expect((await deliveriesOf(event.id)).map((d) => d.status)).toEqual([DeliveryStatus.WAITING, DeliveryStatus.WAITING]));
    await core.useRelay(sink.port);
    await eventually(async () => expect((await deliveriesOf(event.id)).map((d) => d.status)).toEqual([DeliveryStatus.SENT, DeliveryStatus.SENT]));
  });

  it('retries a refused mail after its backoff, found by the sweep', async () => {
    await core.useRelay(sink.port);
    sink.failWith = { code: 451, message: 'try again later' };
    const event = jobFailed();
    await ingest(event);
    const [first] = await eventually(async () => {
      const rows = await deliveriesOf(event.id);
      expect(rows.map((d) => d.status)).toEqual([DeliveryStatus.RETRY, DeliveryStatus.RETRY]);
      return rows;
    });
    expect(first).toMatchObject({ attempts: 1, lastReply: expect.stringContaining('451') });
    // Backoff is 60 s ±50 %: not due before 30 s.
    expect(first.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(core.clock.now() + 30_000);
    sink.failWith = undefined;

    core.clock.advance(BACKOFF_MAX_MS); // past the backoff: a sweep on the way claims them
    await eventually(async () => expect((await deliveriesOf(event.id)).map((d) => [d.status, d.attempts])).toEqual([[DeliveryStatus.SENT, 2], [DeliveryStatus.SENT, 2]]));
    expect(sink.received).toHaveLength(2);
  });

  it("asks the dispatcher for four mails in flight per connection of the relay's pool, as the pool's size is now (it changes live)", async () => {
    const channel = core.get(EmailChannel);
    await core.get(SmtpSettingsService).update({ host: '127.0.0.1', port: sink.port, security: SmtpSecurity.NONE, authEnabled: false, sender: 'Herald <h@example.com>', poolSize: 20 }, { id: 'admin', name: null });
    await channel.refresh();
    expect(channel.concurrency()).toBe(80);
    await core.get(SmtpSettingsService).update({ poolSize: 3 }, { id: 'admin', name: null });
    await channel.refresh();
    expect(channel.concurrency()).toBe(12);
    const event = jobFailed();
    await ingest(event);
    await eventually(async () => expect((await deliveriesOf(event.id)).map((d) => d.status)).toEqual([DeliveryStatus.SENT, DeliveryStatus.SENT]));
  });

  it('stops cleanly when a settings change comes as it stops: nothing written to a closed database', async () => {
    const reacting = jest.spyOn(core.get(SelectedTransport), 'onSettingsChanged');
    await core.get(SmtpSettingsService).update({ host: '127.0.0.1', port: sink.port, security: SmtpSecurity.NONE, authEnabled: false, sender: 'Herald <h@example.com>' }, { id: 'admin', name: null });
    await core.close();
    closed = true;
    // The change reaches the transport (an asynchronous listener); whatever it does has ended, well or not.
    await eventually(async () => expect(reacting).toHaveBeenCalled());
    await Promise.allSettled(reacting.mock.results.map((r) => r.value));
    // What this core logged: the process's output may carry what other suites left running write.
    expect(core.logged.filter((l) => l.level === 'error' || /not open/.test(l.message))).toEqual([]);
  });
});
