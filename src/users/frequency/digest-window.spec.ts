import { ManualClock } from '../../clock/manual-clock';
import { describeWindow, digestWindowAt } from './digest-window';
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
});
