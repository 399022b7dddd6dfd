import { Injectable } from '@nestjs/common';
import type { Claim } from './delivery-outbox';

/** A dispatcher that takes fresh deliveries as they are planned, claimed in the same insert. */
export interface DeliveryTaker {
  /** Whose claim is written into the deliveries it takes. */
  readonly owner: string;
  /** How long that claim lasts. */
  readonly leaseMs: number;
  /** How many fresh deliveries it would take now (0: none). */
  room(): number;
}

/**
 * Where this process's dispatcher offers to take fresh deliveries and planning
 * looks for the offer: deliveries it takes are written already claimed (no claim
 * round trip, no reading back). Planning never calls the dispatcher itself.
 */
@Injectable()
export class DeliveryTakers {
  private taker?: DeliveryTaker;

  offer(taker: DeliveryTaker): void {
    this.taker = taker;
  }

  /** The claim to write into `count` fresh deliveries, when this process's taker has room for all of them. */
  claimFor(count: number): Claim | undefined {
    if (!this.taker || count === 0 || count > this.taker.room()) return undefined;
    return { owner: this.taker.owner, leaseMs: this.taker.leaseMs };
  }
}
