import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Role } from '../src/auth/role.enum';
import type { Clock } from '../src/clock/clock';
import { ManualClock } from '../src/clock/manual-clock';
import { DeliveryEntity, DeliveryStatus } from '../src/notifications/entities/delivery.entity';
import { DATABASE_KIND, HeraldTestApp, TEST_DATABASE_URL } from './support/herald-test-app';
import { OAuth2TokenEndpoint } from './support/oauth2-token-endpoint';
import { eventually, seedApplication } from './support/people';
import { deliveriesOf, FAST_RELAY, people, publishVersion, relayAt, UPDATE_SMTP } from './support/relay-suite';
import { describeIf, NEEDS_POSTGRES } from './support/skipped-suites';
import { closedPort, SmtpSink } from './support/smtp-sink';

const STATUS = 'query { relayStatus { state since lastSuccessAt lastFailure { step reply description at } deliveriesWaiting oldestWaitingAt pacedUntil pacedLastAt } }';

/** Fast schedules, so that an outage longer than every backoff takes a second. */
const FAST = { ...FAST_RELAY, DISPATCH_MAX_ATTEMPTS: '2' };
const publish = (app: HeraldTestApp, applicationId: string) => publishVersion(app, applicationId, 'circuit');
const statusOf = async (app: HeraldTestApp) => (await app.admin(STATUS)).relayStatus;

/**
 * The relay's circuit breaker end to end, with real SMTP servers: relay-wide
 * failures make mail wait (no attempt spent) until a probe finds the relay back;
 * only one recipient's or message's failure spends attempts.
 */
