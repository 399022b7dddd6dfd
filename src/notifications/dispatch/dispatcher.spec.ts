import { In } from 'typeorm';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { capturingOutput } from '../../../test/support/captured-output';
import { NotificationsCore } from '../../../test/support/notifications-core';
import { eventually } from '../../../test/support/people';
import { SmtpSink } from '../../../test/support/smtp-sink';
import { JobEventIngestionService } from '../../job-events/ingestion/job-event-ingestion.service';
import { SmtpSecurity } from '../../settings/smtp-settings/smtp-settings';
import { SmtpSettingsService } from '../../settings/smtp-settings/smtp-settings.service';
import { DeliveryEventEntity } from '../entities/delivery-event.entity';
import { DeliveryEntity, DeliveryStatus } from '../entities/delivery.entity';
import { DeliveriesDueEvent } from '../outbox/deliveries-due.event';
import { DeliveryOutbox } from '../outbox/delivery-outbox';
import { Dispatcher } from './dispatcher';

const SWEEP_MS = 30_000;
const BACKOFF_MAX_MS = 600_000;

let seq = 0;
const jobFailed = (applicationId = 'app-1') => ({
  schemaVersion: 1,
  id: `ev-${++seq}`,
  type: 'JOB_FAILED',
  occurredAt: '2026-01-05T09:00:00Z',
  application: { id: applicationId, name: 'Billing' },
  job: { id: 'job-1', kind: 'analysis', startedAt: '2026-01-05T08:00:00Z', endedAt: '2026-01-05T09:00:00Z' },
  error: { message: 'Out of memory' },
});

/**
 * The dispatcher with the real outbox (SQLite in memory) and a real SMTP server;
 * time moves only when the test says so, so backoff, sweeps and leases are
 * tested without waiting for them.
 */
describe('Dispatcher', () => {
  let core: NotificationsCore;
  let sink: SmtpSink;
  let announced: DeliveriesDueEvent[];
  const ingest = (event: object) => core.get(JobEventIngestionService).ingest(event, 'emitter');
  const deliveriesOf = async (eventId: string) => {
    const ids = (await core.dataSource.getRepository(DeliveryEventEntity).findBy({ eventId })).map((e) => e.deliveryId);
    return core.dataSource.getRepository(DeliveryEntity).find({ where: { id: In(ids) }, order: { id: 'ASC' } });
  };

  beforeEach(async () => {
    sink = await new SmtpSink().start();
    core = await NotificationsCore.start({
      DISPATCH_SWEEP_INTERVAL_MS: String(SWEEP_MS),
      DISPATCH_BACKOFF_BASE_MS: '60000',
      DISPATCH_BACKOFF_MAX_MS: String(BACKOFF_MAX_MS),
      DISPATCH_LEASE_MS: '120000',
    });
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
    expect(announced[0].handOff?.deliveries.map((d) => d.recipientEmail)).toEqual(['ann@example.com', 'bob@example.com']);
    await eventually(async () => expect((await deliveriesOf(event.id)).map((d) => d.status)).toEqual([DeliveryStatus.SENT, DeliveryStatus.SENT]));
    expect(sink.received.flatMap((m) => m.to).sort()).toEqual(['ann@example.com', 'bob@example.com']);
  });

  it('takes work handed over while all its workers were waiting for their last outcomes, without waiting for a sweep', async () => {
    // As many workers as mails in an event: after the first event every worker has
    // sent one, found nothing queued and waits for its outcome to be written, which
    // is held back here. The second event is handed over meanwhile: it found every
    // worker still counted, so no new one was started, and it is theirs to take.
    await core.close();
    core = await NotificationsCore.start({ DISPATCH_CONCURRENCY: '2', DISPATCH_SWEEP_INTERVAL_MS: String(SWEEP_MS) });
    await core.seedApplication('app-1', ['ann', 'bob']);
    await core.useRelay(sink.port);
    const outbox = core.get(DeliveryOutbox);
    const record = outbox.record.bind(outbox);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const records = jest.spyOn(outbox, 'record').mockImplementation(async (...args) => (await held, record(...args)));

    const first = jobFailed();
    await ingest(first);
    await eventually(async () => expect(records).toHaveBeenCalled());
    expect(sink.received).toHaveLength(2);
    const second = jobFailed();
    expect(await ingest(second)).toMatchObject({ deliveries: 2 });
    release();

    // The clock stands still: no sweep comes to the rescue.
    await eventually(async () => expect((await deliveriesOf(second.id)).map((d) => d.status)).toEqual([DeliveryStatus.SENT, DeliveryStatus.SENT]), 5_000);
    expect(sink.received).toHaveLength(4);
    expect((await deliveriesOf(first.id)).map((d) => d.status)).toEqual([DeliveryStatus.SENT, DeliveryStatus.SENT]);
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

  it('sends what a process that died had claimed, once its lease has run out and the sweep finds it', async () => {
    const event = jobFailed();
    await ingest(event); // no relay yet: written PENDING
    const leaseEnd = new Date(core.clock.now() + 60_000);
    await core.dataSource.getRepository(DeliveryEntity).update({ id: In((await deliveriesOf(event.id)).map((d) => d.id)) }, { status: DeliveryStatus.SENDING, leaseOwner: 'dead-host:1:gone', leaseExpiresAt: leaseEnd });
    const claims = jest.spyOn(core.get(DeliveryOutbox), 'claim');
    await core.useRelay(sink.port); // the dispatcher looks at once, and finds them claimed
    const firstClaim = eventually(async () => {
      expect(claims).toHaveBeenCalled();
      return claims.mock.results[0].value as Promise<unknown>;
    });
    expect(await firstClaim).toEqual([]);
    expect(sink.received).toHaveLength(0);

    core.clock.advance(SWEEP_MS * 2 + 1); // past the lease; the sweep claims them
    await eventually(async () => expect((await deliveriesOf(event.id)).map((d) => [d.status, d.leaseOwner])).toEqual([[DeliveryStatus.SENT, null], [DeliveryStatus.SENT, null]]));
    expect(sink.received).toHaveLength(2);
  });

  it('stops cleanly when a settings change comes as it stops: nothing written to a closed database', async () => {
    const reacting = jest.spyOn(core.get(Dispatcher), 'onSettingsChanged');
    const { log } = await capturingOutput(async () => {
      await core.get(SmtpSettingsService).update({ host: '127.0.0.1', port: sink.port, security: SmtpSecurity.NONE, authEnabled: false, sender: 'Herald <h@example.com>' }, { id: 'admin', name: null });
      await core.close();
      closed = true;
      // The change reaches the dispatcher (an asynchronous listener); whatever it does has ended, well or not.
      await eventually(async () => expect(reacting).toHaveBeenCalled());
      await Promise.allSettled(reacting.mock.results.map((r) => r.value));
    });
    expect(log).not.toMatch(/ERROR|not open/);
  });
});
