import { EventEmitter } from 'node:events';
import type { Channel, Message } from 'amqplib';
import { ManualClock } from '../../clock/manual-clock';
import type { HeraldConfig } from '../../config/herald-config';
import type { JobEventIngestionService } from '../ingestion/job-event-ingestion.service';
import { JobEventsBrokerController, MAX_REDELIVERY_DELAY_MS, REDELIVERY_DELAY_MS } from './job-events-broker.controller';

/**
 * The pause before a message the unavailable database refused goes back to the
 * queue, on a ManualClock: it grows with the outage, is capped, and starts again at
 * REDELIVERY_DELAY_MS for the next outage. (The real transport and database: test/broker.e2e-spec.ts.)
 */
describe('JobEventsBrokerController while the database is unavailable', () => {
  const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
  let clock: ManualClock;
  let available: boolean;
  let controller: JobEventsBrokerController;
  const settled: string[] = [];
  const channel = {
    ack: () => void settled.push('ack'),
    nack: () => void settled.push('nack'),
  } as unknown as Channel;
  const context = { getChannelRef: () => channel, getMessage: () => ({ content: Buffer.from('{}'), properties: { messageId: 'm-1', headers: {} } }) as unknown as Message };

  beforeEach(() => {
    clock = new ManualClock();
    available = false;
    settled.length = 0;
    const ingestion = { ingest: async () => { if (!available) throw busy; return { eventId: 'm-1', duplicate: false, deliveries: 1 }; } } as unknown as JobEventIngestionService;
    controller = new JobEventsBrokerController(ingestion, { broker: { queue: 'q', deadLetterQueue: 'q.dead-letter' } } as HeraldConfig, clock);
    jest.spyOn((controller as unknown as { logger: { warn: () => void } }).logger, 'warn').mockImplementation(() => undefined);
  });

  /** Hands the message over once, and answers how long it was held before going back (undefined: acknowledged). */
  async function deliver(): Promise<number | undefined> {
    const before = settled.length;
    const handled = controller.onMessage({ ok: true, body: {} }, context);
    const start = clock.now();
    for (let i = 0; i < 10_000 && settled.length === before; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(10);
    }
    await handled;
    return settled.at(-1) === 'ack' ? undefined : clock.now() - start;
  }

  it('holds it as long again as the outage has lasted: 1, 1, 2, 4, 8, 16 s, then 30 s at most', async () => {
    const pauses: Array<number | undefined> = [];
    for (let i = 0; i < 8; i++) pauses.push(await deliver());
    expect(pauses.map((ms) => Math.round(ms! / 1000) * 1000)).toEqual([1000, 1000, 2000, 4000, 8000, 16_000, MAX_REDELIVERY_DELAY_MS, MAX_REDELIVERY_DELAY_MS]);
    expect(settled.every((s) => s === 'nack')).toBe(true); // back to the queue, never dead-lettered
  });

  it('starts again from 1 s after an event is recorded, or after a quiet spell longer than any pause', async () => {
    for (let i = 0; i < 5; i++) await deliver();
    available = true;
    expect(await deliver()).toBeUndefined();
    available = false;
    expect(await deliver()).toBeLessThan(REDELIVERY_DELAY_MS + 200);
    for (let i = 0; i < 4; i++) await deliver();
    clock.advance(2 * MAX_REDELIVERY_DELAY_MS + 1); // its messages were taken by another process meanwhile
    expect(await deliver()).toBeLessThan(REDELIVERY_DELAY_MS + 200);
  });
});

/**
 * A message to be dead-lettered whose copy the broker does not confirm is not
 * acknowledged but put back after a pause. (The real broker refusing it: test/broker.e2e-spec.ts.)
 */
