import { Injectable, Module } from '@nestjs/common';
import {
  type Addressee,
  type ChannelAttempt,
  type ChannelDelivery,
  type ChannelFailure,
  type ChannelHold,
  type DeliveryChannel,
  DeliveryChannelProvider,
  type DispatchContext,
} from '../../src/channels/delivery-channel.port';

/** What the memory channel delivered: the delivery, and the types of the events it was about, in order. */
export interface StoredMessage {
  delivery: ChannelDelivery;
  eventIds: string[];
  types: string[];
}

/**
 * A delivery channel written for tests: it "sends" by keeping the message in
 * memory. It reaches everyone planning asks about (`memory:<their id>`), or those
 * `reaches` lets through; a test makes it fail (`failWith`) or hold (`hold`).
 */
@DeliveryChannelProvider()
@Injectable()
export class MemoryChannel implements DeliveryChannel {
  readonly name: string = 'memory';
  readonly stored: StoredMessage[] = [];
  /** How many deliveries each batch handed to `take` had. */
  readonly batches: number[] = [];
  reaches: (person: Addressee) => boolean = () => true;
  /** Set: the next attempts fail so (called per attempt; undefined lets it through). */
  failWith?: (delivery: ChannelDelivery) => ChannelFailure | undefined;
  /** Set: the channel holds (not configured, or down, or paced). */
  hold?: ChannelHold;
  /** Set: what it says of the sends it can keep busy at once (DeliveryChannel.concurrency). */
  sendsAtOnce?: number;
  /** Set: every send waits for it (a relay that has not answered yet); `inFlight` counts those waiting. */
  gate?: Promise<void>;
  inFlight = 0;
  mostInFlight = 0;
  /** Events by id as the dispatcher lent them (handed over, or read for a claimed batch). */
  private readonly events = new Map<string, { type: string; history?: { deliveredAs?: string } }>();

  addressOf(person: Addressee): string | null {
    return this.reaches(person) ? `${this.name}:${person.externalId}` : null;
  }

  async refresh(): Promise<void> {}

  holding(): ChannelHold | undefined {
    return this.hold;
  }

  async check(): Promise<ChannelHold | undefined> {
    return this.hold;
  }

  async take(batch: readonly ChannelDelivery[], context: DispatchContext, payloads?: ReadonlyMap<string, string>): Promise<void> {
    this.batches.push(batch.length);
    for (const [id, payload] of payloads ?? (await context.payloads(batch.map((d) => d.eventId)))) this.events.set(id, JSON.parse(payload));
  }

  concurrency(): number {
    return this.sendsAtOnce ?? 0;
  }

  async send(delivery: ChannelDelivery, context: DispatchContext): Promise<ChannelAttempt> {
    if (this.gate) {
      this.mostInFlight = Math.max(this.mostInFlight, ++this.inFlight);
      await this.gate;
      this.inFlight--;
    }
    const failure = this.failWith?.(delivery);
    if (failure) return { sent: false, failure, sendMs: 0 };
    const events = delivery.kind === 'EVENT' ? [this.events.get(delivery.eventId) ?? JSON.parse((await context.payloads([delivery.eventId])).get(delivery.eventId)!)] : (await context.eventsOf(delivery.id)).map((p) => JSON.parse(p));
    this.stored.push({
      delivery,
      eventIds: events.map((e: { id: string }) => e.id),
      types: events.map((e: { type: string; history?: { deliveredAs?: string } }) => e.history?.deliveredAs ?? e.type),
    });
    return { sent: true, reference: `<${this.name}.${delivery.id}>`, reply: 'stored', sendMs: 0 };
  }

  /** The addresses of what it stored, sorted. */
  addresses(): string[] {
    return this.stored.map((m) => m.delivery.address).sort();
  }
}

/** The memory channel's module: what a channel's registration is (its module, imported by the application). */
@Module({ providers: [MemoryChannel], exports: [MemoryChannel] })
export class MemoryChannelModule {}
