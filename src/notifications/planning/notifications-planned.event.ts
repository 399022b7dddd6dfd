import type { ClaimedDelivery } from '../dispatch/delivery-outbox';

/** Deliveries claimed by this process as they were planned, with the event they are about. */
export interface HandOff {
  deliveries: ClaimedDelivery[];
  /** The event in the wire format (JSON), so that the dispatcher need not read it back. */
  payload: string;
}

/** Emitted after a transaction that planned deliveries commits: the dispatcher sends them at once. */
export class NotificationsPlannedEvent {
  static readonly NAME = 'notifications.planned';
  constructor(
    readonly eventId: string,
    readonly deliveries: number,
    /** Set when this process's dispatcher had room: it takes these without claiming them. */
    readonly handOff?: HandOff,
  ) {}
}
