import type { ConsumerDeserializer, IncomingEvent } from '@nestjs/microservices';

/** The one pattern broker messages are handed to. */
export const BROKER_JOB_EVENT = 'herald.job-event';

/** What the handler gets: the parsed body, or why it could not be parsed. */
export type BrokerMessage = { ok: true; body: unknown } | { ok: false; reason: string };

/**
 * Producers publish the plain JSON wire format (docs/wire-format.md), not Nest's
 * `{ pattern, data }` envelope, so that any AMQP client can. Every message goes
 * to the one handler, as an event (no reply).
 */
export class RawJobEventDeserializer implements ConsumerDeserializer {
  deserialize(value: unknown): IncomingEvent {
    const data: BrokerMessage =
      typeof value === 'string' ? { ok: false, reason: 'the body is not JSON' } : { ok: true, body: value };
    return { pattern: BROKER_JOB_EVENT, data };
  }
}
