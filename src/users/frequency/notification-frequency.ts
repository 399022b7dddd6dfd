import { registerEnumType } from '@nestjs/graphql';

/**
 * How often a person gets mails of one event type: chosen per type, globally or
 * for one application, like the on/off switch (which it extends: NEVER is "off").
 */
export enum NotificationFrequency {
  /** A mail per event, at once (the default: what Herald always did). */
  IMMEDIATELY = 'IMMEDIATELY',
  /** For JOB_FAILED: only the first failure in a row; the fix comes as JOB_RECOVERED. */
  FIRST_AND_FIXED = 'FIRST_AND_FIXED',
  /** One mail per hour listing the hour's events. */
  DIGEST_HOURLY = 'DIGEST_HOURLY',
  /** One mail per day, at the person's chosen hour, listing the day's events. */
  DIGEST_DAILY = 'DIGEST_DAILY',
  /** No mail of this type. */
  NEVER = 'NEVER',
}
registerEnumType(NotificationFrequency, {
  name: 'NotificationFrequency',
  description: 'How often a person gets mails of one event type',
  valuesMap: {
    IMMEDIATELY: { description: 'A mail per event, at once (the default)' },
    FIRST_AND_FIXED: { description: 'JOB_FAILED only: the first failure in a row, not the ones after it (the fix is JOB_RECOVERED)' },
    DIGEST_HOURLY: { description: 'One mail per hour listing the events of the hour' },
    DIGEST_DAILY: { description: 'One mail per day at the chosen hour (digestHour) listing the events of the day' },
    NEVER: { description: 'No mail of this type (the same as enabled: false)' },
  },
});

/** The types FIRST_AND_FIXED means something for: failures, which have a "first in a row". */
export const FIRST_AND_FIXED_TYPES: readonly string[] = ['JOB_FAILED'];

/** A daily digest's hour when the person has not chosen one. */
export const DEFAULT_DIGEST_HOUR = 8;

/** What a stored preference row (enabled, frequency) means: no frequency is IMMEDIATELY, off is NEVER. */
export function frequencyOf(enabled: boolean, frequency: string | null): NotificationFrequency {
  if (!enabled) return NotificationFrequency.NEVER;
  return (frequency as NotificationFrequency | null) ?? NotificationFrequency.IMMEDIATELY;
}

export const isDigest = (f: NotificationFrequency): boolean => f === NotificationFrequency.DIGEST_HOURLY || f === NotificationFrequency.DIGEST_DAILY;
