import { randomUUID } from 'node:crypto';
import { Controller, Logger, Optional } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import type { Channel, ConfirmChannel, Message } from 'amqplib';
import { Clock } from '../../clock/clock';
import { HeraldConfig } from '../../config/herald-config';
import { isDatabaseUnavailable } from '../../database/database-errors';
import { reasonForLog } from '../../database/typeorm-logger';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import { InvalidJobEventError, JobEventIngestionService } from '../ingestion/job-event-ingestion.service';
import { BROKER_JOB_EVENT, type BrokerMessage } from './raw-job-event.deserializer';

/** How long a message is held before it goes back to the queue: no hot loop against a failing database. */
export const REDELIVERY_DELAY_MS = 1000;

/** The longest a message is held while the database is unavailable (the pause grows up to this). */
export const MAX_REDELIVERY_DELAY_MS = 30_000;

/**
 * How many times a message is tried when its ingestion fails for a reason that
 * is neither bad input nor an unavailable database (a constraint, a bug): the
 * reason will most likely not change, so after this many tries it is dead-lettered.
 */
export const MAX_ATTEMPTS = 3;

/**
 * The header that counts the tries of a message. RabbitMQ's classic queues do not
 * count deliveries (only quorum queues have `x-delivery-count`), and a count kept
 * in memory would restart with the process and be kept apart by each process: so
 * a message to be tried again is published again, with this header incremented,
 * and the delivery at hand acknowledged once RabbitMQ confirmed the copy. The count
 * travels with the message.
 */
export const ATTEMPTS_HEADER = 'x-herald-attempts';

/** Why a message was dead-lettered (at most 1000 characters), and the queue it came from. */
export const REASON_HEADER = 'x-herald-reason';
export const QUEUE_HEADER = 'x-herald-queue';

/**
 * Marks each copy Herald publishes (a random id, new for each copy) so that a copy
 * RabbitMQ returns unroutable can be told from the others published on the channel.
 */
export const COPY_HEADER = 'x-herald-copy';

/**
 * Job events from RabbitMQ. A message is acknowledged only after its event (and
 * its deliveries) are committed. What it becomes when ingestion fails depends on
 * why — never on the event's contents, which are not logged:
 *
 * - bad input (not JSON, invalid, unknown type): dead-lettered at once, with the
 *   reason in the `x-herald-reason` header;
 * - the database is unavailable (down, restarting, locked, full): back to the
 *   queue after a pause, as often as it takes — never dead-lettered, nothing is
 *   lost while the database is away. The pause backs off: as long again as the
 *   outage has lasted so far, between REDELIVERY_DELAY_MS and
 *   MAX_REDELIVERY_DELAY_MS — 1, 1, 2, 4, 8… s — the same for every message in
 *   hand, however many;
 * - anything else: tried again after a pause, MAX_ATTEMPTS times in all, then
 *   dead-lettered with the reason. A poison message does not loop forever.
 *
 * Tried again or dead-lettered, the message is published again (a copy) and the
 * delivery at hand acknowledged only once RabbitMQ confirmed the copy. The channel
 * Nest hands over (`RmqContext.getChannelRef()`) is amqplib's ConfirmChannel:
 * amqp-connection-manager, under Nest's RMQ server, creates confirm channels unless
 * told not to. If the broker refuses the copy (a full queue with `reject-publish`,
 * an internal error), returns it unroutable (its queue no longer exists: an operator
 * deleted it) or the channel closes before it answers, the delivery is not
 * acknowledged: it goes back to the queue after REDELIVERY_DELAY_MS, as it was, and
 * the refusal is logged. Nothing acknowledged is lost.
 */
@Controller()
export class JobEventsBrokerController {
  private readonly logger = new Logger('Broker');
  private readonly deadLetterReady = new WeakMap<Channel, Promise<unknown>>();
  /** The outage under way: when the database was first found unavailable, and last (epoch ms). */
  private outage?: { since: number; last: number };

