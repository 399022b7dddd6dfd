import type { EntityManager } from 'typeorm';
import type { JobEvent } from '@herald/contracts';

/**
 * Takes part in recording new events (notifications' planner does): it is handed
 * the events inside the transaction that records them in the inbox, so what it
 * writes commits with them or not at all — an acknowledged event never lacks its
 * mails. What it tells others must wait for the commit (Transactions.afterCommit).
 */
export interface JobEventsSubscriber {
  /** Writes what the new `events` bring, with `manager`; answers how many mails each brings, in order. */
  recorded(events: JobEvent[], manager: EntityManager): Promise<number[]>;
}

/**
 * The subscribers, in order: provided by the module that plans (NotificationsPortsModule,
 * src/notifications), which job-events does not import. Unprovided, start-up stops.
 */
export const JOB_EVENTS_SUBSCRIBERS = Symbol('JobEventsSubscribers');