describe('JobEventsBrokerController when the broker does not take the copy', () => {
  const raw = { content: Buffer.from('nope'), properties: { messageId: 'm-2', headers: {} } } as unknown as Message;
  const ingestion = {} as JobEventIngestionService;
  const config = { broker: { queue: 'q', deadLetterQueue: 'q.dead-letter' } } as HeraldConfig;

  async function deadLetterOn(channel: object): Promise<{ settled: string[]; errors: string[] }> {
    const settled: string[] = [];
    const clock = new ManualClock();
    const controller = new JobEventsBrokerController(ingestion, config, clock);
    const logger = (controller as unknown as { logger: { warn: () => void; error: (m: string) => void } }).logger;
    jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const errors: string[] = [];
    jest.spyOn(logger, 'error').mockImplementation((m: string) => void errors.push(m));
    const emitter = channel instanceof EventEmitter ? channel : Object.assign(new EventEmitter(), channel); // as amqplib's channels are
    const full = Object.assign(emitter, {
      assertQueue: async () => ({}),
      ack: () => void settled.push('ack'),
      nack: (_m: Message, _all: boolean, requeue: boolean) => void settled.push(requeue ? 'nack-requeue' : 'nack'),
    });
    const handled = controller.onMessage({ ok: false, reason: 'the body is not JSON' }, { getChannelRef: () => full, getMessage: () => raw });
    for (let i = 0; i < 1000 && settled.length === 0; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(10);
    }
    await handled;
    return { settled, errors };
  }

  it('nacked by the broker: put back (requeued), never acknowledged, and logged', async () => {
    const { settled, errors } = await deadLetterOn({
      waitForConfirms: async () => undefined,
      sendToQueue: (_q: string, _c: Buffer, _o: object, cb: (err: Error | null) => void) => (setImmediate(() => cb(new Error('message nacked'))), true),
    });
    expect(settled).toEqual(['nack-requeue']);
    expect(errors).toEqual([expect.stringContaining('message "m-2" could not be dead-lettered to q.dead-letter (the body is not JSON): the broker did not take it (message nacked)')]);
  });

  it('confirmed: acknowledged', async () => {
    const { settled } = await deadLetterOn({
      waitForConfirms: async () => undefined,
      sendToQueue: (_q: string, _c: Buffer, _o: object, cb: (err: Error | null) => void) => (setImmediate(() => cb(null)), true),
    });
    expect(settled).toEqual(['ack']);
  });

  /**
   * A channel on which RabbitMQ returns (basic.return) the copies published to
   * `unroutable` — no such queue — before confirming them, as it does for a message
   * published `mandatory`; and, before that, the copy of another message.
   */
  function channelWithout(unroutable: string) {
    const published: Array<{ queue: string; options: { mandatory?: boolean; headers?: Record<string, unknown> } }> = [];
    const channel = Object.assign(new EventEmitter(), {
      waitForConfirms: async () => undefined,
      sendToQueue(queue: string, content: Buffer, options: { mandatory?: boolean; headers?: Record<string, unknown> }, cb: (err: Error | null) => void) {
        published.push({ queue, options });
        setImmediate(() => {
          const returned = (headers: object) => ({ content, fields: { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: queue }, properties: { ...options, headers } });
          channel.emit('return', returned({ ...options.headers, 'x-herald-copy': 'another copy' }));
          if (queue === unroutable && options.mandatory) channel.emit('return', returned(options.headers ?? {}));
          cb(null);
        });
        return true;
      },
    });
    return { channel, published };
  }

  it('returned unroutable (the dead-letter queue was deleted): put back, never acknowledged, and logged', async () => {
    const { channel, published } = channelWithout('q.dead-letter');
    const { settled, errors } = await deadLetterOn(channel);
    expect(published.map((p) => p.options.mandatory)).toEqual([true]);
    expect(settled).toEqual(['nack-requeue']);
    expect(errors).toEqual([expect.stringContaining('message "m-2" could not be dead-lettered to q.dead-letter (the body is not JSON): the broker did not take it (returned unroutable: 312 NO_ROUTE, no queue q.dead-letter)')]);
  });

  it('routed while another copy was returned: acknowledged', async () => {
    const { channel } = channelWithout('elsewhere');
    const { settled } = await deadLetterOn(channel);
    expect(settled).toEqual(['ack']);
  });

  it('a channel without publisher confirms: put back, never acknowledged on faith', async () => {
    const { settled, errors } = await deadLetterOn({ sendToQueue: () => true });
    expect(settled).toEqual(['nack-requeue']);
    expect(errors[0]).toContain('the channel is not a confirm channel');
  });
});