describe(`the relay's circuit breaker (${DATABASE_KIND})`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const start = async (env: Record<string, string>, settings: Record<string, unknown>, applicationId: string, managers: { id: string }[], clock?: Clock) => {
    const app = await HeraldTestApp.start({ ...FAST, ...env }, undefined, { clock });
    cleanups.push(() => app.close());
    await app.admin(UPDATE_SMTP, { input: settings });
    await seedApplication(app, { id: applicationId, name: 'Billing' }, managers);
    return app;
  };
  const sink = async (options: ConstructorParameters<typeof SmtpSink>[0] = {}, port = 0) => {
    const s = await new SmtpSink(options).start(port);
    cleanups.push(() => s.stop());
    return s;
  };

  it('a relay refusing connections for longer than every backoff, then back: every mail goes out once, none FAILED, no attempt spent; the admins get one summary', async () => {
    const port = await closedPort();
    const app = await start({ ALERT_AFTER_MS: '300' }, relayAt(port), 'app-outage', people('outage', 3));
    await app.gql('{ me { id } }', {}, app.token(Role.ADMIN, 'boss', { email: 'boss@example.com', name: 'The Boss' })); // an admin with an address
    const ids = [await publish(app, 'app-outage'), await publish(app, 'app-outage')];

    for (const id of ids) {
      await eventually(async () => {
        for (const d of await deliveriesOf(app, id)) {
          expect(d).toMatchObject({ status: 'WAITING', attempts: 0, lastError: expect.stringMatching(/^waiting: (the relay is down since .*\(CONNECT: |(primary: )?127\.0\.0\.1:\d+ failed at CONNECT)/) });
        }
      });
    }
    const down = await eventually(async () => {
      const status = await statusOf(app);
      expect(status).toMatchObject({ state: 'DOWN', lastFailure: { step: 'CONNECT', reply: null, description: expect.stringContaining('ECONNREFUSED') }, deliveriesWaiting: 6 });
      return status;
    });
    expect(new Date(down.oldestWaitingAt).getTime()).toBeLessThanOrEqual(Date.now());

    // Probes, each failing: wait for five of them (50, 100, 200, 200 ms apart), longer than
    // the whole retry schedule (2 attempts, 20–50 ms apart) and the probe backoff's growth.
    const probes = new Set<string>();
    await eventually(async () => {
      const { lastFailure } = await statusOf(app);
      probes.add(lastFailure.at);
      expect(probes.size).toBeGreaterThanOrEqual(5);
    });
    for (const id of ids) for (const d of await deliveriesOf(app, id)) expect(d).toMatchObject({ status: 'WAITING', attempts: 0 });

    const relay = await sink({}, port);
    const back = Date.now();
    await eventually(async () => expect(relay.received.filter((m) => m.parsed.headers.get('x-herald-event-id'))).toHaveLength(6));
    const recoveredMs = Date.now() - back;
    for (const id of ids) {
      await eventually(async () => {
        for (const d of await deliveriesOf(app, id)) expect(d).toMatchObject({ status: 'SENT', attempts: 1 });
      });
    }
    const notifications = relay.received.filter((m) => m.parsed.headers.get('x-herald-event-id'));
    expect(notifications).toHaveLength(6);
    expect(new Set(notifications.map((m) => `${m.to.join()} ${m.parsed.subject}`)).size).toBe(6); // each once
    expect(await statusOf(app)).toMatchObject({ state: 'OK', deliveriesWaiting: 0, oldestWaitingAt: null, lastSuccessAt: expect.any(String) });
    expect(recoveredMs).toBeGreaterThan(0);
    // The outage outlasted ALERT_AFTER_MS: once the mails that waited are out, the admin with an address gets one summary.
    const summary = await eventually(async () => {
      const mails = relay.received.filter((m) => m.parsed.subject?.startsWith('Herald: the mail relay was down'));
      expect(mails).toHaveLength(1);
      return mails[0];
    });
    expect(summary.to).toEqual(['boss@example.com']);
    expect(summary.parsed.text).toContain('CONNECT');
  });

  it('a relay that answers 535 to AUTH: the circuit opens at once, and relayStatus says AUTH with the reply', async () => {
    const relay = await sink({ auth: { user: 'herald', pass: 'right' } });
    const app = await start({ RELAY_PROBE_MIN_MS: '60000', RELAY_PROBE_MAX_MS: '60000' }, relayAt(relay.port, { authEnabled: true, username: 'herald', password: 'wrong' }), 'app-535', people('auth', 3));
    const id = await publish(app, 'app-535');
    await eventually(async () => {
      expect(await statusOf(app)).toMatchObject({
        state: 'DOWN',
        lastFailure: { step: 'AUTH', reply: expect.stringMatching(/^535 .*Authentication credentials invalid/) },
        deliveriesWaiting: 3,
      });
      for (const d of await deliveriesOf(app, id)) expect(d).toMatchObject({ status: 'WAITING', attempts: 0, lastError: expect.stringMatching(/relay is down .*\(AUTH: 535 /) });
    });
    // At once: the first refusal opened it (the pool's connections tried at most one login each), and no probe came before its time.
    expect(relay.logins.filter((l) => !l.accepted).length).toBeLessThanOrEqual(3);
    expect(relay.received).toHaveLength(0);
  });

  it('one recipient refused with 550 while the others succeed: only that delivery fails, the circuit stays closed', async () => {
    const relay = await sink({ rejectRecipient: (to) => (to === 'one-1@example.com' ? { code: 550, message: '5.1.1 no such user' } : undefined) });
    const app = await start({}, relayAt(relay.port), 'app-550', people('one', 3));
    const id = await publish(app, 'app-550');
    await eventually(async () => {
      expect((await deliveriesOf(app, id)).map((d) => [d.recipientEmail, d.status, d.attempts])).toEqual([
        ['one-0@example.com', 'SENT', 1],
        ['one-1@example.com', 'FAILED', 1],
        ['one-2@example.com', 'SENT', 1],
      ]);
    });
    expect((await deliveriesOf(app, id))[1].lastReply).toMatch(/^550 5\.1\.1 no such user/);
    expect(await statusOf(app)).toMatchObject({ state: 'OK', lastFailure: null, deliveriesWaiting: 0 });
  });

  it('the OAuth2 token endpoint down (503), then back: deliveries wait, no attempt spent, then go out', async () => {
    const endpoint = await new OAuth2TokenEndpoint().start();
    cleanups.push(() => endpoint.stop());
    endpoint.addClient('herald-app', { secret: 'entra-secret' });
    endpoint.failWith = { status: 503 };
    const relay = await sink({ xoauth2: (user, token) => endpoint.isValid(token, user) });
    const settings = relayAt(relay.port, {
      sender: 'alerts@example.com',
      username: 'alerts@example.com',
      authMethod: 'OAUTH2_CLIENT_CREDENTIALS',
      oauth2TokenUrl: endpoint.url,
      oauth2ClientId: 'herald-app',
      oauth2ClientSecret: 'entra-secret',
    });
    const app = await start({}, settings, 'app-token', people('token', 3));
    const id = await publish(app, 'app-token');
    await eventually(async () => {
      expect(await statusOf(app)).toMatchObject({ state: 'DOWN', lastFailure: { step: 'TOKEN', description: expect.stringContaining('503') } });
      for (const d of await deliveriesOf(app, id)) expect(d).toMatchObject({ status: 'WAITING', attempts: 0, lastError: expect.stringMatching(/TOKEN.*token endpoint http:\/\/127\.0\.0\.1:\d+\/oauth2\/v2\.0\/token answered 503/) });
    });
    expect(JSON.stringify(await statusOf(app))).not.toContain('entra-secret');

    endpoint.failWith = undefined;
    await relay.waitFor(3);
    await eventually(async () => {
      for (const d of await deliveriesOf(app, id)) expect(d).toMatchObject({ status: 'SENT', attempts: 1 });
    });
    expect((await statusOf(app)).state).toBe('OK');
  });

  it("a relay enforcing a per-minute quota (a scaled minute): every mail arrives, none FAILED; with Herald's quota set to the relay's, none is refused", async () => {
    const MINUTE_MS = 1500;
    // Herald and the relays count minutes on one ManualClock, moved only while no mail is on its way:
    // on the system clock, a mail granted in a minute's last 75 ms could reach the relay in the next
    // minute on a loaded machine, and be refused there (Herald's margin is 3 s of a real minute).
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 10));
    const now = () => clock.now();
    const relay = await sink({ messagesPerMinute: 3, minuteMs: MINUTE_MS, now });
    const app = await start({ HERALD_QUOTA_MINUTE_MS: String(MINUTE_MS), DISPATCH_MAX_ATTEMPTS: '2' }, relayAt(relay.port), 'app-quota', people('quota', 8), clock);
    const sending = () => app.app.get(DataSource).getRepository(DeliveryEntity).countBy({ status: DeliveryStatus.SENDING });
    /** Until `check` passes: the clock moves on by a thirtieth of a minute each time no mail is being sent. */
    const driveUntil = <T>(check: () => Promise<T>) =>
      eventually(async () => {
        try {
          return await check();
        } catch (error) {
          if ((await sending()) === 0) clock.advance(MINUTE_MS / 30);
          throw error;
        }
      }, 60_000);

    // Herald without a quota: the relay refuses the excess (450 4.5.127); Herald slows down, spends nothing.
    const first = await publish(app, 'app-quota');
    await driveUntil(async () => {
      expect(relay.received).toHaveLength(8);
      for (const d of await deliveriesOf(app, first)) expect(d).toMatchObject({ status: 'SENT', attempts: 1 });
    });
    expect(relay.throttled).toBeGreaterThan(0);

    // Herald paced to the relay's quota: nothing is refused, the log says it is paced. (A relay
    // of its own: the first one's current minute already counts mails Herald's quota did not.)
    const paced = await sink({ messagesPerMinute: 3, minuteMs: MINUTE_MS, now });
    await app.admin(UPDATE_SMTP, { input: { port: paced.port, quotaMessagesPerMinute: 3 } });
    const second = await publish(app, 'app-quota');
    await eventually(async () => {
      const waiting = (await deliveriesOf(app, second)).filter((d) => d.status === 'WAITING');
      expect(waiting[0]?.lastError).toMatch(/^paced: relay quota 3 messages a minute; next at \S+Z; the last of the \d+ waiting at about \S+Z$/);
    });
    // relayStatus says when the next goes and, at 3 a rolling (scaled) minute and its margin of a twentieth, about when the last of those waiting will.
    const status = await eventually(async () => {
      const s = await statusOf(app);
      expect(s).toMatchObject({ state: 'DEGRADED', pacedUntil: expect.any(String), pacedLastAt: expect.any(String) });
      return s;
    });
    const lastIn = Date.parse(status.pacedLastAt) - Date.parse(status.pacedUntil);
    expect(lastIn).toBe(Math.round((Math.ceil(status.deliveriesWaiting / 3) - 1) * MINUTE_MS * 1.05));
    await driveUntil(async () => {
      expect(paced.received).toHaveLength(8);
      for (const d of await deliveriesOf(app, second)) expect(d).toMatchObject({ status: 'SENT', attempts: 1 });
    });
    expect(paced.throttled).toBe(0);
    expect(relay.received).toHaveLength(8);
  });

  it('50 deliveries paced by the relay quota: each says it waits with 50 others, and readiness and relayStatus count the 50 waiting now', async () => {
    // The quota is one mail a minute: the first goes, the 50 others wait for the next minutes. On a
    // ManualClock that stays at the start of a minute, the minute cannot end in the middle of the test.
    const MINUTE_MS = 60_000;
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 10));
    const relay = await sink();
    const app = await start({}, relayAt(relay.port, { quotaMessagesPerMinute: 1 }), 'app-fifty', people('fifty', 51), clock);
    const id = await publish(app, 'app-fifty');
    await relay.waitFor(1);

    const status = await eventually(async () => {
      const s = await statusOf(app);
      expect(s).toMatchObject({ state: 'DEGRADED', deliveriesWaiting: 50, pacedUntil: expect.any(String) });
      return s;
    });
    const ready = await request(app.url).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.relay).toMatchObject({ state: 'DEGRADED', waiting: 50 });
    const lastAt = new Date(Date.parse(status.pacedUntil) + 49 * MINUTE_MS * 1.05).toISOString(); // a rolling minute and 3 s each
    expect(status.pacedLastAt).toBe(lastAt);
    await eventually(async () => {
      const waiting = (await deliveriesOf(app, id)).filter((d) => d.status === 'WAITING');
      expect(waiting).toHaveLength(50);
      for (const d of waiting) {
        expect(d.lastError).toBe(`paced: relay quota 1 messages a minute; next at ${status.pacedUntil}; the last of the 50 waiting at about ${lastAt}`);
      }
    });
    expect(relay.received).toHaveLength(1);
  }, 90_000);
});

