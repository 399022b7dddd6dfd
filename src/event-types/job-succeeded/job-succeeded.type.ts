import { JobEventType, JobSucceededEvent } from '@herald/contracts';
import { defineEventType } from '../event-type';
import { JobRefInput } from '../shared-inputs';

export const jobSucceeded = defineEventType<JobSucceededEvent>(__dirname, {
  type: JobEventType.JOB_SUCCEEDED,
  wire: JobSucceededEvent,
  description: 'A background job (analysis, snapshot, …) finished successfully',
  label: 'Job succeeded',
  enabledByDefault: true,
  input: { job: { type: () => JobRefInput } },
  view: (_event, t) => {
    const heading = t('heading');
    return { subject: heading, heading, color: '#1a7f37' };
  },
});
