import { DEFAULT_DIGEST_HOUR, NotificationFrequency } from './notification-frequency';

const HOUR = 3_600_000;

/** The span of time whose events one digest mail lists: [start, end). */
export interface DigestWindow {
  start: Date;
  end: Date;
}

/**
 * The digest window an instant falls in. Hourly: the clock hour. Daily: from the
 * person's digest hour to the same hour the next day, so the mail leaves at that
 * hour with the day before it. An instant on a boundary opens the next window.
 *
 * Time zone: UTC. People have no time zone on main yet (branch i18n adds
 * users.time_zone, migration 0006); once it is there, the daily boundary is the
 * digest hour in the person's zone — the one place to change is here.
 */
export function digestWindowAt(at: number, frequency: NotificationFrequency.DIGEST_HOURLY | NotificationFrequency.DIGEST_DAILY, digestHour: number | null): DigestWindow {
  if (frequency === NotificationFrequency.DIGEST_HOURLY) {
    const start = Math.floor(at / HOUR) * HOUR;
    return { start: new Date(start), end: new Date(start + HOUR) };
  }
  const day = new Date(at);
  let start = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), digestHour ?? DEFAULT_DIGEST_HOUR);
  if (start > at) start = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() - 1, digestHour ?? DEFAULT_DIGEST_HOUR);
  const startDate = new Date(start);
  const end = Date.UTC(startDate.getUTCFullYear(), startDate.getUTCMonth(), startDate.getUTCDate() + 1, startDate.getUTCHours());
  return { start: startDate, end: new Date(end) };
}

/** A window for people: "2026-11-24 14:00–15:00 UTC", or with both dates for a daily one. */
export function describeWindow(window: DigestWindow): string {
  const fmt = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');
  const start = fmt(window.start);
  const end = fmt(window.end);
  return start.slice(0, 10) === end.slice(0, 10) ? `${start}–${end.slice(11)} UTC` : `${start} – ${end} UTC`;
}
