import type { Claim } from './delivery-outbox';

/**
 * This process's dispatcher, as planning sees it: it takes fresh deliveries as
 * they are planned, written already claimed by it (no claim round trip, no reading
 * back). Provided as DELIVERY_TAKER (NotificationsModule: the Dispatcher), so that
 * planning never imports the dispatcher.
 */
export interface DeliveryTaker {
  /** Whose claim is written into the deliveries it takes. */
  readonly owner: string;
  /** How long that claim lasts. */
  readonly leaseMs: number;
  /** How many fresh deliveries through these channels it would take now (0: none). */
  room(channels: Iterable<string>): number;
}

export const DELIVERY_TAKER = Symbol('DeliveryTaker');

/** The claim to write into `count` fresh deliveries through `channels`, when the taker has room for all of them. */
export function claimFor(taker: DeliveryTaker, count: number, channels: Iterable<string>): Claim | undefined {
  if (count === 0 || count > taker.room(channels)) return undefined;
  return { owner: taker.owner, leaseMs: taker.leaseMs };
}
