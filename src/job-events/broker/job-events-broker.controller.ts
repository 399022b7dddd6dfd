import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import type { Channel, Message } from 'amqplib';
import { HeraldConfig } from '../../config/herald-config';
import { InvalidJobEventError, JobEventIngestionService } from '../ingestion/job-event-ingestion.service';
import { BROKER_JOB_EVENT, type BrokerMessage } from './raw-job-event.deserializer';

/** How long a message whose ingestion failed transiently is held before it goes back to the queue. */
const REQUEUE_DELAY_MS = 1000;

/**
 * Job events from RabbitMQ. A message is acknowledged only after its event (and
 * its deliveries) are committed. One that can never be processed — not JSON,
 * invalid, unknown type — is moved to the dead-letter queue with the reason in
 * the `x-herald-reason` header; one that failed for a passing reason (the
 * database is down) goes back to the queue after a pause.
 */
@Controller()
export class JobEventsBrokerController {
  private readonly logger = new Logger('Broker');
  private readonly deadLetterReady = new WeakMap<Channel, Promise<unknown>>();

  constructor(
    private readonly ingestion: JobEventIngestionService,
    private readonly config: HeraldConfig,
  ) {}

  @EventPattern(BROKER_JOB_EVENT)
  async onMessage(@Payload() message: BrokerMessage, @Ctx() ctx: unknown): Promise<void> {
    const context = ctx as RmqContext; // Nest 12 types handler arguments as unknown
    const channel = context.getChannelRef() as Channel;
    const raw = context.getMessage() as Message;
    if (!message.ok) return this.deadLetter(channel, raw, message.reason);
    try {
      await this.ingestion.ingest(message.body, 'broker');
      channel.ack(raw);
    } catch (error) {
      if (error instanceof InvalidJobEventError) return this.deadLetter(channel, raw, error.message);
      this.logger.warn(`event not recorded, back to the queue in ${REQUEUE_DELAY_MS} ms: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, REQUEUE_DELAY_MS));
      channel.nack(raw, false, true);
    }
  }

  private async deadLetter(channel: Channel, raw: Message, reason: string): Promise<void> {
    const queue = this.config.broker!.deadLetterQueue;
    if (!this.deadLetterReady.has(channel)) this.deadLetterReady.set(channel, channel.assertQueue(queue, { durable: true }));
    await this.deadLetterReady.get(channel);
    channel.sendToQueue(queue, raw.content, {
      persistent: true,
      contentType: raw.properties.contentType,
      messageId: raw.properties.messageId,
      headers: { ...raw.properties.headers, 'x-herald-reason': reason.slice(0, 1000), 'x-herald-queue': this.config.broker!.queue },
    });
    channel.ack(raw);
    this.logger.warn(`dead-lettered a message (${raw.properties.messageId ?? 'no message id'}) to ${queue}: ${reason}`);
  }
}
