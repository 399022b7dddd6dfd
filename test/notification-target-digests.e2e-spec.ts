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
const failedAt = (at: number) => ({
  schemaVersion: 1,
  id: `tdg-${process.pid}-${++seq}`,
  type: 'JOB_FAILED',
  occurredAt: new Date(at).toISOString(),
  application: { id: 'billing', name: 'App billing' },
  job: { id: `job-${seq}`, kind: 'analysis', startedAt: new Date(at - MINUTE).toISOString(), endedAt: new Date(at).toISOString() },
  error: { message: `failure ${seq}`, step: 'Run analyzer' },
});

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
  const ingest = (at: number) => core.get(JobEventIngestionService).ingest(failedAt(at), 'emitter');
  const moveTo = async (at: number) => {
    core.clock.advance(at - core.clock.now());
    return core.get(Digests).sweep();
  };

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
  });
  afterEach(async () => core?.close());
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
});
