import { connect, type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel } from 'amqplib';
import { JOB_EVENT_SCHEMA_VERSION, parseJobEvent, type EventProblem, type JobEvent } from '@herald/contracts';

export interface HeraldClientOptions {
  /** amqp://user:pass@host:5672 */
  url: string;
  /** The queue Herald consumes (RABBITMQ_QUEUE); default herald.job-events. */
  queue?: string;
  /** How long publish() waits for RabbitMQ's confirm, in ms (default 30 s). */
  confirmTimeoutMs?: number;
}

/** The event was refused before it was sent: it would never be processed. */
export class InvalidEventError extends Error {
  constructor(readonly problems: EventProblem[]) {
    super(`invalid job event: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
    this.name = 'InvalidEventError';
  }
}

/**
 * Publishes job events to Herald over RabbitMQ: validates them with
 * libs/contracts, sends them as persistent JSON messages on a confirm channel,
 * and resolves only when RabbitMQ has confirmed (it then owns the message). While
 * RabbitMQ is unreachable, messages wait in memory and go out on reconnection
 * (amqp-connection-manager), within confirmTimeoutMs.
 */
export class HeraldPublisher {
  private readonly connection: AmqpConnectionManager;
  private readonly channel: ChannelWrapper;
  readonly queue: string;

  constructor(private readonly options: HeraldClientOptions) {
    this.queue = options.queue ?? 'herald.job-events';
    this.connection = connect([options.url]);
    this.channel = this.connection.createChannel({
      confirm: true,
      setup: (channel: ConfirmChannel) => channel.assertQueue(this.queue, { durable: true }),
    });
  }

  /**
   * Resolves when RabbitMQ has confirmed the message. If the channel closes before
   * the confirm (RabbitMQ restarting), the message is sent again once it is back:
   * Herald records an event id once, so a repeat is harmless.
   */
  async publish(event: JobEvent | Record<string, unknown>): Promise<void> {
    const parsed = parseJobEvent(event);
    if (!parsed.ok) throw new InvalidEventError(parsed.problems);
    const body = Buffer.from(JSON.stringify(parsed.event));
    const deadline = Date.now() + (this.options.confirmTimeoutMs ?? 30_000);
    for (;;) {
      try {
        await this.channel.sendToQueue(this.queue, body, {
          persistent: true,
          contentType: 'application/json',
          messageId: parsed.event.id,
          type: parsed.event.type,
          headers: { 'x-herald-schema-version': JOB_EVENT_SCHEMA_VERSION },
          timeout: Math.max(1, deadline - Date.now()),
        });
        return;
      } catch (error) {
        if (Date.now() >= deadline) throw error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async close(): Promise<void> {
    await this.channel.close();
    await this.connection.close();
  }
}
