import { retryDelayMs } from './retry-policy';

describe('retry policy', () => {
  it('backs off exponentially with jitter, up to a maximum', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 1000, 60_000, mid))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(20, 1000, 60_000, mid)).toBe(60_000);
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, 60_000, () => 0.999)).toBe(1499);
  });
});
