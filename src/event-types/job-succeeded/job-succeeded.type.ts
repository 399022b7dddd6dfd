import { JobEventType, JobSucceededEvent } from '@herald/contracts';
import { capitalize, defineEventType } from '../event-type';
import { JobRefInput } from '../shared-inputs';

export const jobSucceeded = defineEventType<JobSucceededEvent>(__dirname, {
  type: JobEventType.JOB_SUCCEEDED,
  wire: JobSucceededEvent,
  label: 'Job succeeded',
  enabledByDefault: true,
  input: { job: { type: () => JobRefInput } },
  view: (event) => {
    const heading = `${capitalize(event.job.kind)} succeeded`;
    return { subject: heading, heading, color: '#1a7f37' };
  },
});
