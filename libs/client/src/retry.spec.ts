import { parseRetryAfter, retryDelayMs } from './retry';

describe('Retry-After', () => {
  const now = Date.parse('2026-11-24T10:00:00Z');

  it('reads delta-seconds and HTTP dates, in ms from now', () => {
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 09:59:00 GMT', now)).toBe(0); // already past
  });

  it('is undefined when absent or unreadable', () => {
    for (const value of [null, undefined, '', 'soon', '-3', '1.5']) expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('the pause before the next try', () => {
  const options = { minDelayMs: 1000, maxDelayMs: 30_000 };

  it('doubles from minDelayMs up to maxDelayMs, between half and all of it (jitter)', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => retryDelayMs(attempt, options, undefined, () => 1))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect([1, 2, 3].map((attempt) => retryDelayMs(attempt, options, undefined, () => 0))).toEqual([500, 1000, 2000]);
  });

  it('is never shorter than what Herald asked (Retry-After)', () => {
    expect(retryDelayMs(1, options, 5000, () => 1)).toBe(5000);
    expect(retryDelayMs(5, options, 5000, () => 1)).toBe(16_000); // the backoff is longer already
  });

  it('gives up when Herald asks for longer than maxDelayMs', () => {
    expect(retryDelayMs(1, options, 30_001)).toBeUndefined();
    expect(retryDelayMs(1, options, 30_000, () => 0)).toBe(30_000);
  });
});
