import { DataSource } from 'typeorm';
import { Role } from '../src/auth/role.enum';
import { ManualClock } from '../src/clock/manual-clock';
import { DeliveryEntity, DeliveryStatus } from '../src/notifications/entities/delivery.entity';
import { FakeGraph } from './support/fake-graph';
import { DATABASE_KIND, HeraldTestApp, TEST_DATABASE_URL } from './support/herald-test-app';
import { OAuth2TokenEndpoint } from './support/oauth2-token-endpoint';
import { eventually, seedApplication } from './support/people';
import { deliveriesOf as relayDeliveries, FAST_RELAY, people, PUBLISH, relayAt, UPDATE_SMTP } from './support/relay-suite';
import { describeIf, NEEDS_POSTGRES } from './support/skipped-suites';
import { SmtpSink } from './support/smtp-sink';

const STATUS = 'query { relayStatus { state lastFailure { step reply } deliveriesWaiting pacedUntil pacedLastAt pacedRate } }';

/** A scaled "minute" (HERALD_QUOTA_MINUTE_MS), on a ManualClock that Herald and the relay share. */
const MINUTE_MS = 1500;
const FAST = { ...FAST_RELAY, HERALD_QUOTA_MINUTE_MS: String(MINUTE_MS) };
/** Postfix's answer beyond smtpd_client_message_rate_limit. */
const TOO_MUCH_MAIL = { code: 450, message: '4.7.1 Error: too much mail from 127.0.0.1' };

let seq = 0;

/**
 * Pacing end to end with real SMTP servers (and a local Graph): the relay quota
 * counted in rolling windows, a relay's "slow down" halving the pace for every
 * sender, never an attempt spent on either.
 */
