import { createHmac, timingSafeEqual } from 'node:crypto';
import { Role } from '../src/auth/role.enum';
import { Transactions } from '../src/database/transactions';
import { ApplicationsService } from '../src/users/applications/applications.service';
import { disabledReasonOf } from '../src/webhooks/dead-targets/target-disabler';
import { NotificationTargets } from '../src/webhooks/notification-targets';
import { TargetSender } from '../src/webhooks/sending/target-sender';
import { WebhookHttp } from '../src/webhooks/sending/webhook-http';
import { capturingOutput } from './support/captured-output';
import { adaptiveCardProblems, blockKitProblems } from './support/chat-payload-rules';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { scrape } from './support/prometheus-text';
import { SmtpSink } from './support/smtp-sink';
import { WEBHOOK_TEST_ENV, WebhookReceiver } from './support/webhook-receiver';

const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const EVENT = 'query($id: ID!) { event(id: $id) { deliveries { id channel address recipientId status attempts lastReply lastError } } }';
const ADD = 'mutation($input: AddNotificationTargetInput!) { addNotificationTarget(input: $input) { id } }';
const LIST = 'query($app: ID!) { notificationTargets(applicationId: $app) { id name enabled disabledReason } }';
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const NOTICES = '{ deliveries(first: 50, filter: { eventType: TARGET_DISABLED }) { edges { node { recipientId channel status attempts } } } }';
const TOKEN = 'sig=c2VjcmV0LXBhcnQtb2YtdGhlLXdlYmhvb2stdXJs';
const SECRET = 'the-ops-team-signing-secret';

/** A receiver written from docs/wire-format.md ("Checking the signature") alone. */
function verify(secret: string, headers: Record<string, string | string[] | undefined>, rawBody: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const timestamp = headers['x-herald-timestamp'];
  const expected = 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  const given = Buffer.from(String(headers['x-herald-signature'] ?? ''));
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted) && Math.abs(nowSeconds - Number(timestamp)) <= 300;
}

/**
 * Notifications posted to an application's Teams, Slack and signed webhook targets
 * through the outbox, beside the managers' mails (a real SMTP server), to real
 * HTTPS servers answering as the services do: 429 or 503 with Retry-After, 500, 410, or
 * nothing at all; a slow or dead target never holds back mail or other targets.
 */
