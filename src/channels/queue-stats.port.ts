/** Deliveries in one status that is not final yet (PENDING, SENDING, RETRY, WAITING). */
export interface QueuedDeliveries {
  status: string;
  count: number;
  /** When the oldest of them was written; null when there are none. */
  oldest: Date | null;
}

/** Deliveries of one channel waiting for it (WAITING), and when the oldest of them was planned. */
export interface WaitingDeliveries {
  count: number;
  oldest: Date | null;
}

/**
 * The outbox's queue as those who watch it read it: /metrics and the relay
 * alerts (observability), a channel's status and pacing (the SMTP relay's). Provided by
 * the module that owns the deliveries (NotificationsModule, a global module, as
 * QUEUE_STATS); the readers import this port, never notifications.
 */
export interface QueueStats {
  /** Every status not final yet, zeros included, each with its count and oldest. */
  queued(): Promise<QueuedDeliveries[]>;
  /** How many deliveries written at or before `at` are not SENT or FAILED yet. */
  queuedWrittenBy(at: Date): Promise<number>;
  /** The deliveries of `channel` waiting for it. */
  waiting(channel: string): Promise<WaitingDeliveries>;
  /**
   * The one write: rewrites the reason of every delivery of `channel` waiting with a
   * reason that begins with `prefix` (a pacing's, telling how many wait now).
   */
  describeWaiting(channel: string, prefix: string, reason: string): Promise<void>;
}

/** The injection token of QueueStats. */
export const QUEUE_STATS = Symbol('QueueStats');
