import { DiscoveryService } from '@nestjs/core';
import type { EntityManager } from 'typeorm';
import type { Addressee } from '../channels/delivery-channel.port';
import type { NotificationType } from '../event-types/notification-type';
import type { NotificationFrequency } from '../users/frequency/notification-frequency';
import type { NotReceivingReason } from '../users/profile/effective-preference.model';

/**
 * The port between notifications (planning, the send-time check, event(id)'s
 * audience) and whoever may receive a message: console people (the managers of
 * an application), addresses subscribed to an application, a team's chat
 * target… Each source owns its recipient ids — people: the console's external id
 * (never contains white space); any other source: `<source name> <its id>`, e.g.
 * `subscriber 12` — so deliveries, digests and the cap key every member alike.
 * Registered by its own module as a provider decorated `@AudienceSourceProvider()`
 * (AudienceSources finds them at start). Imports nothing of Herald but types.
 */

/**
 * How a member is reached: a person, whom every channel may reach (each channel's
 * `addressOf`), or one fixed channel and address (a subscribed list: `email` and
 * its address; a chat target: its channel and an opaque address such as its id).
 */
export type Reach = { person: Addressee } | { channel: string; address: string };

/** Someone who receives a type about an application, as planning takes them. */
export interface AudienceMember {
  /** The delivery's recipient id (see above). */
  readonly recipientId: string;
  readonly displayName: string | null;
  /** Whom it is written for (null: the admin's defaults). */
  readonly locale: string | null;
  readonly timeZone: string | null;
  /** How often they want the type about the application (never NEVER: those are not members). */
  readonly frequency: NotificationFrequency;
  /** Their daily digest's hour (null: the default). */
  readonly digestHour: number | null;
  readonly reach: Reach;
}

/** Whether a recipient may still get a message of a type about an application: asked again when it is sent. */
export interface ReaderQuestion {
  recipientId: string;
  applicationId: string;
  eventType: NotificationType;
}

/** An address suspended after bounces (users/suspensions): no message goes to it but the one that tries it again. */
export interface ReaderSuspension {
  address: string;
  reason: string;
  retryAt: Date | null;
  retryDeliveryId: number | null;
}

/** Still a reader, reached as they are now (address, name, language, zone), or not and why (the delivery log's lastError). */
export type ReaderAnswer =
  | { reads: true; reach: Reach; displayName: string | null; locale: string | null; timeZone: string | null; suspension: ReaderSuspension | null }
  | { reads: false; reason: string };

/** One of an application's audience for a type now, received or not: for event(id)'s "why didn't X get a mail?". */
export interface AudienceView {
  readonly recipientId: string;
  readonly displayName: string | null;
  /** Where its messages go now (a person's email, the list's address), if anywhere. */
  readonly address: string | null;
  /** How often it wants the type about the application now (NEVER when it does not). */
  readonly frequency: NotificationFrequency;
  /** Unset: it receives the type now. Set: why not (`reason` for people, the sentence for everyone). */
  readonly notReceiving?: { reason: NotReceivingReason | null; detail: string };
}

/**
 * A member that is a subscription of its own rather than a console person (a
 * subscribed list): what its mails' signed preferences page shows of it.
 */
export interface SubscriptionView {
  readonly address: string;
  /** The application's console id. */
  readonly applicationId: string;
  readonly types: readonly NotificationType[];
  readonly frequency: NotificationFrequency;
  readonly status: 'PENDING' | 'ACTIVE' | 'UNSUBSCRIBED';
  readonly locale: string | null;
  readonly timeZone: string | null;
}

/** A source of recipients. */
export interface AudienceSource {
  /** Lowercase letters, digits and dashes: the prefix of the recipient ids it owns (`subscriber`), or the people's source name. */
  readonly name: string;
  /** Whether a delivery's recipient id is one of this source's. */
  owns(recipientId: string): boolean;
  /** Who receives `type` about the application now (in the planner's transaction: one statement, run per event). */
  membersFor(applicationId: string, type: NotificationType, manager: EntityManager): Promise<AudienceMember[]>;
  /** The send-time check of its own ids, answers in the order asked (one statement for all). */
  readersOf(questions: readonly ReaderQuestion[], manager?: EntityManager): Promise<ReaderAnswer[]>;
  /** Everyone of the application's audience for `type` now, receiving it or not, with why. */
  audienceOf(applicationId: string, type: NotificationType): Promise<AudienceView[]>;
  /** For members that are subscriptions (not people): the subscription behind a recipient id, for its mails' preferences page; null: none (any more). */
  subscriptionOf?(recipientId: string): Promise<SubscriptionView | null>;
  /** Their one-click unsubscribe (RFC 8058) and the page's button: the subscription ends; false when there was none. */
  unsubscribe?(recipientId: string): Promise<boolean>;
}

/** Marks a provider as an audience source (a multi-provider, found by AudienceSources at start). */
export const AudienceSourceProvider = DiscoveryService.createDecorator<void>();

/** The recipient id of a source's own id: `subscriber 12`. */
export function recipientIdOf(source: string, id: string | number): string {
  return `${source} ${id}`;
}

/** The source's own id in a recipient id it owns (`subscriber 12` → `12`), or null. */
export function localIdOf(source: string, recipientId: string): string | null {
  return recipientId.startsWith(`${source} `) ? recipientId.slice(source.length + 1) : null;
}

/** Where a member goes on a channel: a person, wherever the channel reaches them; a fixed reach, on its own channel only (null: not there, or no such channel). */
export function addressOn(channel: { readonly name: string; addressOf(person: Addressee): string | null } | undefined, reach: Reach): string | null {
  if (!channel) return null;
  if ('person' in reach) return channel.addressOf(reach.person);
  return reach.channel === channel.name ? reach.address : null;
}