describe(`pacing that never overruns (${DATABASE_KIND})`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  let clock: ManualClock;
  let app: HeraldTestApp;
  const start = async (settings: Record<string, unknown>, applicationId: string, managers: { id: string }[], env: Record<string, string> = {}) => {
    clock = new ManualClock(Date.UTC(2026, 11, 7, 10, 0, 59)); // a second before a clock minute ends: where fixed windows overran
    app = await HeraldTestApp.start({ ...FAST, ...env }, undefined, { clock });
    cleanups.push(() => app.close());
    await app.admin(UPDATE_SMTP, { input: settings });
    await seedApplication(app, { id: applicationId, name: 'Billing' }, managers);
  };
  const sink = async (options: ConstructorParameters<typeof SmtpSink>[0]) => {
    const s = await new SmtpSink({ minuteMs: MINUTE_MS, now: () => clock.now(), ...options }).start();
    cleanups.push(() => s.stop());
    return s;
  };
  const publish = async (applicationId: string, type = 'VERSION_CREATED') => {
    const id = `pacing-${process.pid}-${++seq}`;
    const base = { schemaVersion: 1, id, type, occurredAt: '2026-12-07T09:00:00Z', application: { id: applicationId, name: 'Billing' } };
    const job = { id: `job-${seq}`, kind: 'analysis' };
    const input =
      type === 'VERSION_CREATED'
        ? { ...base, version: { name: `v${seq}` } }
        : type === 'JOB_FAILED'
          ? { ...base, job, error: { message: 'Out of memory' } }
          : { ...base, job, stoppedBy: { id: 'bob', name: 'Bob' } };
    const res = await app.gql(PUBLISH, { input }, app.token(Role.SERVICE, 'console'));
    expect(res.errors).toBeUndefined();
    return id;
  };
  const deliveriesOf = (id: string) => relayDeliveries(app, id);
  const statusOf = async () => (await app.admin(STATUS)).relayStatus;
  const sending = () => app.app.get(DataSource).getRepository(DeliveryEntity).countBy({ status: DeliveryStatus.SENDING });
  /** Until `check` passes: the clock moves on by a thirtieth of a minute each time no mail is being sent. */
  const driveUntil = <T>(check: () => Promise<T>, each?: () => Promise<void>) =>
    eventually(async () => {
      try {
        return await check();
      } catch (error) {
        await each?.();
        if ((await sending()) === 0) clock.advance(MINUTE_MS / 30);
        throw error;
      }
    }, 90_000);

  it("with Herald's quota set to the relay's (a rolling minute): a burst of 16 is never refused, and no window of a minute holds more than the quota", async () => {
    const relay = await sink({ messagesPerMinute: 4, quotaWindow: 'sliding', quotaReply: TOO_MUCH_MAIL });
    await start(relayAt(relay.port, { quotaMessagesPerMinute: 4 }), 'app-burst', people('burst', 16));
    const id = await publish('app-burst');
    await driveUntil(async () => {
      expect(relay.received).toHaveLength(16);
      for (const d of await deliveriesOf(id)) expect(d).toMatchObject({ status: 'SENT', attempts: 1 });
    });
    expect(relay.throttled).toBe(0);
    expect(relay.busiestWindow(MINUTE_MS)).toBe(4);
    // As a relay with a margin for the way there sees it, too: 4 in any minute and a twentieth.
    expect(relay.busiestWindow(MINUTE_MS * 1.05)).toBe(4);
  }, 120_000);

  it("a relay stricter than Herald's quota (450 4.7.1 too much mail): Herald halves its pace, grows it back, spends no attempt, and every mail arrives", async () => {
    const relay = await sink({ messagesPerMinute: 3, quotaWindow: 'sliding', quotaReply: TOO_MUCH_MAIL });
    await start(relayAt(relay.port, { quotaMessagesPerMinute: 8 }), 'app-strict', people('strict', 14));
    const id = await publish('app-strict');
    const rates = new Set<number>();
    const reasons = new Set<string>();
    await driveUntil(
      async () => {
        expect(relay.received).toHaveLength(14);
        for (const d of await deliveriesOf(id)) expect(d).toMatchObject({ status: 'SENT', attempts: 1 });
      },
      async () => {
        const status = await statusOf();
        if (status.pacedRate !== null) rates.add(status.pacedRate);
        for (const d of await deliveriesOf(id)) if (d.status === 'WAITING' && d.lastError) reasons.add(d.lastError.replace(/ at (about )?\S+Z/g, ' at …'));
      },
    );
    expect(relay.throttled).toBeGreaterThan(0);
    expect(Math.min(...rates)).toBeLessThanOrEqual(2); // halved from what the relay refused
    expect([...reasons].some((r) => /^paced: the relay asks to slow down \(450 4\.7\.1 Error: too much mail from 127\.0\.0\.1\): \d+ messages a minute from now; next at …$/.test(r))).toBe(true);
    expect([...reasons].some((r) => /^paced: relay slowed down to \d+ messages a minute after it asked to \(450 4\.7\.1 Error: too much mail from 127\.0\.0\.1\); next at …; the last of the \d+ waiting at …$/.test(r))).toBe(true);
    // After the halving, what the relay refused were only mails already on their way: a handful, not one per mail.
    expect(relay.throttled).toBeLessThan(14);
  }, 120_000);

  it('Microsoft Graph answering 429 with Retry-After after a few mails: the pace halves, no attempt is spent, every mail arrives', async () => {
    const endpoint = await new OAuth2TokenEndpoint().start();
    cleanups.push(() => endpoint.stop());
    endpoint.addClient('herald-graph', { secret: 'Gx7~graph-client-secret-value' });
    const graph = await new FakeGraph((token, scope) => endpoint.isValidFor(token, scope)).start();
    cleanups.push(() => graph.stop());
    graph.addMailbox('alerts@contoso.example');
    const settings = {
      transport: 'MICROSOFT_GRAPH',
      graphEndpoint: graph.url,
      sender: 'Console <alerts@contoso.example>',
      authMethod: 'OAUTH2_CLIENT_CREDENTIALS',
      oauth2TokenUrl: endpoint.url,
      oauth2ClientId: 'herald-graph',
      oauth2ClientSecret: 'Gx7~graph-client-secret-value',
    };
    await start(settings, 'app-graph', people('graph', 10));
    // Graph takes 4, then throttles the next requests (those already on their way) with Retry-After: 1 s.
    graph.throttleAfter = { accepted: 4, answers: 3, retryAfter: 1 };
    const id = await publish('app-graph');
    const rates = new Set<number>();
    await driveUntil(
      async () => {
        expect(graph.received).toHaveLength(10);
        for (const d of await deliveriesOf(id)) expect(d).toMatchObject({ status: 'SENT', attempts: 1 });
      },
      async () => {
        const status = await statusOf();
        if (status.pacedRate !== null) rates.add(status.pacedRate);
      },
    );
    expect(graph.sendRequests.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(Math.min(...rates)).toBeLessThanOrEqual(2);
  }, 90_000);

  it('a relay answering 451 to every MAIL FROM for longer than the retry schedule: its circuit opens (DOWN, with the reply), no delivery FAILED, and all go once it is back', async () => {
    const relay = await sink({});
    relay.failMailFromWith = { code: 451, message: '4.3.2 System not accepting network messages' };
    await start(relayAt(relay.port), 'app-sender', people('sender', 10), { DISPATCH_MAX_ATTEMPTS: '3' });
    const id = await publish('app-sender');
    await driveUntil(async () => {
      expect(await statusOf()).toMatchObject({ state: 'DOWN', lastFailure: { step: 'SEND', reply: expect.stringMatching(/^451 4\.3\.2 System not accepting network messages/) } });
    });
    // Far longer than the retry schedule (3 attempts, 20–50 ms apart): probes pass (the relay greets), the
    // first mails after each are refused alike, and the circuit opens again without spending their attempts.
    const refusedBefore = relay.mailFromRefused;
    await driveUntil(async () => expect(relay.mailFromRefused - refusedBefore).toBeGreaterThanOrEqual(30));
    for (const d of await deliveriesOf(id)) {
      expect(d.status).not.toBe('FAILED');
      expect(d.attempts).toBeLessThanOrEqual(1);
    }
    await driveUntil(async () => expect((await statusOf()).state).toBe('DOWN'));
    expect(relay.received).toHaveLength(0);

    relay.failMailFromWith = undefined;
    await driveUntil(async () => {
      expect(relay.received).toHaveLength(10);
      for (const d of await deliveriesOf(id)) expect(d).toMatchObject({ status: 'SENT' });
    });
    expect(new Set(relay.received.map((m) => m.parsed.messageId)).size).toBe(10);
    expect((await statusOf()).state).toBe('OK');
  }, 120_000);

  it('paced with failures among them: once the quota makes a queue, the mails of failed and stopped jobs go first', async () => {
    const relay = await sink({ messagesPerMinute: 4, quotaWindow: 'sliding', quotaReply: TOO_MUCH_MAIL });
    await start(relayAt(relay.port, { quotaMessagesPerMinute: 4 }), 'app-order', people('order', 3));
    // 10 events to 3 people: 30 mails, 6 of them about a failed or stopped job, published among the others.
    const types = ['VERSION_CREATED', 'VERSION_CREATED', 'VERSION_CREATED', 'JOB_FAILED', 'VERSION_CREATED', 'VERSION_CREATED', 'JOB_STOPPED', 'VERSION_CREATED', 'VERSION_CREATED', 'VERSION_CREATED'];
    const typeOf = new Map<string, string>();
    for (const type of types) typeOf.set(await publish('app-order', type), type);
    await driveUntil(async () => expect(relay.received).toHaveLength(30));
    const order = relay.received.map((m) => typeOf.get(String(m.parsed.headers.get('x-herald-event-id')))!);
    const urgent = (t: string) => t === 'JOB_FAILED' || t === 'JOB_STOPPED';
    expect(order.filter(urgent)).toHaveLength(6);
    // The first window's 4 went as they came (the first event's 3 and one more); from the queue on, the 6 first.
    expect(order.slice(4, 10).every(urgent)).toBe(true);
    expect(order.slice(10).some(urgent)).toBe(false);
    expect(relay.throttled).toBe(0);
  }, 120_000);

  it("the day's recipient budget used up: the mails that would not fit are folded into each person's summary, sent when the budget frees, and the delivery log says so", async () => {
    const relay = await sink({});
    // A day goes by on the ManualClock: timers that repeat, hourly at most (each repetition runs).
    await start(relayAt(relay.port, { quotaRecipientsPerDay: 4 }), 'app-day', people('day', 3), { DISPATCH_SWEEP_INTERVAL_MS: '3600000', SETTINGS_REFRESH_INTERVAL_MS: '3600000' });
    const ids = [await publish('app-day'), await publish('app-day'), await publish('app-day')];
    const all = async () => (await Promise.all(ids.map(deliveriesOf))).flat();
    const folded = await driveUntil(async () => {
      const deliveries = await all();
      expect(deliveries.filter((d) => d.status === 'SENT')).toHaveLength(4);
      const rest = deliveries.filter((d) => d.status !== 'SENT');
      expect(rest).toHaveLength(5);
      for (const d of rest) {
        expect(d).toMatchObject({ status: 'CANCELLED', attempts: 0, lastError: expect.stringMatching(/^folded into the summary mail of \S+Z: relay quota 4 recipients a day is used up until then$/) });
      }
      return rest;
    });
    expect(relay.received).toHaveLength(4);
    // A day later the budget frees: one summary per person who had mails folded, with their events.
    const readers = new Set(folded.map((d) => d.recipientEmail));
    clock.advance(86_400_000 + 2 * 60_000);
    await driveUntil(async () => expect(relay.received).toHaveLength(4 + readers.size));
    const summaries = relay.received.slice(4);
    expect(new Set(summaries.map((m) => m.to[0]))).toEqual(readers);
    // Each to someone whose mails were folded.
    for (const m of summaries) {
      const theirs = (await all()).filter((d) => d.status === 'CANCELLED' && d.recipientEmail === m.to[0]);
      expect(theirs.length).toBeGreaterThan(0);
    }
  }, 120_000);
});

