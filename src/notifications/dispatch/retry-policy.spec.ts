import { isTransient, retryDelayMs } from './retry-policy';

describe('retry policy', () => {
  it('retries 4xx replies and network failures, not 5xx replies or bad envelopes', () => {
    expect(isTransient({ responseCode: 451, response: '451 4.3.0 try later' })).toBe(true);
    expect(isTransient({ response: '421 closing' })).toBe(true);
    expect(isTransient({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' })).toBe(true);
    expect(isTransient({ code: 'ETIMEDOUT' })).toBe(true);
    expect(isTransient({ responseCode: 550, response: '550 5.1.1 no such user' })).toBe(false);
    expect(isTransient({ response: '554 rejected' })).toBe(false);
    expect(isTransient({ code: 'EENVELOPE', message: 'Invalid recipient' })).toBe(false);
  });

  it('backs off exponentially with jitter, up to a maximum', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 1000, 60_000, mid))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(20, 1000, 60_000, mid)).toBe(60_000);
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, 60_000, () => 0.999)).toBe(1499);
  });
});
