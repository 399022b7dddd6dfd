import { JobEventType, JobStoppedEvent } from '@herald/contracts';
import { capitalize, defineEventType } from '../event-type';
import { JobRefInput, PersonRefInput } from '../shared-inputs';

export const jobStopped = defineEventType<JobStoppedEvent>(__dirname, {
  type: JobEventType.JOB_STOPPED,
  wire: JobStoppedEvent,
  label: 'Job stopped by a user',
  enabledByDefault: true,
  input: { job: { type: () => JobRefInput }, stoppedBy: { type: () => PersonRefInput } },
  view: (event) => {
    const heading = `${capitalize(event.job.kind)} stopped`;
    const stoppedBy = event.stoppedBy.name ?? event.stoppedBy.id;
    return { subject: `${heading} by ${stoppedBy}`, heading, color: '#9a6700', details: { stoppedBy } };
  },
});
