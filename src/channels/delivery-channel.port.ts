import { DiscoveryService } from '@nestjs/core';

/**
 * The port between the outbox's dispatcher and a way of delivering a message
 * (email today). The dispatcher claims or is handed deliveries, gives each batch
 * to its channel, records what the channel says of each attempt and holds the
 * channel's deliveries while the channel says so; the channel prepares and sends,
 * classifies failures and keeps its own health and pacing. Both sides import
 * this file; it imports nothing of Herald.
 */

/** A delivery as its channel sees it: one message to one address about one or more events. */
export interface ChannelDelivery {
  readonly id: number;
  /** The person's id in the console. */
  readonly recipientId: string;
  /** The channel it goes through (`DeliveryChannel.name`). */
  readonly channel: string;
  /** Where it goes on that channel (email: the mail address): as planned, then the person's now, once checked before sending. */
  readonly address: string;
  readonly recipientName: string | null;
  /** Whom it is written for: the recipient's language and time zone when planned (null: the admin's defaults). */
  readonly recipientLocale: string | null;
  readonly recipientTimeZone: string | null;
  /** Its first event: what an EVENT message is written from; and that event's type and application. */
  readonly eventId: string;
  readonly eventType: string;
  readonly applicationId: string;
  /** An event's own message, a digest (every event of a window) or the mail cap's summary of a window. */
  readonly kind: DeliveryKind;
  readonly attempts: number;
  /** Channel-wide failures the channel counted against this delivery (`DispatchContext.countFailure`). */
  readonly channelFailures: number;
  /** When this process's claim runs out (epoch ms): past it, another process may send it. */
  readonly leaseExpiresAt: number;
  /** When it was planned (epoch ms). */
  readonly createdAt: number;
}

export type DeliveryKind = 'EVENT' | 'DIGEST' | 'SUMMARY';

/** Someone a channel may reach, as planning knows them. */
export interface Addressee {
  readonly externalId: string;
  readonly email: string | null;
  readonly displayName: string | null;
}

/** Why a channel sends nothing now: its deliveries wait (WAITING, no attempt spent) with `reason` as their last error. */
export interface ChannelHold {
  reason: string;
  /** When it ends (pacing): the dispatcher looks again then. Unset: at the next sweep or ChannelsChangedEvent. */
  until?: Date;
  /** The channel is not set up at all: what waits for it is counted and logged now and then. */
  unconfigured?: boolean;
  /**
   * The channel's budget for the day is used up until `until`: the mails about one
   * event each that wait for it are folded into their people's summaries, sent then.
   */
  fold?: boolean;
}

/**
 * What went wrong with one attempt, as the channel classifies it: this message,
 * this recipient, or the channel as a whole (every message would fail alike: it
 * waits, no attempt spent); transient (another attempt may get past it) or final.
 */
export type ChannelFailure =
  | {
      scope: 'message' | 'recipient';
      transient: boolean;
      /** The other side's reply (e.g. `550 5.1.1 unknown user`), when it gave one. */
      reply: string | null;
      /** One line, never a secret: the delivery's last error. */
      description: string;
      /** Where it went, for logs (`host:port`). */
      via: string;
    }
  | {
      scope: 'channel';
      /** The channel asked to slow down: it paces itself (`hold`). */
      slowDown?: boolean;
      /** The delivery's last error while it waits alone (until the next sweep). */
      description: string;
      /** Set: everything queued for the channel waits too, until the hold ends. */
      hold?: ChannelHold;
    };

/**
 * How one attempt ended. `sendMs`: how long the sending itself took (unset: nothing was sent).
 * `note`: something the delivery log should say of a message sent (its lastError), e.g. that
 * it was written with Herald's default template because an admin's failed for it.
 * `sentVia`: what carried it, as the delivery records it (email: `primary: 127.0.0.1:25`,
 * `standby: Microsoft Graph … as …`).
 */
export type ChannelAttempt =
  | { sent: true; reference: string | null; reply: string | null; sendMs: number; note?: string; sentVia?: string }
  | { sent: false; failure: ChannelFailure; sendMs?: number }
  /**
   * Nothing was sent, and nothing will be: what it was for is gone since the delivery was
   * checked (a notification target disabled or removed meanwhile). `cancelled` says why;
   * the delivery ends CANCELLED, as the check's own cancellations do: no attempt spent,
   * not a failure.
   */
  | { sent: false; cancelled: string };

/** What the dispatcher lends a channel: the content of deliveries (notifications' tables) and a counter. */
export interface DispatchContext {
  /** Events by id, as stored (wire format JSON), in one query; ids not found are left out. */
  payloads(eventIds: readonly string[]): Promise<Map<string, string>>;
  /** The events of a delivery about several (digest, summary), in order, as stored. */
  eventsOf(deliveryId: number): Promise<string[]>;
  /** The window a digest or summary delivery closed. */
  windowOf(deliveryId: number): Promise<{ start: Date; end: Date }>;
  /**
   * Counts a channel-wide failure against this delivery (held by this process) when
   * it is the first, or when the channel has worked since its last one
   * (`channelWorkedAt`); answers the count.
   */
  countFailure(delivery: ChannelDelivery, channelWorkedAt: Date | null): Promise<number>;
}

/**
 * A way to deliver: registered by its own module as a provider decorated with
 * `@DeliveryChannelProvider()`. A channel that is missing or named twice stops
 * start-up (DeliveryChannels).
 */
export interface DeliveryChannel {
  /** What deliveries name it by (`deliveries.channel`): lowercase, at most 32 characters. */
  readonly name: string;
  /** The person's address on this channel, or null (not reachable here). Asked per recipient when planning. */
  addressOf(person: Addressee): string | null;
  /** Reads its settings and health again: at start, at every sweep, on ChannelsChangedEvent. */
  refresh(): Promise<void>;
  /** Why it sends nothing now, from what it last learned (no I/O), or undefined. */
  holding(): ChannelHold | undefined;
  /** The same, checked afresh before each claim (its settings may have changed since). */
  check(): Promise<ChannelHold | undefined>;
  /**
   * A batch was claimed or handed over: what its deliveries need, loaded at once
   * (one query, not one per delivery). `payloads`: events handed over with them.
   */
  take(batch: readonly ChannelDelivery[], context: DispatchContext, payloads?: ReadonlyMap<string, string>): Promise<void>;
  /** One attempt; never rejects. */
  send(delivery: ChannelDelivery, context: DispatchContext): Promise<ChannelAttempt>;
  /** Some of its deliveries were just put back to wait for its hold (it may tell them how many wait). */
  held?(): void;
  /**
   * How many sends it can keep busy at once, from its live settings (email: four per
   * relay connection, so that each has its next mail waiting): unless DISPATCH_CONCURRENCY
   * says otherwise, the dispatcher runs at least this many workers.
   */
  concurrency?(): number;
}

/** Marks a provider as a delivery channel (a multi-provider, found by DeliveryChannels at start). */
export const DeliveryChannelProvider = DiscoveryService.createDecorator<void>();

/** A channel, or what it sends through, changed (its settings, say): the dispatcher looks at the outbox again. */
export class ChannelsChangedEvent {
  static readonly NAME = 'channels.changed';
}
