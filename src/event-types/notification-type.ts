import { type JobEvent, JobEventType } from '@herald/contracts';

/**
 * The kinds of mail Herald sends: the five types of the wire format, and the types
 * Herald derives from them. Producers publish only the wire format's types (its
 * parser refuses the others); Herald derives the rest from its job outcome history
 * (src/notifications/history/): a JOB_SUCCEEDED after failures is delivered as
 * JOB_RECOVERED. Preferences, templates, the delivery log and GraphQL's
 * `JobEventType` know them all, so a derived type is treated like any other.
 */
export const NotificationType = { ...JobEventType, JOB_RECOVERED: 'JOB_RECOVERED', TARGET_DISABLED: 'TARGET_DISABLED' } as const;
export type NotificationType = JobEventType | typeof NotificationType.JOB_RECOVERED | typeof NotificationType.TARGET_DISABLED;

// In GraphQL as `JobEventType` (the name the API has always used), described from the registry (registry.ts).

/** Every kind of mail, the wire format's types first, in the enum's order. */
export const NOTIFICATION_TYPES: readonly NotificationType[] = Object.values(NotificationType);

/**
 * What Herald's job outcome history says about an event, stored with it (in
 * `notifications.payload`, beside the fields as received) when there is
 * something to say: a failure after failures, or a success after failures.
 */
export interface JobHistoryNote {
  /** The type the event is delivered as, when not its own (JOB_RECOVERED for a fix). */
  deliveredAs?: NotificationType;
  /** Failures in a row: including this one for a failure, before it for a fix (0 for a notice of Herald's own). */
  failuresInRow: number;
  /** When the first failure of the row happened (ISO-8601, UTC); absent for a notice of Herald's own. */
  firstFailureAt?: string;
  /** TARGET_DISABLED: the notification target Herald disabled, and why (never its URL). */
  disabledTarget?: DisabledTargetNote;
}

/** A notification target disabled because its webhook was deleted (TARGET_DISABLED). */
export interface DisabledTargetNote {
  id: number;
  name: string;
  /** TEAMS, SLACK or WEBHOOK. */
  kind: string;
  host: string;
  /** The HTTP status it answered (404, 410). */
  status: number;
}

/** An event as Herald renders it: as received, with what its history says. */
export type NotifiedEvent = JobEvent & { history?: JobHistoryNote };

/** The type an event's mails are about. */
export const deliveredTypeOf = (event: NotifiedEvent): NotificationType => event.history?.deliveredAs ?? event.type;
