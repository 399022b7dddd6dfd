import { FALLBACK_TIME_ZONE, isTimeZone, zoneAbbreviation } from '../../i18n/time-formats';
import { DEFAULT_DIGEST_HOUR, NotificationFrequency } from './notification-frequency';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The span of time whose events one digest mail lists: [start, end). */
export interface DigestWindow {
  start: Date;
  end: Date;
}

/** A wall-clock date and time in some zone (month 1–12). */
interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const knownZones = new Map<string, boolean>();

/**
 * The zone a person's digests follow: theirs, else the admin's default, else UTC
 * (a stored zone this Node's time zone data no longer knows is skipped, as mails do).
 */
export function digestTimeZone(own: string | null | undefined, adminDefault: string | null | undefined): string {
  for (const zone of [own, adminDefault]) {
    if (!zone) continue;
    let known = knownZones.get(zone);
    if (known === undefined) knownZones.set(zone, (known = isTimeZone(zone)));
    if (known) return zone;
  }
  return FALLBACK_TIME_ZONE;
}

/** One formatter per zone (building one costs far more than using it: planning asks for every recipient). */
const formatters = new Map<string, Intl.DateTimeFormat>();

function wallTimeFormat(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The wall-clock time of an instant in a zone, and the zone's offset from UTC then (ms, east positive). */
export function wallTimeAt(at: number, timeZone: string): WallTime & { offset: number } {
  const parts: Record<string, number> = {};
  for (const part of wallTimeFormat(timeZone).formatToParts(at)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const wall = { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute };
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, parts.second);
  return { ...wall, offset: asUtc - (at - (((at % 1000) + 1000) % 1000)) };
}

/**
 * The instant a wall-clock time names in a zone. Most name exactly one. On the
 * autumn change an hour happens twice (02:00–03:00 in Paris on 2026-10-25): the
 * earlier one. On the spring change an hour does not exist (02:00–03:00 in
 * Paris on 2026-03-29): the wall time is read with the offset before the change,
 * which lands it as far past the change as it was past the gap's start — 02:00
 * is the change itself (03:00 CEST), the first valid instant after it. (What
 * Temporal calls disambiguation "compatible".)
 */
export function instantOfWallTime(wall: WallTime, timeZone: string): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  // The offsets around that time: a zone changes offset at most once in a day.
  const before = wallTimeAt(asUtc - DAY, timeZone).offset;
  const after = wallTimeAt(asUtc + DAY, timeZone).offset;
  const valid = [...new Set([before, after])].map((offset) => asUtc - offset).filter((at) => wallTimeAt(at, timeZone).offset === asUtc - at);
  return valid.length ? Math.min(...valid) : asUtc - before;
}

/** The calendar day after a wall date (any month or year end). */
function nextDay({ year, month, day }: WallTime): { year: number; month: number; day: number } {
  const next = new Date(Date.UTC(year, month - 1, day + 1));
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
}

/**
 * The digest window an instant falls in, in the person's IANA time zone (theirs,
 * else the admin's default, else UTC; an unknown one reads as UTC). Hourly: the
 * clock hour in that zone (the UTC hour, except in zones whose offset is not a
 * whole number of hours). Daily: from the person's digest hour on their local
 * day to the same local hour the next day — 24 hours, or 23 and 25 across a
 * daylight-saving change — so the mail leaves at that local hour all year. A
 * digest hour that does not exist that day (spring change) is the change itself
 * (instantOfWallTime). An instant on a boundary opens the next window.
 */
export function digestWindowAt(
  at: number,
  frequency: NotificationFrequency.DIGEST_HOURLY | NotificationFrequency.DIGEST_DAILY,
  digestHour: number | null,
  timeZone: string = FALLBACK_TIME_ZONE,
): DigestWindow {
  const local = wallTimeAt(at, timeZone);
  if (frequency === NotificationFrequency.DIGEST_HOURLY) {
    const start = at - ((((at + local.offset) % HOUR) + HOUR) % HOUR);
    return { start: new Date(start), end: new Date(start + HOUR) };
  }
  const hour = digestHour ?? DEFAULT_DIGEST_HOUR;
  let day: WallTime = { ...local, hour, minute: 0 };
  let start = instantOfWallTime(day, timeZone);
  if (start > at) {
    const yesterday = new Date(Date.UTC(local.year, local.month - 1, local.day - 1));
    day = { year: yesterday.getUTCFullYear(), month: yesterday.getUTCMonth() + 1, day: yesterday.getUTCDate(), hour, minute: 0 };
    start = instantOfWallTime(day, timeZone);
  }
  const end = instantOfWallTime({ ...nextDay(day), hour, minute: 0 }, timeZone);
  return { start: new Date(start), end: new Date(end) };
}

/**
 * The window after this one for the same person: hourly (an hour long) or daily
 * at the same local hour, in the zone it was computed in. Not `end + length`:
 * the day after a 23-hour window has 24 hours. The digest hour is read from the
 * end that shows it: a window that began at a spring change its hour did not
 * exist (02:00 → 03:00) shows it at its end, one that ends at such a change at its start.
 */
export function windowAfter(window: DigestWindow, timeZone: string = FALLBACK_TIME_ZONE): DigestWindow {
  const start = window.start.getTime();
  const end = window.end.getTime();
  if (end - start <= HOUR) return digestWindowAt(end, NotificationFrequency.DIGEST_HOURLY, null, timeZone);
  const hours = [wallTimeAt(start, timeZone).hour, wallTimeAt(end, timeZone).hour];
  const hour = hours.find((h) => digestWindowAt(start, NotificationFrequency.DIGEST_DAILY, h, timeZone).end.getTime() === end) ?? hours[0];
  return digestWindowAt(end, NotificationFrequency.DIGEST_DAILY, hour, timeZone);
}

/**
 * A window for people, in the zone it was computed in, with the zone's
 * abbreviation: "2026-11-24 14:00–15:00 UTC", "2026-03-28 08:00 CET – 2026-03-29 08:00 CEST".
 */
export function describeWindow(window: DigestWindow, timeZone: string = FALLBACK_TIME_ZONE): string {
  const fmt = (d: Date) => {
    const w = wallTimeAt(d.getTime(), timeZone);
    const pad = (n: number) => String(n).padStart(2, '0');
    return { date: `${w.year}-${pad(w.month)}-${pad(w.day)}`, time: `${pad(w.hour)}:${pad(w.minute)}`, zone: zoneAbbreviation(d, timeZone) };
  };
  const [start, end] = [fmt(window.start), fmt(window.end)];
  if (start.date === end.date && start.zone === end.zone) return `${start.date} ${start.time}–${end.time} ${end.zone}`;
  return start.zone === end.zone ? `${start.date} ${start.time} – ${end.date} ${end.time} ${end.zone}` : `${start.date} ${start.time} ${start.zone} – ${end.date} ${end.time} ${end.zone}`;
}
