import type { SmtpCheckStep } from '../smtp-check-result.model';

/** The relay's state as Herald sees it (RelayStatus in GraphQL). */
export enum RelayState {
  /** Mail goes out. */
  OK = 'OK',
  /** Mail goes out but some relay-wide failures were seen lately, or sending is paced by a quota or a throttling reply. */
  DEGRADED = 'DEGRADED',
  /** The circuit is open: nothing is sent, deliveries wait (no attempt spent), the relay is probed. */
  DOWN = 'DOWN',
  /** No host or sender is set. */
  NOT_CONFIGURED = 'NOT_CONFIGURED',
}

/** The last relay-wide failure: the step, the relay's reply, one line of description (never a secret). */
export interface RelayFailure {
  step: SmtpCheckStep;
  reply: string | null;
  description: string;
  at: Date;
}

/**
 * Announced (EventEmitter2, in-process) whenever the relay's state changes: the
 * circuit opens or closes, pacing starts or ends — by this process, or by another
 * one on the same database (seen in the shared row at the next sweep). Metrics,
 * readiness, alerts (the admins' mails, the webhook) and logs listen to it.
 */
export class RelayStateChangedEvent {
  static readonly NAME = 'relay.state-changed';

  constructor(
    readonly state: RelayState,
    readonly previous: RelayState,
    /** Since when the relay is in `state`. */
    readonly since: Date,
    /** The failure that opened the circuit (or the last one), if any. */
    readonly lastFailure: RelayFailure | null,
    /** Deliveries waiting for the relay when the state changed. */
    readonly waiting: number,
    /** This process made the change (false: another process did, and this one saw it): an outage is told by the process that opened it. */
    readonly byThisProcess = true,
  ) {}
}