  constructor(
    private readonly ingestion: JobEventIngestionService,
    private readonly config: HeraldConfig,
    private readonly clock: Clock,
    @Optional() private readonly metrics?: HeraldMetrics,
  ) {}

  @EventPattern(BROKER_JOB_EVENT)
  async onMessage(@Payload() message: BrokerMessage, @Ctx() ctx: unknown): Promise<void> {
    const context = ctx as RmqContext; // Nest 12 types handler arguments as unknown
    const channel = context.getChannelRef() as Channel;
    const raw = context.getMessage() as Message;
    if (!message.ok) return this.deadLetter(channel, raw, message.reason);
    try {
      await this.ingestion.ingest(message.body, 'broker');
      this.outage = undefined;
      channel.ack(raw);
    } catch (error) {
      if (error instanceof InvalidJobEventError) return this.deadLetter(channel, raw, error.message);
      const reason = reasonForLog(error as Error);
      if (isDatabaseUnavailable(error)) {
        const delayMs = this.unavailableDelay();
        this.logger.warn(`${describe(raw)} not recorded (database unavailable), back to the queue in ${delayMs} ms: ${reason}`);
        await this.clock.sleep(delayMs);
        return channel.nack(raw, false, true);
      }
      const attempts = attemptsOf(raw) + 1;
      if (attempts >= MAX_ATTEMPTS) return this.deadLetter(channel, raw, `failed ${attempts} times: ${reason}`);
      this.logger.warn(`${describe(raw)} not recorded (try ${attempts} of ${MAX_ATTEMPTS}), tried again in ${REDELIVERY_DELAY_MS} ms: ${reason}`);
      await this.clock.sleep(REDELIVERY_DELAY_MS);
      return this.tryAgain(channel, raw, attempts);
    }
  }

  /**
   * How long to hold a message the unavailable database refused: as long again as
   * the outage has lasted, within bounds. An outage ends with an event recorded here,
   * or (its messages taken by another process) when none has been refused here for
   * longer than a pause can last.
   */
  private unavailableDelay(): number {
    const now = this.clock.now();
    if (!this.outage || now - this.outage.last > 2 * MAX_REDELIVERY_DELAY_MS) this.outage = { since: now, last: now };
    this.outage.last = now;
    return Math.min(MAX_REDELIVERY_DELAY_MS, Math.max(REDELIVERY_DELAY_MS, now - this.outage.since));
  }

  /** Publishes the message again to its queue with the count of tries so far; lets go of this delivery once the broker has the copy. */
  private async tryAgain(channel: Channel, raw: Message, attempts: number): Promise<void> {
    const queue = this.config.broker!.queue;
    try {
      await republish(channel, queue, raw, { ...raw.properties.headers, [ATTEMPTS_HEADER]: attempts });
    } catch (error) {
      return this.putBack(channel, raw, `could not be published again to ${queue} to be tried again`, error);
    }
    channel.ack(raw);
  }

  private async deadLetter(channel: Channel, raw: Message, reason: string): Promise<void> {
    const queue = this.config.broker!.deadLetterQueue;
    try {
      if (!this.deadLetterReady.has(channel)) this.deadLetterReady.set(channel, channel.assertQueue(queue, { durable: true }));
      await this.deadLetterReady.get(channel);
      await republish(channel, queue, raw, { ...raw.properties.headers, [REASON_HEADER]: reason.slice(0, 1000), [QUEUE_HEADER]: this.config.broker!.queue });
    } catch (error) {
      this.deadLetterReady.delete(channel); // declared again next time: the queue may have been deleted
      return this.putBack(channel, raw, `could not be dead-lettered to ${queue} (${reason})`, error);
    }
    channel.ack(raw);
    this.metrics?.deadLetter();
    this.logger.warn(`dead-lettered ${describe(raw)} to ${queue}: ${reason}`);
  }

