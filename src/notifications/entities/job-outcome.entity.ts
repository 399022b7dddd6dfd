import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The outcome a job kind last had. */
export enum JobOutcome {
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

/**
 * Herald's job outcome history: per application and job kind (analysis,
 * snapshot, …) the latest outcome by `occurredAt`, how many failures in a row
 * led to it and when the first of them happened, and the latest success. Times are ISO-8601 UTC strings
 * (`toISOString`), compared as text: they order as the instants do, on both databases.
 */
@Entity({ name: 'job_outcomes' })
export class JobOutcomeEntity {
  /** The console's id of the application. */
  @PrimaryColumn({ name: 'application_id', type: 'varchar', length: 255 })
  applicationId: string;

  @PrimaryColumn({ name: 'job_kind', type: 'varchar', length: 64 })
  jobKind: string;

  @Column({ name: 'last_outcome', type: 'varchar', length: 16 })
  lastOutcome: JobOutcome;

  @Column({ name: 'last_occurred_at', type: 'varchar', length: 32 })
  lastOccurredAt: string;

  @Column({ name: 'failures_in_row', type: 'integer' })
  failuresInRow: number;

  @Column({ name: 'first_failure_at', type: 'varchar', length: 32, nullable: true })
  firstFailureAt: string | null;

  /** The latest success, by `occurredAt`; the failures after it are in job_failures (JobFailureEntity). */
  @Column({ name: 'last_success_at', type: 'varchar', length: 32, nullable: true })
  lastSuccessAt: string | null;
}