describe(`notification targets: delivery (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  let receiver: WebhookReceiver;
  let seq = 0;
  const targets: Record<string, string> = {};
  const publish = async (applicationId = 'billing', type = 'JOB_FAILED') => {
    const id = `target-${process.pid}-${++seq}`;
    const base = { schemaVersion: 1, id, type, occurredAt: '2026-11-24T09:42:30Z', application: { id: applicationId, name: applicationId === 'billing' ? 'Billing' : 'Big' } };
    const job = { id: `job-${seq}`, kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:42:30Z' };
    const input = type === 'JOB_FAILED' ? { ...base, job, error: { message: 'Out of memory', step: 'Run analyzer', logExcerpt: 'loading\nanalyzing\nkilled' } } : { ...base, job };
    const { data, errors } = await app.gql(PUBLISH, { input }, app.token(Role.SERVICE, 'console'));
    if (errors) throw new Error(JSON.stringify(errors));
    return data!.publishJobEvent.eventId as string;
  };
  const deliveries = async (eventId: string) => (await app.admin(EVENT, { id: eventId })).event.deliveries as Array<Record<string, any>>;
  const noticeDeliveries = async () => ((await app.admin(NOTICES)).deliveries.edges as Array<{ node: Record<string, any> }>).map((e) => e.node);
  const on = (ds: Array<Record<string, any>>, channel: string) => ds.filter((d) => d.channel === channel);
  const path = (name: string) => `/${name}/${TOKEN}`;
  const add = async (name: string, kind: string, extra: Record<string, unknown> = {}, applicationId = 'billing') => {
    targets[name] = (await app.admin(ADD, { input: { applicationId, kind, name, url: receiver.url(path(name)), types: ['JOB_FAILED', 'JOB_RECOVERED'], ...extra } })).addNotificationTarget.id;
  };

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    receiver = await new WebhookReceiver().start();
    app = await HeraldTestApp.start({
      SMTP_HOST: '127.0.0.1', SMTP_PORT: String(sink.port), SMTP_SECURITY: 'NONE', SMTP_AUTH: 'false', SMTP_SENDER: 'herald@example.com', GATEWAY_URI: 'https://console.example.com',
      DISPATCH_SWEEP_INTERVAL_MS: '200', DISPATCH_BACKOFF_BASE_MS: '300', DISPATCH_BACKOFF_MAX_MS: '600', DISPATCH_MAX_ATTEMPTS: '3', USERS_NOTIFICATIONS_DEFAULT: 'true',
      ...WEBHOOK_TEST_ENV, WEBHOOK_TIMEOUT_MS: '30000', LOG_LEVEL: 'debug',
    });
    await seedApplication(app, { id: 'billing', name: 'Billing' }, [{ id: 'ann' }, { id: 'bob' }]);
    await add('teams', 'TEAMS');
    await add('slack', 'SLACK');
    await add('ops', 'WEBHOOK', { secret: SECRET });
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
    await sink?.stop();
  });
  beforeEach(() => {
    receiver.answer = () => ({ status: 200, body: 'ok' });
  });

  it("posts each event to the application's Teams, Slack and signed webhook targets, beside the managers' mails", async () => {
    const eventId = await publish();
    await eventually(async () => expect((await deliveries(eventId)).map((d) => d.status)).toEqual(['SENT', 'SENT', 'SENT', 'SENT', 'SENT']));
    const ds = await deliveries(eventId);
    expect(ds.map((d) => [d.channel, d.address, d.recipientId]).sort()).toEqual([
      ['email', 'ann@example.com', 'ann'],
      ['email', 'bob@example.com', 'bob'],
      ['slack', '127.0.0.2', `target ${targets.slack}`],
      ['teams', '127.0.0.2', `target ${targets.teams}`],
      ['webhook', '127.0.0.2', `target ${targets.ops}`],
    ]);
    const teams = receiver.to(path('teams')).at(-1)!;
    expect(adaptiveCardProblems(teams.json)).toEqual([]);
    expect(JSON.stringify(teams.json)).toContain('https://console.example.com/applications/billing/jobs/job-');
    const slack = receiver.to(path('slack')).at(-1)!;
    expect(blockKitProblems(slack.json)).toEqual([]);
    expect(slack.json.text).toBe('[Billing] Analysis failed: Run analyzer');
    const ops = receiver.to(path('ops')).at(-1)!;
    expect(verify(SECRET, ops.headers, ops.body)).toBe(true);
    expect(verify('another-secret-of-the-same-size', ops.headers, ops.body)).toBe(false);
    expect(verify(SECRET, ops.headers, ops.body.replace('Out of memory', 'Out of memorY'))).toBe(false);
    expect(verify(SECRET, ops.headers, ops.body, Math.floor(Date.now() / 1000) + 600)).toBe(false); // a replay, ten minutes on
    expect(ops.json).toMatchObject({ schemaVersion: 1, kind: 'EVENT', target: { id: targets.ops, name: 'ops' }, application: { id: 'billing', name: 'Billing' }, events: [{ id: eventId, type: 'JOB_FAILED' }] });
    expect(ops.headers['x-herald-delivery-id']).toBe(ops.json.deliveryId);
    // The URL is the team's secret: in no answer.
    const log = await app.admin('{ deliveries(first: 50) { edges { node { channel address lastReply lastError } } } }');
    expect(JSON.stringify([ds, log])).not.toContain(TOKEN);
  });

  it('waits for a 429 as long as Retry-After says, spending no attempt; retries a 500 with backoff', async () => {
    const answers: Record<string, Array<{ status: number; headers?: Record<string, string> }>> = {
      [path('slack')]: [{ status: 429, headers: { 'retry-after': '1' } }],
      [path('teams')]: [{ status: 500 }],
    };
    receiver.answer = (post) => answers[post.path]?.shift() ?? { status: 200, body: 'ok' };
    const before = receiver.received.length;
    const { result: eventId, log } = await capturingOutput(async () => {
      const id = await publish();
      await eventually(async () => expect((await deliveries(id)).every((d) => d.status === 'SENT')).toBe(true));
      return id;
    });
    // What went wrong is logged (at debug level here), by host: never the URL's secret part or the signing key.
    expect(log).toMatch(/via 127\.0\.0\.2: attempt 1 failed \(HTTP 500\)/);
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(SECRET);
    const ds = await deliveries(eventId);
    expect(on(ds, 'slack')[0]).toMatchObject({ attempts: 1, lastReply: 'HTTP 200 ok' });
    expect(on(ds, 'teams')[0]).toMatchObject({ attempts: 2, lastReply: 'HTTP 200 ok' });
    // /metrics counts them by channel (the dispatcher's series, labelled with the delivery's channel).
    const metrics = await scrape(app.url);
    expect(metrics('herald_send_attempts_total', { channel: 'teams', outcome: 'retry', reply_class: '5xx' })).toBeGreaterThanOrEqual(1);
    expect(metrics('herald_send_attempts_total', { channel: 'slack', outcome: 'waiting' })).toBeGreaterThanOrEqual(1);
    expect(metrics('herald_deliveries_total', { channel: 'webhook', status: 'SENT' })).toBeGreaterThanOrEqual(1);
    expect(metrics('herald_send_duration_seconds_count', { channel: 'slack' })).toBeGreaterThanOrEqual(2);
    const posts = receiver.received.slice(before);
    expect(posts.filter((p) => p.path === path('slack')).map((p) => p.status)).toEqual([429, 200]);
    expect(posts.filter((p) => p.path === path('teams')).map((p) => p.status)).toEqual([500, 200]);
  });

  it('waits for a 503 with Retry-After as for a 429, spending no attempt; retries a 503 without one with backoff', async () => {
    const answers: Record<string, Array<{ status: number; headers?: Record<string, string>; body?: string }>> = {
      [path('ops')]: [{ status: 503, headers: { 'retry-after': '1' }, body: 'down for maintenance' }],
      [path('teams')]: [{ status: 503, body: 'Service Unavailable' }],
    };
    receiver.answer = (post) => answers[post.path]?.shift() ?? { status: 200, body: 'ok' };
    const before = receiver.received.length;
    const eventId = await publish();
    await eventually(async () => expect((await deliveries(eventId)).every((d) => d.status === 'SENT')).toBe(true));
    const ds = await deliveries(eventId);
    expect(on(ds, 'webhook')[0]).toMatchObject({ attempts: 1, lastReply: 'HTTP 200 ok' });
    expect(on(ds, 'teams')[0]).toMatchObject({ attempts: 2, lastReply: 'HTTP 200 ok' });
    const posts = receiver.received.slice(before);
    expect(posts.filter((p) => p.path === path('ops')).map((p) => p.status)).toEqual([503, 200]);
    expect(posts.filter((p) => p.path === path('teams')).map((p) => p.status)).toEqual([503, 200]);
  });

  it('lets a hanging webhook hold only its own delivery: the mails and the other targets go', async () => {
    receiver.answer = (post) => (post.path === path('teams') ? 'hang' : { status: 200, body: 'ok' });
    const eventId = await publish();
    await eventually(async () => {
      const ds = await deliveries(eventId);
      expect(ds.filter((d) => d.channel !== 'teams').map((d) => d.status)).toEqual(['SENT', 'SENT', 'SENT', 'SENT']);
      expect(on(ds, 'teams')[0].status).toBe('SENDING');
    });
    // The webhook gives up on the request (its connection closes): a transient failure, posted again.
    receiver.answer = () => ({ status: 200, body: 'ok' });
    await receiver.releaseHanging();
    await eventually(async () => expect(on(await deliveries(eventId), 'teams')[0]).toMatchObject({ status: 'SENT', attempts: 2 }));
  });

  it("disables a target whose webhook was deleted (410) and tells the application's managers by mail once, through the outbox: the relay down, the notice waits, then arrives", async () => {
    // The relay is down when the 410 comes: the notice must not be lost.
    const flaky = await new SmtpSink().start();
    const port = flaky.port;
    await app.admin(UPDATE_SMTP, { input: { port } });
    await flaky.stop();
    let back: SmtpSink | undefined;
    try {
      receiver.answer = (post) => (post.path === path('ops') ? { status: 410, body: 'Gone' } : { status: 200, body: 'ok' });
      const eventId = await publish();
      await eventually(async () => expect(on(await deliveries(eventId), 'webhook')[0]).toMatchObject({ status: 'FAILED', attempts: 1, lastReply: 'HTTP 410 Gone', lastError: '127.0.0.2 answered 410: the webhook was deleted; the target is disabled' }));
      const ops = (await app.admin(LIST, { app: 'billing' })).notificationTargets.find((t: { name: string }) => t.name === 'ops');
      expect(ops).toMatchObject({ enabled: false, disabledReason: 'the webhook answered 410: it was deleted' });
      // The notice is Herald's own event (TARGET_DISABLED), planned for the managers: it waits for the relay, spending no attempt.
      await eventually(async () => {
        const waiting = await noticeDeliveries();
        expect(waiting.map((d) => [d.recipientId, d.channel, d.status, d.attempts]).sort()).toEqual([['ann', 'email', 'WAITING', 0], ['bob', 'email', 'WAITING', 0]]);
      });
      back = await new SmtpSink().start(port);
      const notices = () => back!.received.filter((m) => m.parsed.subject === '[Billing] Herald stopped posting to ops');
      await eventually(async () => expect(notices().flatMap((m) => m.to).sort()).toEqual(['ann@example.com', 'bob@example.com']));
      expect(notices()[0].parsed.text).toContain('The webhook answered 410');
      expect(notices()[0].parsed.text).not.toContain(TOKEN);
      await eventually(async () => expect((await noticeDeliveries()).map((d) => d.status)).toEqual(['SENT', 'SENT']));
      const next = await publish();
      await eventually(async () => expect((await deliveries(next)).every((d) => d.status === 'SENT')).toBe(true));
      expect((await deliveries(next)).map((d) => d.channel).sort()).toEqual(['email', 'email', 'slack', 'teams']);
      expect(notices()).toHaveLength(2);
      expect(await noticeDeliveries()).toHaveLength(2);
      // event(id)'s audience says why the disabled target got nothing.
      const audience = (await app.admin('query($id: ID!) { event(id: $id) { audience { userId displayName email detail } } }', { id: next })).event.audience;
      expect(audience.find((m: { displayName: string }) => m.displayName === 'ops')).toMatchObject({ userId: `target ${targets.ops}`, email: '127.0.0.2', detail: 'nothing posted: the target is disabled (the webhook answered 410: it was deleted)' });
    } finally {
      await app.admin(UPDATE_SMTP, { input: { port: sink.port } }); // closes the pool's connections to it
      await back?.stop();
    }
  });

  it("does not slow the mails of an application's 1,000 managers while its target hangs", async () => {
    const applications = app.app.get(ApplicationsService);
    await app.app.get(Transactions).run(async (manager) => {
      const big = await applications.ensureApplication('big', 'Big', manager);
      await applications.recordManagers(big, Array.from({ length: 1000 }, (_, i) => ({ id: `m${i}`, name: `Manager ${i}`, email: `m${i}@example.com` })), manager);
    });
    await add('big-slack', 'SLACK', {}, 'big');
    receiver.answer = (post) => (post.path === path('big-slack') ? 'hang' : { status: 200, body: 'ok' });
    const eventId = await publish('big');
    const mails = () => sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === eventId).length;
    await eventually(async () => expect(mails()).toBe(1000), 200_000);
    // All sent while the target's post still hangs (each SENT is recorded a moment after the relay's 250).
    await eventually(async () => expect((await deliveries(eventId)).filter((d) => d.channel === 'email' && d.status === 'SENT')).toHaveLength(1000));
    expect(on(await deliveries(eventId), 'slack')[0].status).toBe('SENDING');
    receiver.answer = () => ({ status: 200, body: 'ok' });
    await receiver.releaseHanging();
    await eventually(async () => expect(on(await deliveries(eventId), 'slack')[0].status).toBe('SENT'));
  }, 300_000);

  it('gives up on a webhook that does not answer within WEBHOOK_TIMEOUT_MS (a transient failure), and refuses at send time a name that now resolves inside', async () => {
    const http = app.app.get(WebhookHttp);
    const quick = new (WebhookHttp as any)((http as any).rules, (http as any).clock, { webhooks: { ...app.config.webhooks, timeoutMs: 300 } }) as WebhookHttp;
    receiver.answer = () => 'hang';
    const hung = await quick.post(new URL(receiver.url('/slow')), '{}', {});
    expect(hung).toMatchObject({ answered: false, step: 'SEND', timedOut: true, refused: false, description: '127.0.0.2 did not answer within 300 ms' });
    await receiver.releaseHanging();
    for (const url of [`https://localhost:${receiver.port}/hook`, 'https://169.254.169.254/latest/meta-data/', `https://127.0.0.1:${receiver.port}/hook`]) {
      const refused = await http.post(new URL(url), '{}', {});
      expect(refused).toMatchObject({ answered: false, step: 'RESOLVE', refused: true, description: expect.stringMatching(/a loopback, link-local or private address: refused$/) });
    }
  });
});

