import { minutesOf, type QuietHoursRule, quietUntil } from './quiet-hours';

const night: QuietHoursRule = { start: minutesOf('20:00')!, end: minutesOf('07:00')!, weekends: false, breakThrough: ['JOB_FAILED'] };
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const PARIS = 'Europe/Paris';

describe('quiet hours', () => {
  it('reads HH:MM and nothing else', () => {
    expect([minutesOf('00:00'), minutesOf('07:30'), minutesOf('23:59')]).toEqual([0, 450, 1439]);
    expect([minutesOf('24:00'), minutesOf('7:30'), minutesOf('07:60'), minutesOf('ab')]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('20:00–07:00 in Paris: quiet at 23:00 until 07:00; not at 19:59 nor 07:00', () => {
    expect(iso(quietUntil(Date.UTC(2026, 10, 24, 22), night, PARIS))).toBe('2026-11-25T06:00:00.000Z'); // 23:00 CET → 07:00 CET
    expect(iso(quietUntil(Date.UTC(2026, 10, 25, 2), night, PARIS))).toBe('2026-11-25T06:00:00.000Z'); // 03:00, the same night
    expect(quietUntil(Date.UTC(2026, 10, 24, 18, 59), night, PARIS)).toBeNull();
    expect(quietUntil(Date.UTC(2026, 10, 25, 6), night, PARIS)).toBeNull();
  });

  it('across the spring change (2026-03-29): 23:00 CET → 07:00 CEST, 05:00 UTC; across the autumn change (2026-10-25): 23:00 CEST → 07:00 CET, 06:00 UTC', () => {
    expect(iso(quietUntil(Date.UTC(2026, 2, 28, 22), night, PARIS))).toBe('2026-03-29T05:00:00.000Z');
    expect(iso(quietUntil(Date.UTC(2026, 9, 24, 21), night, PARIS))).toBe('2026-10-25T06:00:00.000Z');
  });

  it('an end that does not exist that night (02:30 on 2026-03-29) is read with the offset before the change: 03:30 CEST', () => {
    expect(iso(quietUntil(Date.UTC(2026, 2, 28, 22), { ...night, end: minutesOf('02:30')! }, PARIS))).toBe('2026-03-29T01:30:00.000Z');
  });

  it('an end in the hour the autumn change repeats (02:30 on 2026-10-25): in its second pass, the next 02:30, never one already past', () => {
    const early = { ...night, start: minutesOf('01:00')!, end: minutesOf('02:30')! };
    expect(iso(quietUntil(Date.UTC(2026, 9, 24, 23, 10), early, PARIS))).toBe('2026-10-25T00:30:00.000Z'); // 01:10 CEST → 02:30 CEST
    expect(iso(quietUntil(Date.UTC(2026, 9, 25, 1, 10), early, PARIS))).toBe('2026-10-25T01:30:00.000Z'); // 02:10 CET (the second pass) → 02:30 CET
  });

  it('a span within a day (12:00–14:00), and weekends: Friday night runs to Monday 07:00', () => {
    expect(iso(quietUntil(Date.UTC(2026, 10, 24, 11, 30), { ...night, start: 720, end: 840 }, PARIS))).toBe('2026-11-24T13:00:00.000Z');
    const weekends = { ...night, weekends: true };
    expect(iso(quietUntil(Date.UTC(2026, 10, 27, 22), weekends, PARIS))).toBe('2026-11-30T06:00:00.000Z'); // Fri 23:00 → Mon 07:00
    expect(iso(quietUntil(Date.UTC(2026, 10, 28, 12), weekends, PARIS))).toBe('2026-11-30T06:00:00.000Z'); // Sat noon
    expect(quietUntil(Date.UTC(2026, 10, 30, 9), weekends, PARIS)).toBeNull(); // Mon 10:00
    expect(iso(quietUntil(Date.UTC(2026, 10, 28, 12), { ...weekends, start: 720, end: 840 }, 'America/New_York'))).toBe('2026-11-30T05:00:00.000Z'); // Sat 07:00 EST → Mon 00:00 EST
  });
});
