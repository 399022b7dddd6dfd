import { createHmac } from 'node:crypto';
import { Role } from '../src/auth/role.enum';
import { JobEventIngestionService } from '../src/job-events/ingestion/job-event-ingestion.service';
import { Digests } from '../src/notifications/digests/digests';
import { EmailModule } from '../src/email/email.module';
import { NotificationTargetsService } from '../src/webhooks/targets/notification-targets.service';
import { WebhooksModule } from '../src/webhooks/webhooks.module';
import { blockKitProblems } from './support/chat-payload-rules';
import { NotificationsCore } from './support/notifications-core';
import { eventually } from './support/people';
import { WEBHOOK_TEST_ENV, WebhookReceiver } from './support/webhook-receiver';

const MINUTE = 60_000;
const START = Date.UTC(2026, 10, 24, 9, 5);
let seq = 0;
const failedAt = (at: number, logExcerpt?: string) => ({
  schemaVersion: 1,
  id: `tdg-${process.pid}-${++seq}`,
  type: 'JOB_FAILED',
  occurredAt: new Date(at).toISOString(),
  application: { id: 'billing', name: 'App billing' },
  job: { id: `job-${seq}`, kind: 'analysis', startedAt: new Date(at - MINUTE).toISOString(), endedAt: new Date(at).toISOString() },
  error: { message: `failure ${seq}`, step: 'Run analyzer', ...(logExcerpt && { logExcerpt }) },
});
/** nginx's default `client_max_body_size`: a larger body is answered 413. */
const NGINX_BODY_BYTES = 1024 * 1024;

/**
 * Digests and the cap apply to a target as to a person (the planner's, through the
 * audience port): a target on DIGEST_HOURLY gets one post at the hour's end listing
 * the hour's events; beyond MAIL_CAP_COUNT in a window, the rest is one summary post.
 * The clock is moved by hand; the posts go to a real HTTPS server.
 */
