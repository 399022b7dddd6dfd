import { Field, InputType } from '@nestjs/graphql';
import { JobEventType, JobFailedEvent, LOG_CUT_MARKER } from '@herald/contracts';
import { defineEventType } from '../event-type';
import { JobRefInput } from '../shared-inputs';

@InputType({ description: 'Why a job failed, as shown in the mail' })
export class JobErrorInput {
  @Field({ description: 'The error, in one line' }) message: string;
  @Field({ nullable: true, description: 'The step of the job that failed, e.g. Run analyzer' }) step?: string;
  @Field({ nullable: true, description: "The last lines of the job's log, shown as-is; over 65,536 characters, kept to its end after a line saying how much was cut" }) logExcerpt?: string;
}

export const jobFailed = defineEventType<JobFailedEvent>(__dirname, {
  type: JobEventType.JOB_FAILED,
  wire: JobFailedEvent,
  description: 'A background job ended with an error',
  label: 'Job failed',
  enabledByDefault: true,
  input: { job: { type: () => JobRefInput }, error: { type: () => JobErrorInput } },
  variables: {
    error: 'What went wrong',
    'error.message': 'The error, in one line',
    'error.step': 'The step of the job that failed (absent when the event does not say)',
    'error.logExcerpt': "The last lines of the job's log, as sent (absent when none)",
    log: 'The log excerpt as the mail shows it',
    'log.text': 'Its lines, without the marker of a log shortened on the way in',
    'log.cut': 'How many characters were cut from its start (absent when none)',
    stillFailing: 'Failures in a row, this one included, when 2 or more (absent on a first failure)',
    history: "What Herald's job history says (absent on a first failure)",
    'history.failuresInRow': 'Failures in a row, this one included',
    'history.firstFailureAt': "When the first of them happened, in the reader's language and time zone",
  },
  view: (event, t) => {
    // After a failure, Herald's job outcome history says how long it has been failing.
    const inRow = event.history?.failuresInRow ?? 1;
    const still = inRow > 1;
    const heading = still ? t('headingStillFailing') : t('heading');
    const subject = still
      ? event.error.step ? t('subjectStillFailingAtStep', { step: event.error.step, inRow }) : t('subjectStillFailing', { inRow })
      : event.error.step ? t('subjectAtStep', { step: event.error.step }) : heading;
    // A log shortened on the way in starts with a marker line: shown in the reader's words.
    const excerpt = event.error.logExcerpt ?? '';
    const cut = LOG_CUT_MARKER.exec(excerpt);
    const log = cut ? { cut: Number(cut[1]), text: excerpt.slice(cut[0].length) } : { text: excerpt };
    return { subject, heading, color: '#cf222e', details: { error: event.error, log, stillFailing: still ? inRow : undefined } };
  },
});
