import { Field, InputType } from '@nestjs/graphql';
import { JobEventType, JobFailedEvent } from '@herald/contracts';
import { capitalize, defineEventType, ordinal } from '../event-type';
import { JobRefInput } from '../shared-inputs';

@InputType({ description: 'Why a job failed, as shown in the mail' })
export class JobErrorInput {
  @Field({ description: 'The error, in one line' }) message: string;
  @Field({ nullable: true, description: 'The step of the job that failed, e.g. Run analyzer' }) step?: string;
  @Field({ nullable: true, description: "The last lines of the job's log, shown as-is" }) logExcerpt?: string;
}

export const jobFailed = defineEventType<JobFailedEvent>(__dirname, {
  type: JobEventType.JOB_FAILED,
  wire: JobFailedEvent,
  label: 'Job failed',
  enabledByDefault: true,
  input: { job: { type: () => JobRefInput }, error: { type: () => JobErrorInput } },
  view: (event) => {
    // After a failure, Herald's job outcome history says how long it has been failing.
    const inRow = event.history?.failuresInRow ?? 1;
    const stillFailing = inRow > 1 ? `${ordinal(inRow)} failure in a row` : undefined;
    const heading = stillFailing ? `${capitalize(event.job.kind)} still failing` : `${capitalize(event.job.kind)} failed`;
    const subject = `${stillFailing ? `${heading} (${stillFailing})` : heading}${event.error.step ? `: ${event.error.step}` : ''}`;
    return { subject, heading, color: '#cf222e', details: { error: event.error, stillFailing } };
  },
});
