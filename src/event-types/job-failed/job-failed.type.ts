import { Field, InputType } from '@nestjs/graphql';
import { JobEventType, JobFailedEvent } from '@herald/contracts';
import { defineEventType } from '../event-type';
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
  view: (event, t) => {
    const heading = t('heading');
    const subject = event.error.step ? t('subjectAtStep', { step: event.error.step }) : heading;
    return { subject, heading, color: '#cf222e', details: { error: event.error } };
  },
});
