import { registerEnumType } from '@nestjs/graphql';
import { describeWindow, type DigestWindow, digestTimeZone, digestWindowAt } from './digest-window';
import type { HeldBack } from './mail-cap-state';
import { NotificationFrequency } from './notification-frequency';

/** When a recipient would get the mail, given how often they want it. */
export enum RecipientTiming {
  NOW = 'NOW',
  IN_DIGEST = 'IN_DIGEST',
  FIRST_FAILURE_ONLY = 'FIRST_FAILURE_ONLY',
  CAP_SUMMARY = 'CAP_SUMMARY',
}
registerEnumType(RecipientTiming, {
  name: 'RecipientTiming',
  description: 'When a recipient would get a mail about the event',
  valuesMap: {
    NOW: { description: 'At once, a mail for the event' },
    IN_DIGEST: { description: 'In the digest mail at the end of the window (digestWindowStart–digestWindowEnd)' },
    FIRST_FAILURE_ONLY: { description: 'At once if it is the first failure in a row; not if the job was already failing (FIRST_AND_FIXED)' },
    CAP_SUMMARY: {
      description: 'Folded into the summary mail at capSummaryAt: the person already had MAIL_CAP_COUNT mails in their current cap window (for FIRST_AND_FIXED, only if it is the first failure in a row)',
    },
  },
});

export interface Timing {
  timing: RecipientTiming;
  when: string;
  window: DigestWindow | null;
  /** When the cap summary it would be folded into leaves (CAP_SUMMARY only). */
  capSummaryAt: Date | null;
}

/**
 * When a recipient would get a mail about an event happening at `now` (for
 * recipientsPreview); a digest's window in the recipient's zone (else the admin's
 * default); `held`: their mail-cap window is full (a mail now would be folded).
 */
export function timingOf(
  recipient: { frequency: NotificationFrequency; digestHour: number | null; timeZone: string | null },
  now: number,
  defaultTimeZone: string | null = null,
  held?: HeldBack,
): Timing {
  const timing = digestOrNot(recipient, now, defaultTimeZone);
  if (!held || (timing.timing !== RecipientTiming.NOW && timing.timing !== RecipientTiming.FIRST_FAILURE_ONLY)) return timing;
  const at = `${held.windowEnd.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const why = `they had ${held.cap} mails, the cap, since their cap window began`;
  const when =
    timing.timing === RecipientTiming.NOW
      ? `in the cap summary at ${at}: ${why}`
      : `in the cap summary at ${at} if it is the first failure in a row (${why}); not if the job was already failing`;
  return { timing: RecipientTiming.CAP_SUMMARY, when, window: null, capSummaryAt: held.windowEnd };
}

function digestOrNot(recipient: { frequency: NotificationFrequency; digestHour: number | null; timeZone: string | null }, now: number, defaultTimeZone: string | null): Timing {
  const capSummaryAt = null;
  switch (recipient.frequency) {
    case NotificationFrequency.DIGEST_HOURLY:
    case NotificationFrequency.DIGEST_DAILY: {
      const zone = digestTimeZone(recipient.timeZone, defaultTimeZone);
      const window = digestWindowAt(now, recipient.frequency, recipient.digestHour, zone);
      const kind = recipient.frequency === NotificationFrequency.DIGEST_HOURLY ? 'hourly' : 'daily';
      return { timing: RecipientTiming.IN_DIGEST, when: `in the ${kind} digest of ${describeWindow(window, zone)}`, window, capSummaryAt };
    }
    case NotificationFrequency.FIRST_AND_FIXED:
      return { timing: RecipientTiming.FIRST_FAILURE_ONLY, when: 'now if it is the first failure in a row; not if the job was already failing', window: null, capSummaryAt };
    default:
      return { timing: RecipientTiming.NOW, when: 'now', window: null, capSummaryAt };
  }
}
