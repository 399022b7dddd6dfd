import { JobEventType, JobSucceededEvent } from '@herald/contracts';
import { NotificationType } from '../notification-type';
import { defineEventType } from '../event-type';

/**
 * A job that succeeded after failing: a JOB_SUCCEEDED that Herald's job outcome
 * history found after one or more failures of the same application and job kind.
 * Producers never publish it; people choose it, and its templates, like any type.
 */
export const jobRecovered = defineEventType<JobSucceededEvent>(__dirname, {
  type: NotificationType.JOB_RECOVERED,
  derivedFrom: JobEventType.JOB_SUCCEEDED,
  wire: JobSucceededEvent,
  description: 'A job succeeded after failing (Herald derives it from a JOB_SUCCEEDED after failures; producers cannot publish it)',
  label: 'Job fixed (succeeded after failures)',
  enabledByDefault: true,
  input: {},
  variables: {
    failures: 'How many failures in a row came before this success',
    history: "What Herald's job history says",
    'history.failuresInRow': 'The same count of failures',
    'history.firstFailureAt': "When the first of them happened, in the reader's language and time zone",
    'history.deliveredAs': 'JOB_RECOVERED',
  },
  view: (event, t) => {
    const failures = event.history?.failuresInRow ?? 1;
    return { subject: t('subject', { failures }), heading: t('heading'), color: '#1a7f37', details: { failures } };
  },
});
