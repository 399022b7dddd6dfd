/**
 * What goes first when pacing makes a queue (the relay quota, a slowdown): mails
 * about a job that failed or was stopped, before successes and creations. The
 * outbox writes it into each delivery (from its first event's type) and claims by
 * it; within a priority, by when it is due, then in the order planned.
 */
const FIRST = new Set(['JOB_FAILED', 'JOB_STOPPED']);

/** 0: sent first; 1: the rest. */
export function deliveryPriority(eventType: string): number {
  return FIRST.has(eventType) ? 0 : 1;
}
