import { ManualClock } from '../../clock/manual-clock';
import { describeWindow, digestWindowAt, windowAfter } from './digest-window';
import { NotificationFrequency } from './notification-frequency';

const { DIGEST_HOURLY, DIGEST_DAILY } = NotificationFrequency;
const iso = (w: { start: Date; end: Date }) => [w.start.toISOString(), w.end.toISOString()];

describe('digest windows', () => {
  it('hourly: the clock hour the instant falls in; a boundary opens the next window', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 14, 25));
    expect(iso(digestWindowAt(clock.now(), DIGEST_HOURLY, null))).toEqual(['2026-11-24T14:00:00.000Z', '2026-11-24T15:00:00.000Z']);
    clock.advance(35 * 60_000);
    expect(iso(digestWindowAt(clock.now(), DIGEST_HOURLY, null))).toEqual(['2026-11-24T15:00:00.000Z', '2026-11-24T16:00:00.000Z']);
    clock.advance(60 * 60_000 - 1);
    expect(iso(digestWindowAt(clock.now(), DIGEST_HOURLY, null))).toEqual(['2026-11-24T15:00:00.000Z', '2026-11-24T16:00:00.000Z']);
  });

  it('daily: from the digest hour to the same hour the next day (UTC), before and after that hour', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 6, 0));
    expect(iso(digestWindowAt(clock.now(), DIGEST_DAILY, 7))).toEqual(['2026-11-23T07:00:00.000Z', '2026-11-24T07:00:00.000Z']);
    clock.advance(60 * 60_000);
    expect(iso(digestWindowAt(clock.now(), DIGEST_DAILY, 7))).toEqual(['2026-11-24T07:00:00.000Z', '2026-11-25T07:00:00.000Z']);
  });

  it('daily across a month and a year end; no chosen hour is 08:00', () => {
    expect(iso(digestWindowAt(Date.UTC(2026, 11, 31, 23, 30), DIGEST_DAILY, 23))).toEqual(['2026-12-31T23:00:00.000Z', '2027-01-01T23:00:00.000Z']);
    expect(iso(digestWindowAt(Date.UTC(2027, 0, 1, 0, 30), DIGEST_DAILY, null))).toEqual(['2026-12-31T08:00:00.000Z', '2027-01-01T08:00:00.000Z']);
  });

  it('is described for people', () => {
    expect(describeWindow(digestWindowAt(Date.UTC(2026, 10, 24, 14, 25), DIGEST_HOURLY, null))).toBe('2026-11-24 14:00–15:00 UTC');
    expect(describeWindow(digestWindowAt(Date.UTC(2026, 10, 24, 14, 25), DIGEST_DAILY, 7))).toBe('2026-11-24 07:00 – 2026-11-25 07:00 UTC');
  });

  it('describes a window in the zone it was computed in, with the abbreviation of each end', () => {
    expect(describeWindow(digestWindowAt(Date.UTC(2026, 6, 1, 10), DIGEST_DAILY, 8, 'Europe/Paris'), 'Europe/Paris')).toBe('2026-07-01 08:00 – 2026-07-02 08:00 CEST');
    expect(describeWindow(digestWindowAt(Date.UTC(2026, 2, 29, 5), DIGEST_DAILY, 8, 'Europe/Paris'), 'Europe/Paris')).toBe('2026-03-28 08:00 CET – 2026-03-29 08:00 CEST');
    expect(describeWindow(digestWindowAt(Date.UTC(2026, 10, 24, 14, 25), DIGEST_HOURLY, null, 'America/New_York'), 'America/New_York')).toBe('2026-11-24 09:00–10:00 EST');
  });
});

const hours = (w: { start: Date; end: Date }) => (w.end.getTime() - w.start.getTime()) / 3_600_000;