describe('notification targets: digests and the cap', () => {
  let receiver: WebhookReceiver;
  let core: NotificationsCore;
  const admin = { sub: 'admin', roles: [Role.ADMIN] };
  const ingest = (at: number, logExcerpt?: string) => core.get(JobEventIngestionService).ingest(failedAt(at, logExcerpt), 'emitter');
  const moveTo = async (at: number) => {
    core.clock.advance(at - core.clock.now());
    return core.get(Digests).sweep();
  };

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
  });
  afterEach(async () => {
    receiver.answer = () => ({ status: 200, body: 'ok' });
    await core?.close();
  });
  afterAll(async () => receiver?.stop());

  it('posts an hourly digest of the hour at its end, in the target language', async () => {
    core = await NotificationsCore.start({ ...WEBHOOK_TEST_ENV, DISPATCH_SWEEP_INTERVAL_MS: '3600000', SETTINGS_REFRESH_INTERVAL_MS: '3600000' }, { clockStart: START, channels: [EmailModule, WebhooksModule] });
    await core.seedApplication('billing', []);
    await core.get(NotificationTargetsService).add(admin, { applicationId: 'billing', kind: 'SLACK' as never, name: '#digest', url: receiver.url('/digest'), types: ['JOB_FAILED' as never], frequency: 'DIGEST_HOURLY' as never, language: 'fr' });
    await ingest(START);
    await ingest(START + 20 * MINUTE);
    expect(await moveTo(Date.UTC(2026, 10, 24, 9, 59))).toBe(0);
    expect(receiver.to('/digest')).toEqual([]);
    expect(await moveTo(Date.UTC(2026, 10, 24, 10))).toBe(1);
    const [post] = await eventually(async () => {
      const posts = receiver.to('/digest');
      expect(posts).toHaveLength(1);
      return posts;
    });
    expect(post.json.text).toBe('Résumé : 2 événements pour App billing');
    expect(blockKitProblems(post.json)).toEqual([]);
    expect(JSON.stringify(post.json)).toContain('failure 2');
    expect(JSON.stringify(post.json)).toContain('failure 1');
  });

  it('folds what goes beyond MAIL_CAP_COUNT in a window into one summary post', async () => {
    core = await NotificationsCore.start(
      { ...WEBHOOK_TEST_ENV, DISPATCH_SWEEP_INTERVAL_MS: '3600000', SETTINGS_REFRESH_INTERVAL_MS: '3600000', MAIL_CAP_COUNT: '2', MAIL_CAP_WINDOW_MS: String(10 * MINUTE) },
      { clockStart: START, channels: [EmailModule, WebhooksModule] },
    );
    await core.seedApplication('billing', []);
    await core.get(NotificationTargetsService).add(admin, { applicationId: 'billing', kind: 'WEBHOOK' as never, name: 'ops', secret: 'a-signing-secret-long-enough', url: receiver.url('/cap'), types: ['JOB_FAILED' as never], frequency: 'IMMEDIATELY' as never });
    for (let i = 0; i < 5; i++) {
      await ingest(START + i * 1000);
      // One post at a time per target: let the pacing's next turn come.
      await eventually(async () => expect(receiver.to('/cap').length).toBe(Math.min(i + 1, 2)));
      core.clock.advance(1000);
    }
    expect(receiver.to('/cap').map((p) => p.json.kind)).toEqual(['EVENT', 'EVENT']);
    await moveTo(START + 10 * MINUTE);
    await eventually(async () => expect(receiver.to('/cap')).toHaveLength(3));
    const summary = receiver.to('/cap')[2].json;
    expect(summary).toMatchObject({ kind: 'SUMMARY', window: { start: new Date(START).toISOString(), end: new Date(START + 10 * MINUTE).toISOString() } });
    expect(summary.events.map((e: { error: { message: string } }) => e.error.message)).toEqual(['failure 5', 'failure 6', 'failure 7']);
  });

  it("fits a signed webhook's digest of long logs under 1 MiB, as a receiver behind nginx takes it: the oldest events' log excerpts left out and counted", async () => {
    core = await NotificationsCore.start({ ...WEBHOOK_TEST_ENV, DISPATCH_SWEEP_INTERVAL_MS: '3600000', SETTINGS_REFRESH_INTERVAL_MS: '3600000' }, { clockStart: START, channels: [EmailModule, WebhooksModule] });
    await core.seedApplication('billing', []);
    const secret = 'a-signing-secret-long-enough';
    await core.get(NotificationTargetsService).add(admin, { applicationId: 'billing', kind: 'WEBHOOK' as never, name: 'ops', secret, url: receiver.url('/long'), types: ['JOB_FAILED' as never], frequency: 'DIGEST_HOURLY' as never });
    receiver.answer = (post) => (Buffer.byteLength(post.body) > NGINX_BODY_BYTES ? { status: 413, body: '413 Request Entity Too Large' } : { status: 200, body: 'ok' });
    // 20 failures, each with a log excerpt of 64 K characters: 1.3 MB in all.
    for (let i = 0; i < 20; i++) await ingest(START + i * MINUTE, `log of failure ${i}\n`.padEnd(65_536, '.'));
    expect(await moveTo(Date.UTC(2026, 10, 24, 10))).toBe(1);
    const [post] = await eventually(async () => {
      const posts = receiver.to('/long');
      expect(posts).toHaveLength(1);
      return posts;
    });
    expect(post.status).toBe(200);
    const timestamp = String(post.headers['x-herald-timestamp']);
    expect(post.headers['x-herald-signature']).toBe(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${post.body}`).digest('hex')}`);
    const excerpts = post.json.events.map((e: { error: { logExcerpt?: string } }) => e.error.logExcerpt?.split('\n')[0]);
    expect(excerpts).toHaveLength(20);
    const cut = post.json.omitted.logExcerpts;
    expect(post.json.omitted).toEqual({ logExcerpts: cut, events: 0 });
    expect(excerpts).toEqual([...Array(cut).fill(undefined), ...Array.from({ length: 20 - cut }, (_, i) => `log of failure ${cut + i}`)]);
    expect(cut).toBeGreaterThanOrEqual(4);
  });
});
