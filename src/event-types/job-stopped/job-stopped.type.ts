import { JobEventType, JobStoppedEvent } from '@herald/contracts';
import { defineEventType } from '../event-type';
import { JobRefInput, PersonRefInput } from '../shared-inputs';

export const jobStopped = defineEventType<JobStoppedEvent>(__dirname, {
  type: JobEventType.JOB_STOPPED,
  wire: JobStoppedEvent,
  description: 'A user stopped a running job',
  label: 'Job stopped by a user',
  enabledByDefault: true,
  input: { job: { type: () => JobRefInput }, stoppedBy: { type: () => PersonRefInput } },
  variables: { stoppedBy: 'Who stopped the job: their name, else their id' },
  view: (event, t) => {
    const stoppedBy = event.stoppedBy.name ?? event.stoppedBy.id;
    return { subject: t('subject', { stoppedBy }), heading: t('heading'), color: '#9a6700', details: { stoppedBy } };
  },
});
