import type { Recipient } from '../recipients/recipients.service';
import { RecipientTiming } from '../models/recipient.model';
import { describeWindow, type DigestWindow, digestWindowAt } from './digest-window';
import { NotificationFrequency } from './notification-frequency';

export interface Timing {
  timing: RecipientTiming;
  when: string;
  window: DigestWindow | null;
}

/** When a recipient would get a mail about an event happening at `now` (for recipientsPreview). */
export function timingOf(recipient: Pick<Recipient, 'frequency' | 'digestHour'>, now: number): Timing {
  switch (recipient.frequency) {
    case NotificationFrequency.DIGEST_HOURLY:
    case NotificationFrequency.DIGEST_DAILY: {
      const window = digestWindowAt(now, recipient.frequency, recipient.digestHour);
      const kind = recipient.frequency === NotificationFrequency.DIGEST_HOURLY ? 'hourly' : 'daily';
      return { timing: RecipientTiming.IN_DIGEST, when: `in the ${kind} digest of ${describeWindow(window)}`, window };
    }
    case NotificationFrequency.FIRST_AND_FIXED:
      return { timing: RecipientTiming.FIRST_FAILURE_ONLY, when: 'now if it is the first failure in a row; not if the job was already failing', window: null };
    default:
      return { timing: RecipientTiming.NOW, when: 'now', window: null };
  }
}
