import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type ChannelModel, type ConfirmChannel, connect, type GetMessage } from 'amqplib';

/**
 * A suite's own look at the RabbitMQ queue a Herald under test consumes: publishes
 * raw messages as a producer without the client library does, reads what Herald
 * dead-lettered, and deletes both queues at the end.
 *
 * Two things here keep one suite's broker troubles from stalling the next ones in
 * the same Jest process:
 * - the dead-letter queue is declared (as Herald declares it: durable) before it is
 *   read. Herald declares it only when it first dead-letters; reading it before that
 *   makes RabbitMQ close the channel (404 NOT_FOUND).
 * - the connection and channel errors are listened to, and fail the next call. Without
 *   a listener amqplib throws them from its socket handler, which then stops reading:
 *   every later call on the connection hangs (the test, then afterAll, time out), and
 *   its heartbeat times out minutes later, failing whichever suite runs then.
 */
export class BrokerQueue {
  private failure?: Error;
  private deadLetterDeclared?: Promise<unknown>;

  private constructor(
    private readonly url: string,
    readonly queue: string,
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {
    const failed = (error: Error) => (this.failure ??= error);
    connection.on('error', failed);
    channel.on('error', failed);
  }

  static async open(url: string, queue: string): Promise<BrokerQueue> {
    const connection = await connect(url);
    try {
      return new BrokerQueue(url, queue, connection, await connection.createConfirmChannel());
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  get deadLetterQueue(): string {
    return `${this.queue}.dead-letter`;
  }

  /** Publishes `body` (an object as JSON) persistent, with this message id; resolves once the broker confirmed it. */
  async publish(body: string | object, messageId: string): Promise<void> {
    this.check();
    const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    this.channel.sendToQueue(this.queue, content, { persistent: true, messageId });
    await this.channel.waitForConfirms();
  }

  /** Takes every message in the dead-letter queue now (none: an empty list). */
  async takeDeadLettered(): Promise<GetMessage[]> {
    this.check();
    this.deadLetterDeclared ??= this.channel.assertQueue(this.deadLetterQueue, { durable: true });
    await this.deadLetterDeclared;
    const taken: GetMessage[] = [];
    for (let m = await this.channel.get(this.deadLetterQueue, { noAck: true }); m; m = await this.channel.get(this.deadLetterQueue, { noAck: true })) taken.push(m);
    return taken;
  }

  /**
   * Deletes the dead-letter queue, as an operator may (over a channel of its own: the
   * deletion must not wait for this one). Read again, it is declared again.
   */
  async deleteDeadLetterQueue(): Promise<void> {
    this.check();
    const channel = await this.connection.createChannel();
    try {
      await channel.deleteQueue(this.deadLetterQueue);
    } finally {
      await channel.close();
    }
    this.deadLetterDeclared = undefined;
  }

  /** How many messages wait in the queue Herald consumes (unacknowledged ones not counted). */
  async waiting(): Promise<number> {
    this.check();
    return (await this.channel.checkQueue(this.queue)).messageCount;
  }

  /** Closes the connection, then deletes the queue and its dead-letter queue (over a connection of their own: this one may have failed). */
  async deleteAndClose(): Promise<void> {
    await this.connection.close().catch(() => undefined);
    await deleteQueues(this.url, this.queue);
  }

  private check(): void {
    if (this.failure) throw new Error(`the test's RabbitMQ connection failed: ${this.failure.message}`);
  }
}

/** Deletes a queue Herald consumed and its dead-letter queue (neither needs to exist). */
export async function deleteQueues(url: string, queue: string): Promise<void> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue(queue);
    await channel.deleteQueue(`${queue}.dead-letter`);
  } finally {
    await connection.close();
  }
}

/**
 * Makes RabbitMQ refuse (basic.nack to a confirm channel) what is published to this
 * one queue once `maxLength` messages are ready in it: a policy
 * (`overflow: reject-publish`) set with the local `rabbitmqctl` — a policy, not
 * queue arguments, so that Herald's own declaration of the queue still matches.
 * Messages delivered and not yet acknowledged do not count. Returns what clears it.
 */
export async function refusePublishes(queue: string, maxLength: number): Promise<() => Promise<void>> {
  const run = promisify(execFile);
  const name = `herald-test-refuse-${queue}`;
  const pattern = `^${queue.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  await run('rabbitmqctl', ['-q', 'set_policy', '--apply-to', 'queues', '--priority', '999', name, pattern, JSON.stringify({ 'max-length': maxLength, overflow: 'reject-publish' })]);
  return async () => void (await run('rabbitmqctl', ['-q', 'clear_policy', name]));
}
