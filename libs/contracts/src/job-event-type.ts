/**
 * The event catalogue: every event type the console publishes to Herald.
 * One list, used by producers, ingestion, preferences and templates. A new type
 * is a value here and its class in job-event.ts (the wire format), and in Herald
 * a folder in src/event-types/ with its one registration (docs/templates.md).
 */
export enum JobEventType {
  /** A background job (analysis, snapshot, …) finished successfully. */
  JOB_SUCCEEDED = 'JOB_SUCCEEDED',
  /** A background job ended with an error. */
  JOB_FAILED = 'JOB_FAILED',
  /** A user stopped a running job. */
  JOB_STOPPED = 'JOB_STOPPED',
  /** An application was created in the console. */
  APPLICATION_CREATED = 'APPLICATION_CREATED',
  /** A new version of an application was created. */
  VERSION_CREATED = 'VERSION_CREATED',
}

export const JOB_EVENT_TYPES: readonly JobEventType[] = Object.values(JobEventType);
