import { connect, type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel } from 'amqplib';
import { JOB_EVENT_SCHEMA_VERSION, parseJobEvent, type EventProblem, type JobEvent } from '@herald/contracts';
import { GraphqlTransport } from './graphql-transport';
import type { RetryOptions } from './retry';

export interface HeraldClientOptions {
  /**
   * Where Herald takes events: `amqp://user:pass@host:5672` (RabbitMQ: the queue
   * Herald consumes) or `https://herald.example.com/graphql` (Herald's GraphQL API,
   * with `token`).
   */
  url: string;
  /** RabbitMQ: the queue Herald consumes (RABBITMQ_QUEUE); default herald.job-events. */
  queue?: string;
  /** RabbitMQ: how long publish() waits for RabbitMQ's confirm, in ms (default 30 s). */
  confirmTimeoutMs?: number;
  /** GraphQL: a bearer token of role SERVICE. */
  token?: string;
  /** GraphQL: how publish() retries while Herald says to try again or cannot be reached. */
  retry?: RetryOptions;
}

/** The event was refused before it was sent: it would never be processed. */
export class InvalidEventError extends Error {
  constructor(readonly problems: EventProblem[]) {
    super(`invalid job event: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
    this.name = 'InvalidEventError';
  }
}

/** A way to Herald: publish resolves once the event is Herald's (or RabbitMQ's) to keep. */
interface Transport {
  publish(event: JobEvent): Promise<void>;
  close(): Promise<void>;
}

/**
 * Publishes job events to Herald: validates them with libs/contracts, then sends
 * them over RabbitMQ or Herald's GraphQL API, as `url` says.
 *
 * - RabbitMQ: persistent JSON messages on a confirm channel; resolves when RabbitMQ
 *   has confirmed (it then owns the message). While RabbitMQ is unreachable,
 *   messages wait in memory and go out on reconnection (amqp-connection-manager),
 *   within confirmTimeoutMs.
 * - GraphQL: the publishJobEvent mutation; resolves when Herald has committed the
 *   event. While Herald says to try again (SERVICE_UNAVAILABLE: its database is
 *   full or restarting; TOO_MANY_REQUESTS) or cannot be reached, tries again with
 *   backoff, honouring Retry-After, a bounded number of times (`retry`).
 */
export class HeraldPublisher {
  private readonly transport: Transport;
  /** RabbitMQ: the queue published to. */
  readonly queue: string;

  constructor(options: HeraldClientOptions) {
    this.queue = options.queue ?? 'herald.job-events';
    const protocol = urlProtocol(options.url);
    if (protocol === 'http:' || protocol === 'https:') {
      if (!options.token) throw new Error('HeraldPublisher: publishing over GraphQL (an http(s) url) needs a token (a bearer token of role SERVICE)');
      this.transport = new GraphqlTransport(options.url, options.token, options.retry);
    } else if (protocol === 'amqp:' || protocol === 'amqps:') {
      this.transport = new AmqpTransport(options.url, this.queue, options.confirmTimeoutMs ?? 30_000);
    } else {
      throw new Error(`HeraldPublisher: url must start with amqp://, amqps://, http:// or https:// (got ${protocol ?? 'no valid url'})`);
    }
  }

  /**
   * Resolves once the event is Herald's to process (RabbitMQ's confirm, or Herald's
   * answer over GraphQL). Herald records an event id once, so sending it again —
   * after a lost confirm, a retry, or a failure thrown here — is harmless.
   */
  async publish(event: JobEvent | Record<string, unknown>): Promise<void> {
    const parsed = parseJobEvent(event);
    if (!parsed.ok) throw new InvalidEventError(parsed.problems);
    await this.transport.publish(parsed.event);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

/** The url's scheme, without ever quoting the url (it may hold a password). */
function urlProtocol(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}

class AmqpTransport implements Transport {
  private readonly connection: AmqpConnectionManager;
  private readonly channel: ChannelWrapper;

  constructor(
    url: string,
    private readonly queue: string,
    private readonly confirmTimeoutMs: number,
  ) {
    this.connection = connect([url]);
    this.channel = this.connection.createChannel({
      confirm: true,
      setup: (channel: ConfirmChannel) => channel.assertQueue(this.queue, { durable: true }),
    });
  }

  /**
   * If the channel closes before the confirm (RabbitMQ restarting), the message is
   * sent again once it is back, until confirmTimeoutMs runs out.
   */
  async publish(event: JobEvent): Promise<void> {
    const body = Buffer.from(JSON.stringify(event));
    const deadline = Date.now() + this.confirmTimeoutMs;
    for (;;) {
      try {
        await this.channel.sendToQueue(this.queue, body, {
          persistent: true,
          contentType: 'application/json',
          messageId: event.id,
          type: event.type,
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
