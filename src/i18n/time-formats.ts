/** The IANA zone of a mail whose recipient and admin set none. */
export const FALLBACK_TIME_ZONE = 'UTC';

/** Whether Intl knows this IANA time zone ("Europe/Paris", "UTC"; not "CET+1" or "Mars/Olympus"). */
export function isTimeZone(zone: string): boolean {
  const known = zoneChecks.get(zone);
  if (known !== undefined) return known;
  let valid: boolean;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    valid = /^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone);
  } catch {
    valid = false;
  }
  // Only names that passed validation are stored, so what anyone can type cannot grow the map.
  if (valid && zoneChecks.size < MEMO_LIMIT) zoneChecks.set(zone, valid);
  return valid;
}

/**
 * Building an Intl formatter costs far more than using one (ICU loads the locale's
 * and the zone's data each time): a mail once built four per time it showed, a
 * quarter of Herald's CPU with one recipient per event. Formatters are kept per
 * (locale, zone); both come from validated settings, and the memo is bounded anyway.
 */
const MEMO_LIMIT = 1_000;
const zoneChecks = new Map<string, boolean>();
const memo = new Map<string, TimeFormats>();

/** A short zone name that is a name ("CET", "EST", "UTC"), not an offset ("GMT+1", "UTC−5"). */
const isAbbreviation = (name: string) => !/^(GMT|UTC)[+\-−]/.test(name);

/**
 * How the times of one mail are written: in its locale and its recipient's time
 * zone, each with the zone's abbreviation ("Nov 24, 2026, 9:00 AM EST",
 * "24 nov. 2026, 10:00 CET"). Intl has no abbreviation for most zones in most
 * locales (French says "UTC+1" for Paris): the English ones are tried next
 * ("CET" from British English, "EST" from American), then the locale's offset.
 */
export class TimeFormats {
  private readonly dateTime: Intl.DateTimeFormat;
  private readonly durations: Intl.DurationFormat;
  private readonly writtenDurations = new Map<number, string>();
  /** Times as written, by minute since the epoch: the events of a burst share their minutes. */
  private readonly writtenTimes = new Map<number, string>();

  /** The formats of a (locale, zone), built once and shared: use this rather than `new`. */
  static of(locale: string, timeZone: string): TimeFormats {
    const key = `${locale}\u0000${timeZone}`;
    let formats = memo.get(key);
    if (!formats) {
      formats = new TimeFormats(locale, timeZone);
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(key, formats);
    }
    return formats;
  }

  constructor(
    readonly locale: string,
    readonly timeZone: string,
  ) {
    this.dateTime = new Intl.DateTimeFormat(locale, { timeZone, year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
    this.durations = new Intl.DurationFormat(locale, { style: 'short' });
  }

  /** An ISO-8601 time as the recipient reads it; what is not a time is shown as it came. */
  time(iso: string | undefined): string | undefined {
    if (!iso) return undefined;
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return iso;
    // Shown to the minute, in a zone whose offsets and abbreviations change on whole minutes:
    // every time of a minute is written alike (formatting one is a tenth of a millisecond).
    const minute = Math.floor(ms / 60_000);
    let written = this.writtenTimes.get(minute);
    if (written === undefined) {
      const date = new Date(minute * 60_000);
      const zone = this.zoneName(date);
      written = this.dateTime
        .formatToParts(date)
        .map((part) => (part.type === 'timeZoneName' ? zone : part.value))
        .join('');
      if (this.writtenTimes.size >= MEMO_LIMIT) this.writtenTimes.clear();
      this.writtenTimes.set(minute, written);
    }
    return written;
  }

  /** "1 hr, 2 min", "3 min, 20 sec", "12 sec" (no seconds once there are hours). */
  duration(startedAt?: string, endedAt?: string): string | undefined {
    if (!startedAt || !endedAt) return undefined;
    const seconds = Math.round((Date.parse(endedAt) - Date.parse(startedAt)) / 1000);
    if (!Number.isFinite(seconds) || seconds < 0) return undefined;
    // Intl.DurationFormat is slow (a quarter of a millisecond a call); jobs of the same length are common.
    let written = this.writtenDurations.get(seconds);
    if (written === undefined) {
      written = this.writeDuration(seconds);
      if (this.writtenDurations.size >= MEMO_LIMIT) this.writtenDurations.clear();
      this.writtenDurations.set(seconds, written);
    }
    return written;
  }

  private writeDuration(seconds: number): string {
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    if (hours) return this.durations.format({ hours, minutes });
    if (minutes) return this.durations.format({ minutes, seconds: seconds % 60 });
    return this.durations.format({ seconds });
  }

  private zoneName(date: Date): string {
    return zoneAbbreviation(date, this.timeZone, this.locale);
  }
}

/** Short zone-name formatters by locale and zone (a mail or a digest window asks for a few, many times). */
const zoneNameFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * A zone's abbreviation at a date (CET or CEST, EST or EDT), as the locale has
 * it, else British then American English, else the offset as the locale writes it.
 */
export function zoneAbbreviation(date: Date, timeZone: string, locale = 'en'): string {
  let first: string | undefined;
  for (const l of [locale, 'en-GB', 'en-US']) {
    const key = `${l}\n${timeZone}`;
    let format = zoneNameFormats.get(key);
    if (!format) {
      if (zoneNameFormats.size >= MEMO_LIMIT) zoneNameFormats.clear();
      zoneNameFormats.set(key, (format = new Intl.DateTimeFormat(l, { timeZone, timeZoneName: 'short' })));
    }
    const name = format.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (isAbbreviation(name)) return name;
    first ??= name;
  }
  return first ?? '';
}
