import type { ClaimedDelivery } from './delivery-outbox';

/** Fresh deliveries written already claimed for one process's dispatcher, with the events they are about. */
export interface HandOff {
  /** The claim's owner: only its dispatcher takes them. */
  owner: string;
  deliveries: ClaimedDelivery[];
  /** Each event in the wire format (JSON) by id, so that the dispatcher need not read it back. */
  payloads: Map<string, string>;
}

/**
 * Announced by notifications once deliveries became due and are committed: planned
 * (with the hand-off when this process's dispatcher took them) or retried. The
 * dispatcher takes what was handed to it, and otherwise claims.
 */
export class DeliveriesDueEvent {
  static readonly NAME = 'deliveries.due';
  constructor(
    /** How many deliveries became due. */
    readonly count: number,
    readonly handOff?: HandOff,
  ) {}
}
