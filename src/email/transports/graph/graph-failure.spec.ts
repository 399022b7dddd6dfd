import { SecretDecryptionError } from '@herald/crypto';
import { TokenEndpointError } from '../../../smtp/smtp-gateway';
import { ConcurrencyLimit } from './concurrency-limit';
import { GraphError, retryAfterOf } from './graph-api';
import { classifyGraphFailure } from './graph-failure';

const MAILBOX = 'alerts@contoso.example';
const answered = (status: number, code: string, message = 'm', retryAfterMs?: number, request: 'sendMail' | 'user' = 'sendMail') =>
  new GraphError(`Microsoft Graph answered ${status} ${code}`, request, 'https://graph.microsoft.com', MAILBOX, status, code, message, retryAfterMs);
const unanswered = (networkCode: string) => new GraphError('unreachable', 'sendMail', 'https://graph.microsoft.com', MAILBOX, null, null, null, undefined, networkCode);

/** What each of Graph's answers means for the delivery and for the transport (docs/configuration.md, "Microsoft Graph"). */
describe('classifyGraphFailure', () => {
  it.each([
    ['400 ErrorInvalidRecipients', answered(400, 'ErrorInvalidRecipients'), { scope: 'recipient', transient: false, step: 'SEND' }],
    ['400 ErrorMimeContentInvalidBase64String', answered(400, 'ErrorMimeContentInvalidBase64String'), { scope: 'message', transient: false, step: 'SEND' }],
    ['413 (too large)', answered(413, 'ErrorMessageSizeExceeded'), { scope: 'message', transient: false, step: 'SEND' }],
    ['401 InvalidAuthenticationToken', answered(401, 'InvalidAuthenticationToken'), { scope: 'relay', transient: false, step: 'AUTH' }],
    ['403 ErrorAccessDenied', answered(403, 'ErrorAccessDenied'), { scope: 'relay', transient: false, step: 'MAILBOX' }],
    ['403 Authorization_RequestDenied', answered(403, 'Authorization_RequestDenied'), { scope: 'relay', transient: false, step: 'MAILBOX' }],
    ['404 ErrorInvalidUser', answered(404, 'ErrorInvalidUser'), { scope: 'relay', transient: false, step: 'MAILBOX' }],
    ['429 with Retry-After', answered(429, 'ApplicationThrottled', 'm', 30_000), { scope: 'relay', transient: true, step: 'SEND', throttled: true, retryAfterMs: 30_000 }],
    ['429 without Retry-After', answered(429, 'MailboxConcurrency'), { scope: 'relay', transient: true, throttled: true }],
    ['503 with Retry-After', answered(503, 'ServiceUnavailable', 'm', 5_000), { scope: 'relay', transient: true, throttled: true, retryAfterMs: 5_000 }],
    ['503 without Retry-After', answered(503, 'ServiceUnavailable'), { scope: 'relay', transient: true, step: 'SEND' }],
    ['500', answered(500, 'UnknownError'), { scope: 'relay', transient: true, step: 'SEND' }],
    ['504 on the user lookup', answered(504, 'GatewayTimeout', 'm', undefined, 'user'), { scope: 'relay', transient: true, step: 'MAILBOX' }],
    ['a timeout', unanswered('TIMEOUT'), { scope: 'relay', transient: true, step: 'SEND' }],
    ['connection refused', unanswered('ECONNREFUSED'), { scope: 'relay', transient: true, step: 'CONNECT' }],
    ['unknown host', unanswered('ENOTFOUND'), { scope: 'relay', transient: true, step: 'RESOLVE' }],
    ['a certificate it cannot check', unanswered('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), { scope: 'relay', transient: true, step: 'TLS' }],
  ])('%s', (_, error, expected) => {
    expect(classifyGraphFailure(error)).toMatchObject(expected);
  });

  it('only a 429, or a 503 that says when, asks to slow down; other 5xx are transient failures', () => {
    expect(classifyGraphFailure(answered(503, 'ServiceUnavailable')).throttled).toBeFalsy();
    expect(classifyGraphFailure(answered(500, 'UnknownError', 'm', 5_000)).throttled).toBeFalsy();
  });

  it("keeps Graph's answer as the reply, and names the remedy of a 403: Mail.Send, and the mailbox in any access policy", () => {
    const failure = classifyGraphFailure(answered(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.'));
    expect(failure.reply).toBe('403 ErrorAccessDenied: Access is denied. Check credentials and try again.');
    expect(failure.responseCode).toBe(403);
    expect(failure.advice).toMatch(/Mail\.Send application permission .*admin consent/);
    expect(failure.advice).toContain(`application access policy or an RBAC for Applications scope restricts the app, include ${MAILBOX}`);
  });

  it('no token: TOKEN, transient as the endpoint says; an unreadable secret: AUTH, transient', () => {
    expect(classifyGraphFailure(new TokenEndpointError('answered 401 invalid_client', 401, 'invalid_client'))).toMatchObject({ scope: 'relay', transient: false, step: 'TOKEN' });
    expect(classifyGraphFailure(new TokenEndpointError('unreachable', null, null))).toMatchObject({ scope: 'relay', transient: true, step: 'TOKEN' });
    expect(classifyGraphFailure(new SecretDecryptionError('cannot decrypt the secret: wrong key'))).toMatchObject({ scope: 'relay', transient: true, step: 'AUTH' });
  });
});

describe('retryAfterOf', () => {
  it('reads seconds or an HTTP date; nothing else', () => {
    const now = Date.parse('2026-12-01T09:00:00Z');
    expect(retryAfterOf('30', now)).toBe(30_000);
    expect(retryAfterOf('Tue, 01 Dec 2026 09:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterOf('Tue, 01 Dec 2026 08:00:00 GMT', now)).toBe(0);
    expect(retryAfterOf(null, now)).toBeUndefined();
    expect(retryAfterOf('soon', now)).toBeUndefined();
  });
});

describe('ConcurrencyLimit', () => {
  it('lets `max` in at once, the others in order as places are given back (each once)', async () => {
    const limit = new ConcurrencyLimit(2);
    const order: number[] = [];
    const first = await limit.acquire();
    const second = await limit.acquire();
    const waiting = [3, 4].map((n) => limit.acquire().then((release) => (order.push(n), release)));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    first();
    first(); // a second call gives nothing back
    const third = await waiting[0];
    expect(order).toEqual([3]);
    expect(limit.inUse).toBe(2);
    second();
    (await waiting[1])();
    third();
    expect(limit.inUse).toBe(0);
  });
});
