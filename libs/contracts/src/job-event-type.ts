/**
 * The event catalogue: every event type the console publishes to Herald.
 * One list, used by producers, ingestion, preferences and templates.
 * Adding a type here (with its payload class and templates) is all a new event needs.
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

/** What each type is called in mails and in the API, and whether people get it unless they opt out. */
export const JOB_EVENT_CATALOGUE: Record<JobEventType, { label: string; enabledByDefault: boolean }> = {
  JOB_SUCCEEDED: { label: 'Job succeeded', enabledByDefault: true },
  JOB_FAILED: { label: 'Job failed', enabledByDefault: true },
  JOB_STOPPED: { label: 'Job stopped by a user', enabledByDefault: true },
  APPLICATION_CREATED: { label: 'Application created', enabledByDefault: true },
  VERSION_CREATED: { label: 'New version created', enabledByDefault: true },
};
