import { classifyAnswer } from './answer-classification';
import type { WebhookAnswer } from './webhook-http';

const NOW = Date.parse('2026-12-07T10:00:00Z');
const answer = (status: number, retryAfter: string | null = null, body = ''): WebhookAnswer => ({ answered: true, status, retryAfter, body, ms: 5, reached: ['RESOLVE', 'CONNECT', 'TLS', 'SEND'] });
const classify = (a: WebhookAnswer) => classifyAnswer(a, 'hooks.example.com', NOW);

describe('classifyAnswer (what a webhook answer means for its delivery)', () => {
  it('slows down on a 429 until its Retry-After (seconds or an HTTP date), a minute without one, an hour at most', () => {
    expect(classify(answer(429, '30', 'rate limited'))).toEqual({ outcome: 'slow-down', untilMs: NOW + 30_000, reply: 'HTTP 429 rate limited' });
    expect(classify(answer(429, 'Mon, 07 Dec 2026 10:02:00 GMT'))).toMatchObject({ outcome: 'slow-down', untilMs: NOW + 120_000 });
    expect(classify(answer(429))).toMatchObject({ outcome: 'slow-down', untilMs: NOW + 60_000 });
    expect(classify(answer(429, '86400'))).toMatchObject({ outcome: 'slow-down', untilMs: NOW + 3_600_000 });
  });

  it('slows down on a 503 with a Retry-After (the service said when it is back; RFC 9110), as on a 429: no attempt spent', () => {
    expect(classify(answer(503, '120', 'maintenance'))).toEqual({ outcome: 'slow-down', untilMs: NOW + 120_000, reply: 'HTTP 503 maintenance' });
    expect(classify(answer(503, 'Mon, 07 Dec 2026 10:05:00 GMT'))).toMatchObject({ outcome: 'slow-down', untilMs: NOW + 300_000 });
    expect(classify(answer(503, '86400'))).toMatchObject({ outcome: 'slow-down', untilMs: NOW + 3_600_000 });
  });

  it('takes a 503 without a Retry-After, or with one it cannot read, and other 5xx as transient failures (retried with backoff)', () => {
    expect(classify(answer(503, null, 'Service Unavailable'))).toEqual({ outcome: 'transient', reply: 'HTTP 503 Service Unavailable', description: 'hooks.example.com answered 503' });
    expect(classify(answer(503, 'soon'))).toMatchObject({ outcome: 'transient' });
    expect(classify(answer(500, '30'))).toMatchObject({ outcome: 'transient', description: 'hooks.example.com answered 500' });
    expect(classify(answer(408))).toMatchObject({ outcome: 'transient' });
  });

  it('sends on 2xx, disables on 404/410, fails the message on another 4xx', () => {
    expect(classify(answer(200, null, 'ok'))).toEqual({ outcome: 'sent', reply: 'HTTP 200 ok' });
    expect(classify(answer(410, null, 'Gone'))).toMatchObject({ outcome: 'gone', reply: 'HTTP 410 Gone' });
    expect(classify(answer(400, null, 'invalid_payload'))).toEqual({ outcome: 'final', reply: 'HTTP 400 invalid_payload', description: 'hooks.example.com refused the message (400)' });
  });
});