/** Connections to a relay that hangs up at once, with when each came. */
async function hangingUpRelay(): Promise<{ server: Server; port: number; connections: number[] }> {
  const connections: number[] = [];
  const server = createServer((socket: Socket) => {
    connections.push(Date.now());
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, connections };
}

describeIf(!!TEST_DATABASE_URL, NEEDS_POSTGRES)('two Herald processes with the relay down (postgres)', () => {
  it('share the probes: one probe at a time, spaced by the backoff, not one per process', async () => {
    const PROBE_MS = 400;
    const relay = await hangingUpRelay();
    const env = { ...FAST, RELAY_PROBE_MIN_MS: String(PROBE_MS), RELAY_PROBE_MAX_MS: String(PROBE_MS), SETTINGS_REFRESH_INTERVAL_MS: '100' };
    const a = await HeraldTestApp.start(env);
    const b = await HeraldTestApp.start(env, a.storage);
    try {
      await a.admin(UPDATE_SMTP, { input: relayAt(relay.port) });
      await seedApplication(a, { id: 'app-two', name: 'Billing' }, people('two', 4));
      const ids = [await publish(a, 'app-two'), await publish(b, 'app-two')];
      await eventually(async () => {
        expect((await statusOf(a)).state).toBe('DOWN');
        expect((await statusOf(b)).state).toBe('DOWN');
      });
      // A send under way when the circuit opened may still reconnect once or twice (the
      // SMTP pool retries a connection the relay closed): counted from when those are over,
      // that is once every mail is back to wait (its send has ended), however long that took.
      await eventually(async () => {
        for (const id of ids) for (const d of await deliveriesOf(a, id)) expect(d.status).toBe('WAITING');
      });
      const from = relay.connections.length;
      await eventually(async () => expect(relay.connections.length - from).toBeGreaterThanOrEqual(6), 20_000);
      const probes = relay.connections.slice(from);
      const gaps = probes.slice(1).map((t, i) => t - probes[i]);
      // Two processes probing each on its own would often connect within a few ms of each other.
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(PROBE_MS * 0.9);
      expect((await statusOf(a)).lastFailure.step).toMatch(/^(CONNECT|GREETING)$/);
    } finally {
      await b.close({ keepData: true });
      await a.close();
      await new Promise((resolve) => relay.server.close(resolve));
    }
  }, 60_000);

  it("an outage one process opened and the other's probe closed: the admins get one summary, from the process that opened it", async () => {
    const port = await closedPort();
    const env = { ...FAST, ALERT_AFTER_MS: '300' };
    // A sweeps (and so probes) once a second, B every 50 ms: B's probe is the one that finds the relay back.
    const a = await HeraldTestApp.start({ ...env, DISPATCH_SWEEP_INTERVAL_MS: '1000' });
    const b = await HeraldTestApp.start(env, a.storage);
    let relay: SmtpSink | undefined;
    try {
      await a.admin(UPDATE_SMTP, { input: relayAt(port) });
      await a.gql('{ me { id } }', {}, a.token(Role.ADMIN, 'boss', { email: 'boss@example.com', name: 'The Boss' }));
      await seedApplication(a, { id: 'app-two-alerts', name: 'Billing' }, people('two-alerts', 2));
      const id = await publish(a, 'app-two-alerts');
      const down = await eventually(async () => {
        const status = await statusOf(b);
        expect(status.state).toBe('DOWN');
        return status;
      });
      // B heard of the outage (as another process's: A tells the admins), on its /metrics.
      await eventually(async () => expect((await request(b.url).get('/metrics')).text).toMatch(/herald_relay_state\{state="DOWN"\} 1/));
      // Longer than ALERT_AFTER_MS: until a failed probe after 300 ms.
      await eventually(async () => expect(new Date((await statusOf(b)).lastFailure.at).getTime() - new Date(down.since).getTime()).toBeGreaterThan(300));

      relay = await new SmtpSink().start(port);
      await eventually(async () => {
        for (const d of await deliveriesOf(b, id)) expect(d).toMatchObject({ status: 'SENT', attempts: 1 });
      });
      const summaries = () => relay!.received.filter((m) => m.parsed.subject?.startsWith('Herald: the mail relay was down'));
      const summary = await eventually(async () => {
        expect(summaries()).toHaveLength(1);
        return summaries()[0];
      });
      expect(summary.to).toEqual(['boss@example.com']);
      expect(summary.parsed.text).toContain('They have now gone out');
      // And of its end.
      const metrics = await request(b.url).get('/metrics');
      expect(metrics.text).toMatch(/herald_relay_state\{state="OK"\} 1/);
    } finally {
      await relay?.stop();
      await b.close({ keepData: true });
      await a.close();
    }
  }, 60_000);
});
