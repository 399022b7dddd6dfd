import { Entity, PrimaryColumn } from 'typeorm';

/**
 * The failures of a job kind's current row (job_outcomes): those after its latest
 * success, each at the time it happened. What places an outcome that arrives late
 * among them: a failure counted where it happened, a success that ends the row
 * there. Emptied by the next success; nothing older than that success is kept.
 */
@Entity({ name: 'job_failures' })
export class JobFailureEntity {
  @PrimaryColumn({ name: 'application_id', type: 'varchar', length: 255 })
  applicationId: string;

  @PrimaryColumn({ name: 'job_kind', type: 'varchar', length: 64 })
  jobKind: string;

  /** ISO-8601 UTC (`toISOString`), compared as text as in job_outcomes. */
  @PrimaryColumn({ name: 'occurred_at', type: 'varchar', length: 32 })
  occurredAt: string;

  /** The failure's event (or, for a row recorded before this table, `before-upgrade-<n>`). */
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 128 })
  eventId: string;
}
