import { isTimeZone, TimeFormats } from './time-formats';

/** Intl puts no-break spaces (U+00A0, U+202F) where these expectations have plain ones. */
const plain = (s: string | undefined) => s?.replace(/\s/g, ' ');

describe('TimeFormats', () => {
  it('writes times in the zone, with its abbreviation, as the locale writes them', () => {
    expect(plain(new TimeFormats('en', 'UTC').time('2026-11-24T09:00:00Z'))).toBe('Nov 24, 2026, 9:00 AM UTC');
    expect(plain(new TimeFormats('en', 'America/New_York').time('2026-11-24T09:00:00Z'))).toBe('Nov 24, 2026, 4:00 AM EST');
    expect(plain(new TimeFormats('en', 'America/New_York').time('2026-07-01T09:00:00Z'))).toBe('Jul 1, 2026, 5:00 AM EDT');
    // French has no abbreviation for Paris ("UTC+1"): the English one is used.
    expect(plain(new TimeFormats('fr', 'Europe/Paris').time('2026-11-24T13:05:00Z'))).toBe('24 nov. 2026, 14:05 CET');
    expect(plain(new TimeFormats('fr', 'Europe/Paris').time('2026-07-01T13:05:00Z'))).toBe('1 juil. 2026, 15:05 CEST');
    // No abbreviation anywhere: the offset.
    expect(plain(new TimeFormats('fr', 'Asia/Kolkata').time('2026-11-24T09:00:00Z'))).toBe('24 nov. 2026, 14:30 UTC+5:30');
  });

  it('writes the times of one minute alike, and either side of a change of offset apart', () => {
    const paris = new TimeFormats('en', 'Europe/Paris');
    expect(plain(paris.time('2026-11-24T13:05:59.999Z'))).toBe('Nov 24, 2026, 2:05 PM CET');
    expect(plain(paris.time('2026-11-24T13:05:00Z'))).toBe('Nov 24, 2026, 2:05 PM CET');
    // Summer time begins at 01:00 UTC on 29 March 2026: the minute before is CET, the minute at it CEST.
    expect(plain(paris.time('2026-03-29T00:59:59Z'))).toBe('Mar 29, 2026, 1:59 AM CET');
    expect(plain(paris.time('2026-03-29T01:00:00Z'))).toBe('Mar 29, 2026, 3:00 AM CEST');
    expect(plain(paris.time('2026-03-29T00:59:30+00:00'))).toBe('Mar 29, 2026, 1:59 AM CET');
  });

  it('shows what is not a time as it came', () => {
    expect(plain(new TimeFormats('en', 'UTC').time('soon'))).toBe('soon');
    expect(new TimeFormats('en', 'UTC').time(undefined)).toBeUndefined();
  });

  it('writes durations in the locale', () => {
    const en = new TimeFormats('en', 'UTC');
    expect(plain(en.duration('2026-01-01T00:00:00Z', '2026-01-01T00:00:12Z'))).toBe('12 sec');
    expect(plain(en.duration('2026-01-01T00:00:00Z', '2026-01-01T00:03:20Z'))).toBe('3 min, 20 sec');
    expect(plain(en.duration('2026-01-01T00:00:00Z', '2026-01-01T01:02:05Z'))).toBe('1 hr, 2 min');
    expect(plain(new TimeFormats('fr', 'UTC').duration('2026-01-01T00:00:00Z', '2026-01-01T00:03:20Z'))).toBe('3 min et 20 s');
    expect(en.duration('2026-01-01T00:00:00Z', undefined)).toBeUndefined();
    expect(en.duration('2026-01-01T00:00:10Z', '2026-01-01T00:00:00Z')).toBeUndefined();
  });

  it('knows IANA time zones', () => {
    expect(['Europe/Paris', 'America/New_York', 'UTC'].filter(isTimeZone)).toHaveLength(3);
    expect(['Mars/Olympus', '+01:00', 'CET+1', ''].filter(isTimeZone)).toEqual([]);
  });
});

describe('TimeFormats.of', () => {
  it('builds the formats of a (locale, zone) once and shares them', () => {
    expect(TimeFormats.of('fr', 'Europe/Paris')).toBe(TimeFormats.of('fr', 'Europe/Paris'));
    expect(TimeFormats.of('fr', 'Europe/Paris')).not.toBe(TimeFormats.of('en', 'Europe/Paris'));
    expect(plain(TimeFormats.of('fr', 'Europe/Paris').time('2026-07-01T13:05:00Z'))).toBe('1 juil. 2026, 15:05 CEST');
    expect(plain(TimeFormats.of('fr', 'Europe/Paris').time('2026-11-24T13:05:00Z'))).toBe('24 nov. 2026, 14:05 CET');
  });
});