describeIf(!!TEST_DATABASE_URL, NEEDS_POSTGRES)('two Herald processes paced by one quota (postgres)', () => {
  it('share the rolling minute: together never more than the quota in any window of a minute, none refused, every mail once', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 7, 10, 0, 59));
    const relay = await new SmtpSink({ messagesPerMinute: 4, quotaWindow: 'sliding', quotaReply: TOO_MUCH_MAIL, minuteMs: MINUTE_MS, now: () => clock.now() }).start();
    const a = await HeraldTestApp.start(FAST, undefined, { clock });
    const b = await HeraldTestApp.start(FAST, a.storage, { clock });
    try {
      await a.admin(UPDATE_SMTP, { input: relayAt(relay.port, { quotaMessagesPerMinute: 4 }) });
      await seedApplication(a, { id: 'app-two', name: 'Billing' }, people('two', 6));
      // Each process plans (and is handed) the mails of the event it takes in: 12 sent by two dispatchers.
      for (const app of [a, b]) {
        const input = { schemaVersion: 1, id: `pacing-two-${process.pid}-${++seq}`, type: 'VERSION_CREATED', occurredAt: '2026-12-07T09:00:00Z', application: { id: 'app-two', name: 'Billing' }, version: { name: `v${seq}` } };
        expect((await app.gql(PUBLISH, { input }, app.token(Role.SERVICE, 'console'))).errors).toBeUndefined();
      }
      const sending = () => a.app.get(DataSource).getRepository(DeliveryEntity).countBy({ status: DeliveryStatus.SENDING });
      await eventually(async () => {
        try {
          expect(relay.received).toHaveLength(12);
        } catch (error) {
          if ((await sending()) === 0) clock.advance(MINUTE_MS / 30);
          throw error;
        }
      }, 90_000);
      expect(relay.throttled).toBe(0);
      expect(relay.busiestWindow(MINUTE_MS)).toBe(4);
      expect(new Set(relay.received.map((m) => m.parsed.messageId)).size).toBe(12);
    } finally {
      await b.close({ keepData: true });
      await a.close();
      await relay.stop();
    }
  }, 120_000);
});