/** Daily windows at the person's local hour, across both daylight-saving changes, in two zones of two continents. */
describe('digest windows in a time zone', () => {
  it('Europe/Paris, spring forward (2026-03-29, 02:00 CET → 03:00 CEST): the window that ends that morning has 23 hours, both ends at 08:00 local', () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 28, 12)); // Sat 13:00 CET
    const before = digestWindowAt(clock.now(), DIGEST_DAILY, 8, 'Europe/Paris');
    expect(iso(before)).toEqual(['2026-03-28T07:00:00.000Z', '2026-03-29T06:00:00.000Z']); // 08:00 CET → 08:00 CEST
    expect(hours(before)).toBe(23);
    clock.advance(18 * 3_600_000 - 1); // Sun 07:59:59.999 CEST: still the same window
    expect(iso(digestWindowAt(clock.now(), DIGEST_DAILY, 8, 'Europe/Paris'))).toEqual(iso(before));
    clock.advance(1); // Sun 08:00 CEST: the next one, 24 hours
    const after = digestWindowAt(clock.now(), DIGEST_DAILY, 8, 'Europe/Paris');
    expect(iso(after)).toEqual(['2026-03-29T06:00:00.000Z', '2026-03-30T06:00:00.000Z']);
  });

  it('Europe/Paris, fall back (2026-10-25, 03:00 CEST → 02:00 CET): the window that ends that morning has 25 hours', () => {
    const w = digestWindowAt(Date.UTC(2026, 9, 25, 5), DIGEST_DAILY, 8, 'Europe/Paris'); // Sun 06:00 CET
    expect(iso(w)).toEqual(['2026-10-24T06:00:00.000Z', '2026-10-25T07:00:00.000Z']); // 08:00 CEST → 08:00 CET
    expect(hours(w)).toBe(25);
    expect(iso(digestWindowAt(Date.UTC(2026, 9, 25, 7), DIGEST_DAILY, 8, 'Europe/Paris'))).toEqual(['2026-10-25T07:00:00.000Z', '2026-10-26T07:00:00.000Z']);
  });

  it('Europe/Paris: a digest hour that does not exist that day (02:00 on 2026-03-29) is the change itself, 03:00 CEST; one that happens twice (02:00 on 2026-10-25) is the first', () => {
    const spring = digestWindowAt(Date.UTC(2026, 2, 29, 12), DIGEST_DAILY, 2, 'Europe/Paris');
    expect(iso(spring)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:00:00.000Z']); // 03:00 CEST → 02:00 CEST
    expect(iso(digestWindowAt(Date.UTC(2026, 2, 29, 0, 30), DIGEST_DAILY, 2, 'Europe/Paris'))).toEqual(['2026-03-28T01:00:00.000Z', '2026-03-29T01:00:00.000Z']);
    const autumn = digestWindowAt(Date.UTC(2026, 9, 25, 0, 30), DIGEST_DAILY, 2, 'Europe/Paris'); // 02:30 CEST, the first 02:30
    expect(iso(autumn)).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-26T01:00:00.000Z']); // 02:00 CEST → 02:00 CET
    expect(hours(autumn)).toBe(25);
    expect(iso(digestWindowAt(Date.UTC(2026, 9, 25, 1, 30), DIGEST_DAILY, 2, 'Europe/Paris'))).toEqual(iso(autumn)); // the second 02:30 (CET)
  });

  it('America/New_York, spring forward (2026-03-08) and fall back (2026-11-01): 23 and 25 hours, always 08:00 local; midnight digests too', () => {
    const spring = digestWindowAt(Date.UTC(2026, 2, 8, 10), DIGEST_DAILY, 8, 'America/New_York'); // Sun 06:00 EDT
    expect(iso(spring)).toEqual(['2026-03-07T13:00:00.000Z', '2026-03-08T12:00:00.000Z']); // 08:00 EST → 08:00 EDT
    expect(hours(spring)).toBe(23);
    const autumn = digestWindowAt(Date.UTC(2026, 10, 1, 12), DIGEST_DAILY, 8, 'America/New_York'); // Sun 07:00 EST
    expect(iso(autumn)).toEqual(['2026-10-31T12:00:00.000Z', '2026-11-01T13:00:00.000Z']); // 08:00 EDT → 08:00 EST
    expect(hours(autumn)).toBe(25);
    expect(iso(digestWindowAt(Date.UTC(2026, 2, 8, 12), DIGEST_DAILY, 2, 'America/New_York'))).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-09T06:00:00.000Z']); // 02:00 → 03:00 EDT
    expect(iso(digestWindowAt(Date.UTC(2026, 10, 1, 5), DIGEST_DAILY, 0, 'America/New_York'))).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
  });

  it('the window after one (where events that arrive after their window was sent go): the next local day, whatever the length of this one', () => {
    const short = digestWindowAt(Date.UTC(2026, 2, 29, 5), DIGEST_DAILY, 8, 'Europe/Paris'); // 23 hours
    expect(iso(windowAfter(short, 'Europe/Paris'))).toEqual(['2026-03-29T06:00:00.000Z', '2026-03-30T06:00:00.000Z']);
    const long = digestWindowAt(Date.UTC(2026, 10, 1, 12), DIGEST_DAILY, 8, 'America/New_York'); // 25 hours
    expect(iso(windowAfter(long, 'America/New_York'))).toEqual(['2026-11-01T13:00:00.000Z', '2026-11-02T13:00:00.000Z']);
    expect(iso(windowAfter(digestWindowAt(Date.UTC(2026, 10, 24, 14, 25), DIGEST_HOURLY, null, 'Asia/Kolkata'), 'Asia/Kolkata'))).toEqual(['2026-11-24T14:30:00.000Z', '2026-11-24T15:30:00.000Z']);
    expect(iso(windowAfter(digestWindowAt(Date.UTC(2026, 10, 24, 6), DIGEST_DAILY, 7)))).toEqual(['2026-11-24T07:00:00.000Z', '2026-11-25T07:00:00.000Z']);
  });

  it('the window after one that began at a spring change its digest hour did not exist (02:00 → 03:00 CEST) begins where it ends, at 02:00 the next day', () => {
    // Digest hour 2 in Paris: the window of 2026-03-29 begins at the change (03:00 CEST) and ends at 02:00 CEST on the 30th.
    const gap = digestWindowAt(Date.UTC(2026, 2, 29, 12), DIGEST_DAILY, 2, 'Europe/Paris');
    expect(iso(gap)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:00:00.000Z']);
    // Events that came after it was sent wait for the next 02:00 digest, not for a window of their own ending at 03:00.
    expect(iso(windowAfter(gap, 'Europe/Paris'))).toEqual(['2026-03-30T00:00:00.000Z', '2026-03-31T00:00:00.000Z']);
    const newYork = digestWindowAt(Date.UTC(2026, 2, 8, 12), DIGEST_DAILY, 2, 'America/New_York');
    expect(iso(windowAfter(newYork, 'America/New_York'))).toEqual(['2026-03-09T06:00:00.000Z', '2026-03-10T06:00:00.000Z']);
  });

  it('hourly: the clock hour in the zone (the UTC hour unless the offset has minutes)', () => {
    expect(iso(digestWindowAt(Date.UTC(2026, 10, 24, 14, 25), DIGEST_HOURLY, null, 'Europe/Paris'))).toEqual(['2026-11-24T14:00:00.000Z', '2026-11-24T15:00:00.000Z']);
    expect(iso(digestWindowAt(Date.UTC(2026, 10, 24, 14, 25), DIGEST_HOURLY, null, 'Asia/Kolkata'))).toEqual(['2026-11-24T13:30:00.000Z', '2026-11-24T14:30:00.000Z']);
  });
});
