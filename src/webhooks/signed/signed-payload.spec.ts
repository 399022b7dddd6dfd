import type { NotifiedEvent } from '../../event-types/notification-type';
import type { PostContent } from '../webhook-format';
import { SIGNED_BODY_BYTES, SIGNED_FORMAT, signature } from './signed-payload';

const target = { id: 7, name: 'ops', secret: 'a-signing-secret-long-enough' } as never;
const failure = (n: number, message: string, logExcerpt?: string): NotifiedEvent =>
  ({
    schemaVersion: 1,
    id: `e-${n}`,
    type: 'JOB_FAILED',
    occurredAt: new Date(Date.UTC(2026, 11, 7, 9) + n * 1000).toISOString(),
    application: { id: 'billing', name: 'Billing' },
    job: { id: `job-${n}`, kind: 'analysis', startedAt: '2026-12-07T08:00:00Z', endedAt: '2026-12-07T09:00:00Z' },
    error: { message, step: 'Run analyzer', ...(logExcerpt !== undefined && { logExcerpt }) },
  }) as never;
const digest = (events: NotifiedEvent[]): PostContent => ({
  kind: 'DIGEST',
  deliveryId: 812,
  events,
  message: { title: '[Billing] Digest', lang: 'en', application: { id: 'billing', name: 'Billing' } } as never,
  window: { start: new Date('2026-12-07T09:00:00Z'), end: new Date('2026-12-07T10:00:00Z') },
});
const post = (content: PostContent) => {
  const request = SIGNED_FORMAT.write(content, target, Date.UTC(2026, 11, 7, 10));
  return { ...request, bytes: Buffer.byteLength(request.body), json: JSON.parse(request.body) as { events: Array<{ id: string; error: { logExcerpt?: string } }>; omitted?: { logExcerpts: number; events: number } } };
};
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * A signed webhook's body stays under 1 MiB (nginx's default limit, which answers
 * 413 above it): a digest of many events loses the oldest events' log excerpts
 * first, then the oldest events, and says how many of each it left out.
 */
describe('the signed webhook body', () => {
  it('is the events as stored while it fits, with nothing said of omissions', () => {
    const events = range(0, 10).map((n) => failure(n, `failure ${n}`, 'line\n'.repeat(100)));
    const { json, bytes } = post(digest(events));
    expect(bytes).toBeLessThan(SIGNED_BODY_BYTES);
    expect(json.events).toEqual(JSON.parse(JSON.stringify(events)));
    expect(json).not.toHaveProperty('omitted');
  });

  it('leaves out the log excerpts of the oldest events first, no more than needed, and signs what it sends', () => {
    // 24 failures with 60,000 characters of log (two bytes each: é): ~2.9 MB in all.
    const events = range(0, 24).map((n) => failure(n, `failure ${n}`, `${n}:`.padEnd(60_000, 'é')));
    const { json, bytes, body, headers } = post(digest(events));
    expect(bytes).toBeLessThanOrEqual(SIGNED_BODY_BYTES);
    expect(json.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    const cut = json.omitted!.logExcerpts;
    expect(json.omitted).toEqual({ logExcerpts: cut, events: 0 });
    expect(json.events.slice(0, cut).every((e) => e.error.logExcerpt === undefined)).toBe(true);
    expect(json.events.slice(cut).map((e) => e.error.logExcerpt)).toEqual(events.slice(cut).map((e) => (e as never as { error: { logExcerpt: string } }).error.logExcerpt));
    // One more excerpt would not have fitted.
    expect(bytes + 120_000).toBeGreaterThan(SIGNED_BODY_BYTES);
    expect(cut).toBeGreaterThan(10);
    expect(headers['X-Herald-Signature']).toBe(`sha256=${signature('a-signing-secret-long-enough', headers['X-Herald-Timestamp'], body)}`);
  });

  it('leaves out the oldest events when their excerpts are not enough, and gives the newest their excerpts back', () => {
    // 2,000 failures with 9,000-character messages (~18 MB): ~110 events fit, the newest.
    const events = range(0, 2000).map((n) => failure(n, `failure ${n} `.padEnd(9_000, 'x'), `log of ${n}`));
    const { json, bytes } = post(digest(events));
    expect(bytes).toBeLessThanOrEqual(SIGNED_BODY_BYTES);
    expect(bytes).toBeGreaterThan(SIGNED_BODY_BYTES - 10_000);
    const kept = json.events.length;
    expect(json.omitted).toEqual({ logExcerpts: 0, events: 2000 - kept });
    expect(json.events.map((e) => e.id)).toEqual(events.slice(2000 - kept).map((e) => e.id));
    expect(json.events.at(-1)!.error.logExcerpt).toBe('log of 1999');
  });
});