/**
 * Posts already queued for a target when its webhook answers 404/410 (the target is
 * disabled) are never sent: they end CANCELLED with the reason, no attempt spent, and
 * are not counted as failures — the one post that met the 410 is the failure.
 */
describe(`notification targets: posts queued for a target that gets disabled (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let receiver: WebhookReceiver;
  let target = '';
  let seq = 0;
  const HOOK = `/dead/${TOKEN}`;
  const publish = async () => {
    const id = `queued-${process.pid}-${++seq}`;
    const input = {
      schemaVersion: 1, id, type: 'JOB_FAILED', occurredAt: '2026-11-24T09:42:30Z', application: { id: 'payroll', name: 'Payroll' },
      job: { id: `job-${seq}`, kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:42:30Z' }, error: { message: 'Out of memory' },
    };
    const { data, errors } = await app.gql(PUBLISH, { input }, app.token(Role.SERVICE, 'console'));
    if (errors) throw new Error(JSON.stringify(errors));
    return data!.publishJobEvent.eventId as string;
  };
  const delivery = async (eventId: string) => (await app.admin(EVENT, { id: eventId })).event.deliveries[0] as Record<string, any>;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    // One worker: the posts queue behind one another, in order.
    app = await HeraldTestApp.start({ DISPATCH_CONCURRENCY: '1', DISPATCH_SWEEP_INTERVAL_MS: '200', DISPATCH_BACKOFF_BASE_MS: '300', DISPATCH_BACKOFF_MAX_MS: '600', ...WEBHOOK_TEST_ENV, WEBHOOK_TIMEOUT_MS: '30000' });
    await seedApplication(app, { id: 'payroll', name: 'Payroll' }, []);
    const input = { applicationId: 'payroll', kind: 'WEBHOOK', name: 'dead', url: receiver.url(HOOK), types: ['JOB_FAILED'], secret: SECRET };
    target = (await app.admin(ADD, { input })).addNotificationTarget.id;
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
  });

  it('ends them CANCELLED with the reason, not FAILED, and counts them as cancelled, not failed', async () => {
    receiver.answer = () => 'hang';
    const first = await publish();
    await eventually(async () => expect(receiver.to(HOOK)).toHaveLength(1));
    // While the first post hangs, two more are checked (the target still enabled) and queued behind it.
    const second = await publish();
    const third = await publish();
    await eventually(async () => expect([(await delivery(second)).status, (await delivery(third)).status]).toEqual(['SENDING', 'SENDING']));
    // The webhook is deleted: the first post's connection breaks (retried later), the second meets the 410.
    receiver.answer = () => ({ status: 410, body: 'Gone' });
    await receiver.releaseHanging();
    await eventually(async () => expect((await delivery(second)).status).toBe('FAILED'));
    expect(await delivery(second)).toMatchObject({ recipientId: `target ${target}`, attempts: 1, lastReply: 'HTTP 410 Gone', lastError: '127.0.0.2 answered 410: the webhook was deleted; the target is disabled' });
    const reason = 'the notification target is disabled (the webhook answered 410: it was deleted)';
    await eventually(async () => expect(await delivery(third)).toMatchObject({ status: 'CANCELLED', attempts: 0, lastReply: null, lastError: reason }));
    await eventually(async () => expect(await delivery(first)).toMatchObject({ status: 'CANCELLED', attempts: 1, lastError: reason }));
    expect(receiver.to(HOOK).map((p) => p.status)).toEqual([0, 410]); // nothing posted after the 410
    const metrics = await scrape(app.url);
    expect(metrics('herald_deliveries_total', { channel: 'webhook', status: 'FAILED' })).toBe(1);
    expect(metrics('herald_deliveries_total', { channel: 'webhook', status: 'CANCELLED' })).toBe(2);
    expect(metrics('herald_send_attempts_total', { channel: 'webhook', outcome: 'failed', reply_class: '4xx' })).toBe(1);
    // The delivery log's filter by status: one FAILED, the two others CANCELLED.
    const byStatus = async (status: string) => (await app.admin(`{ deliveries(first: 10, filter: { status: ${status} }) { totalCount } }`)).deliveries.totalCount;
    expect([await byStatus('FAILED'), await byStatus('CANCELLED')]).toEqual([1, 2]);
  });

  it('cancels, with the reason, a post whose target another process disabled after the batch was loaded: nothing reaches the webhook', async () => {
    await seedApplication(app, { id: 'intake', name: 'Intake' }, []);
    const hook = `/elsewhere/${TOKEN}`;
    const id = (await app.admin(ADD, { input: { applicationId: 'intake', kind: 'WEBHOOK', name: 'elsewhere', url: receiver.url(hook), types: ['JOB_FAILED'], secret: SECRET } })).addNotificationTarget.id;
    receiver.answer = () => ({ status: 200, body: 'ok' });
    // Another process meets a 404 from the webhook (and disables the target) once this process has loaded the
    // delivery's batch (the target enabled) and checked its readers, just before it posts.
    const sender = app.app.get(TargetSender);
    const takes = jest.spyOn(sender, 'take');
    const send = sender.send.bind(sender);
    const reason = disabledReasonOf(404);
    const sends = jest.spyOn(sender, 'send').mockImplementation(async (d, context, format) => {
      if (d.recipientId === `target ${id}`) {
        await Promise.all(takes.mock.results.map((r) => r.value));
        await app.app.get(Transactions).run((manager) => app.app.get(NotificationTargets).disable(Number(id), reason, manager));
      }
      return send(d, context, format);
    });
    try {
      const input = {
        schemaVersion: 1, id: `elsewhere-${process.pid}`, type: 'JOB_FAILED', occurredAt: '2026-11-24T09:42:30Z', application: { id: 'intake', name: 'Intake' },
        job: { id: 'job-elsewhere', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:42:30Z' }, error: { message: 'Out of memory' },
      };
      const { data, errors } = await app.gql(PUBLISH, { input }, app.token(Role.SERVICE, 'console'));
      if (errors) throw new Error(JSON.stringify(errors));
      const eventId = data!.publishJobEvent.eventId as string;
      await eventually(async () => expect(await delivery(eventId)).toMatchObject({ recipientId: `target ${id}`, status: 'CANCELLED', attempts: 0, lastReply: null, lastError: `the notification target is disabled (${reason})` }));
    } finally {
      sends.mockRestore();
      takes.mockRestore();
    }
    expect(receiver.to(hook)).toEqual([]);
  });
});