  /**
   * The broker did not take the copy of a message: the delivery at hand is not
   * acknowledged but goes back to the queue, after a pause (no hot loop against a
   * full queue), to be handled again from the start.
   */
  private async putBack(channel: Channel, raw: Message, what: string, error: unknown): Promise<void> {
    this.logger.error(`${describe(raw)} ${what}: the broker did not take it (${brokerReason(error)}); back to the queue in ${REDELIVERY_DELAY_MS} ms`);
    await this.clock.sleep(REDELIVERY_DELAY_MS);
    try {
      channel.nack(raw, false, true);
    } catch {
      // The channel closed meanwhile: RabbitMQ puts back by itself what it had delivered on it.
    }
  }
}

/**
 * Publishes a copy of `raw` to `queue` with these headers; resolves once RabbitMQ
 * confirmed it, rejects if it refused it (basic.nack), returned it unroutable, if the
 * channel closed before it answered, or if the channel is not a confirm channel (no
 * confirms would ever come).
 *
 * Unroutable — its queue does not exist — a message is confirmed all the same, and
 * dropped. So the copy is published `mandatory`: RabbitMQ then returns it
 * (basic.return) before it confirms it (basic.ack), on the same channel, and amqplib
 * emits 'return' before it calls back for the confirm.
 */
function republish(channel: Channel, queue: string, raw: Message, headers: Record<string, unknown>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (typeof (channel as ConfirmChannel).waitForConfirms !== 'function') throw new Error('the channel is not a confirm channel');
    const copy = randomUUID();
    const copies = copiesOn(channel);
    let returned: string | undefined;
    copies.set(copy, (why) => (returned = why));
    const confirmed = (error: Error | null) => {
      copies.delete(copy);
      if (error) reject(error);
      else if (returned !== undefined) reject(new Error(`returned unroutable: ${returned}`));
      else resolve();
    };
    try {
      (channel as ConfirmChannel).sendToQueue(queue, raw.content, { ...propertiesOf(raw), headers: { ...headers, [COPY_HEADER]: copy }, mandatory: true }, confirmed);
    } catch (error) {
      copies.delete(copy); // not published (the channel is closed): no answer will come
      throw error;
    }
  });
}

/** What RabbitMQ says of a message it returns (basic.return), as amqplib hands it over. */
type ReturnedMessage = Message & { fields: { replyCode?: number; replyText?: string; routingKey?: string } };

/** Per channel, the copies published on it and not yet confirmed (by their COPY_HEADER): what to tell one if it is returned. */
const unconfirmedCopies = new WeakMap<Channel, Map<string, (why: string) => void>>();

/** The copies awaiting their confirm on this channel; the first call listens to what the channel returns. */
function copiesOn(channel: Channel): Map<string, (why: string) => void> {
  let copies = unconfirmedCopies.get(channel);
  if (!copies) {
    const awaiting = (copies = new Map());
    channel.on('return', (message: ReturnedMessage) => {
      const copy = message.properties.headers?.[COPY_HEADER];
      const { replyCode, replyText, routingKey } = message.fields;
      if (typeof copy === 'string') awaiting.get(copy)?.(`${replyCode} ${replyText}, no queue ${routingKey}`);
    });
    unconfirmedCopies.set(channel, copies);
  }
  return copies;
}

/** Why the broker did not take a message, as the log may say it: amqplib's or RabbitMQ's words, cut short, on one line. */
function brokerReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, 300).replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/** The tries a message has had before this delivery (0 for a message as its producer published it). */
function attemptsOf(raw: Message): number {
  const value = Number(raw.properties.headers?.[ATTEMPTS_HEADER] ?? 0);
  return Number.isInteger(value) && value > 0 ? value : 0;
}

/** The properties of a message that survive its being published again. */
function propertiesOf(raw: Message) {
  return { persistent: true, contentType: raw.properties.contentType, messageId: raw.properties.messageId };
}

/**
 * A message as the log may name it: by its message id (cut short, control
 * characters dropped — the producer chose it), never by its contents.
 */
function describe(raw: Message): string {
  const id = raw.properties.messageId;
  return typeof id === 'string' && id ? `message "${id.slice(0, 128).replace(/[\u0000-\u001f\u007f]/g, '?')}"` : 'a message (no message id)';
}
