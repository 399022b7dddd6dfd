import { instantOfWallTime, wallTimeAt } from '../frequency/digest-window';

/** Quiet hours as they decide: minutes of the local day, in a zone. */
export interface QuietHoursRule {
  /** Minutes after local midnight the quiet starts (20:00 is 1200) and ends (07:00 is 420); start after end runs over midnight. */
  start: number;
  end: number;
  /** The whole of Saturday and Sunday too. */
  weekends: boolean;
  /** The event types whose mails go at once even then. */
  breakThrough: readonly string[];
}

const DAY_MINUTES = 24 * 60;

/** 'HH:MM' (00:00–23:59) as minutes after midnight; undefined if it is not one. */
export function minutesOf(time: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

export const timeOf = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/**
 * When quiet hours that hold at `at` end, in `timeZone`: the first instant after
 * `at` outside both the daily quiet time and (with `weekends`) Saturday and
 * Sunday; null when `at` is not quiet. Each end is a local wall time turned into
 * an instant on its own day (instantOfWallTime), so 07:00 stays 07:00 on the
 * night the clocks change — 5 h 00 UTC after the spring change in Paris, 6 h 00
 * after the autumn one; an end that does not exist that night (02:30 in spring)
 * is read with the offset before the change (03:30 CEST), as digest hours are; one
 * the autumn night repeats (02:30) is the next to come, never one already past.
 */
export function quietUntil(at: number, rule: QuietHoursRule, timeZone: string): number | null {
  let t = at;
  // Each step moves past one stretch of quiet (a night, a weekend); a night after a weekend is the most there is.
  for (let step = 0; step < 8; step++) {
    const local = wallTimeAt(t, timeZone);
    const day = { year: local.year, month: local.month, day: local.day };
    const weekday = new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay(); // 0 Sunday, 6 Saturday
    if (rule.weekends && (weekday === 0 || weekday === 6)) {
      t = instantOfWallTime({ ...shift(day, weekday === 6 ? 2 : 1), hour: 0, minute: 0 }, timeZone);
      continue;
    }
    const minute = local.hour * 60 + local.minute;
    const { start, end } = rule;
    let endDay: typeof day | undefined;
    if (start < end) endDay = minute >= start && minute < end ? day : undefined;
    else if (minute >= start) endDay = shift(day, 1);
    else if (minute < end) endDay = day;
    if (!endDay) break;
    const next = instantOfWallTime({ ...endDay, hour: Math.floor(end / 60), minute: end % 60 }, timeZone);
    // An end in the hour the autumn change repeats, read in its first pass while `t` is in the second: the end still to come is the minutes left on the wall clock.
    t = next > t ? next : t + (end - minute) * 60_000;
  }
  return t === at ? null : t;
}

function shift(day: { year: number; month: number; day: number }, days: number) {
  const d = new Date(Date.UTC(day.year, day.month - 1, day.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Whether a rule's times make quiet hours: start and end differ (equal would be every hour or none). */
export const validSpan = (start: number, end: number) => start !== end && start >= 0 && end >= 0 && start < DAY_MINUTES && end < DAY_MINUTES;
