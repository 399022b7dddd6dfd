import { registerEnumType } from '@nestjs/graphql';
import { describeWindow, type DigestWindow, digestTimeZone, digestWindowAt } from './digest-window';
import { NotificationFrequency } from './notification-frequency';

/** When a recipient would get the mail, given how often they want it. */
export enum RecipientTiming {
  NOW = 'NOW',
  IN_DIGEST = 'IN_DIGEST',
  FIRST_FAILURE_ONLY = 'FIRST_FAILURE_ONLY',
}
registerEnumType(RecipientTiming, {
  name: 'RecipientTiming',
  description: 'When a recipient would get a mail about the event',
  valuesMap: {
    NOW: { description: 'At once, a mail for the event' },
    IN_DIGEST: { description: 'In the digest mail at the end of the window (digestWindowStart–digestWindowEnd)' },
    FIRST_FAILURE_ONLY: { description: 'At once if it is the first failure in a row; not if the job was already failing (FIRST_AND_FIXED)' },
  },
});

export interface Timing {
  timing: RecipientTiming;
  when: string;
  window: DigestWindow | null;
}

/**
 * When a recipient would get a mail about an event happening at `now` (for
 * recipientsPreview); a digest's window in the recipient's zone (else the admin's default).
 */
export function timingOf(recipient: { frequency: NotificationFrequency; digestHour: number | null; timeZone: string | null }, now: number, defaultTimeZone: string | null = null): Timing {
  switch (recipient.frequency) {
    case NotificationFrequency.DIGEST_HOURLY:
    case NotificationFrequency.DIGEST_DAILY: {
      const zone = digestTimeZone(recipient.timeZone, defaultTimeZone);
      const window = digestWindowAt(now, recipient.frequency, recipient.digestHour, zone);
      const kind = recipient.frequency === NotificationFrequency.DIGEST_HOURLY ? 'hourly' : 'daily';
      return { timing: RecipientTiming.IN_DIGEST, when: `in the ${kind} digest of ${describeWindow(window, zone)}`, window };
    }
    case NotificationFrequency.FIRST_AND_FIXED:
      return { timing: RecipientTiming.FIRST_FAILURE_ONLY, when: 'now if it is the first failure in a row; not if the job was already failing', window: null };
    default:
      return { timing: RecipientTiming.NOW, when: 'now', window: null };
  }
}
