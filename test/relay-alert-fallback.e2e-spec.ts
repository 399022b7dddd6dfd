import { Role } from '../src/auth/role.enum';
import { capturingOutput } from './support/captured-output';
import { DATABASE_KIND, HeraldTestApp, TEST_DATABASE_URL } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { describeIf, NEEDS_POSTGRES } from './support/skipped-suites';
import { closedPort, SmtpSink } from './support/smtp-sink';

const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { deliveries } }';
const STATUS = 'query { relayStatus { state since lastFailure { step reply description } deliveriesWaiting } }';
const FALLBACK_PASSWORD = 'fallback-relay-secret';

/**
 * The admins hear of an outage while it lasts when a fallback relay is configured
 * (ALERT_SMTP_URL): the main relay refusing connections for longer than
 * ALERT_AFTER_MS, the outage mail goes out through a second SMTP server; once the
 * main relay works again, the closing summary says the mails that waited have gone out.
 */
describe(`the admins' outage mail through a fallback relay (${DATABASE_KIND})`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('reaches the admin through the fallback while the main relay is down, then the recovery summary', async () => {
    const fallback = await new SmtpSink({ auth: { user: 'alerts', pass: FALLBACK_PASSWORD } }).start();
    cleanups.push(() => fallback.stop());
    const port = await closedPort();
    // Everything Herald logs meanwhile is kept, to look for the fallback's password.
    const { result: app, log } = await capturingOutput(async () => {
      const app = await HeraldTestApp.start({
        DISPATCH_SWEEP_INTERVAL_MS: '50',
        RELAY_PROBE_MIN_MS: '50',
        RELAY_PROBE_MAX_MS: '200',
        ALERT_AFTER_MS: '500',
        ALERT_SMTP_URL: `smtp://alerts:${FALLBACK_PASSWORD}@127.0.0.1:${fallback.port}`,
        ALERT_SMTP_FROM: 'Herald Alerts <herald-alerts@example.com>', // a display name, as SMTP_SENDER takes
      });
      cleanups.push(() => app.close());
      await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port, security: 'NONE', authEnabled: false, sender: 'herald@example.com' } });
      await app.gql('{ me { id } }', {}, app.token(Role.ADMIN, 'boss', { email: 'boss@example.com', name: 'The Boss' }));
      await seedApplication(app, { id: 'app-fallback', name: 'Billing' }, [{ id: 'fb-0' }, { id: 'fb-1' }, { id: 'fb-2' }]);
      const input = { schemaVersion: 1, id: `fallback-${process.pid}`, type: 'VERSION_CREATED', occurredAt: '2026-11-24T09:00:00Z', application: { id: 'app-fallback', name: 'Billing' }, version: { name: 'v1' } };
      expect((await app.gql(PUBLISH, { input }, app.token(Role.SERVICE, 'console'))).errors).toBeUndefined();

      // While the main relay is still down: one mail to the admin, through the fallback, saying so.
      const down = await eventually(async () => {
        expect(fallback.received).toHaveLength(1);
        return fallback.received[0];
      });
      const status = (await app.admin(STATUS)).relayStatus;
      expect(status).toMatchObject({ state: 'DOWN', lastFailure: { step: 'CONNECT' }, deliveriesWaiting: 3 });
      expect(down).toMatchObject({ from: 'herald-alerts@example.com', to: ['boss@example.com'], user: 'alerts' });
      expect(down.parsed.from?.value).toEqual([{ name: 'Herald Alerts', address: 'herald-alerts@example.com' }]);
      expect(down.parsed.subject).toMatch(/^Herald: the mail relay 127\.0\.0\.1:\d+ is down since \d+ (s|min)$/);
      expect(down.parsed.text).toContain(`stopped taking mail at ${status.since}, at the CONNECT step`);
      expect(down.parsed.text).toContain('ECONNREFUSED');
      expect(down.parsed.text).toContain('3 mails are waiting for it');
      expect(down.parsed.text).toContain('sent through the fallback relay');

      // The main relay comes back: the mails that waited go out there, then the closing summary says so.
      const relay = await new SmtpSink().start(port);
      cleanups.push(() => relay.stop());
      const summary = await eventually(async () => {
        const mails = relay.received.filter((m) => m.parsed.subject?.startsWith('Herald: the mail relay was down'));
        expect(mails).toHaveLength(1);
        return mails[0];
      });
      expect(relay.received.filter((m) => m.parsed.headers.get('x-herald-event-id'))).toHaveLength(3);
      expect(summary.to).toEqual(['boss@example.com']);
      expect(summary.parsed.text).toContain('They have now gone out');
      expect(fallback.received).toHaveLength(1); // the fallback carried only the outage mail
      return app;
    });

    // The fallback's password is in no log line and no answer.
    expect(log).not.toContain(FALLBACK_PASSWORD);
    expect(JSON.stringify(await app.admin(STATUS))).not.toContain(FALLBACK_PASSWORD);
  }, 60_000);
});

describeIf(!!TEST_DATABASE_URL, NEEDS_POSTGRES)('the outage mail with two processes (postgres)', () => {
  it("is not sent when another process's probe found the relay back before ALERT_AFTER_MS, though this one has not swept since", async () => {
    const fallback = await new SmtpSink().start();
    const port = await closedPort();
    const env = { RELAY_CIRCUIT_THRESHOLD: '1', SETTINGS_REFRESH_INTERVAL_MS: '100', RELAY_PROBE_MIN_MS: '50', RELAY_PROBE_MAX_MS: '200', ALERT_AFTER_MS: '1500', ALERT_SMTP_URL: `smtp://127.0.0.1:${fallback.port}`, ALERT_SMTP_FROM: 'herald-alerts@example.com' };
    // A opens the circuit (its first failed send) and sweeps only every 10 s; B sweeps every 50 ms, so B's probe finds the relay back.
    const a = await HeraldTestApp.start({ ...env, DISPATCH_SWEEP_INTERVAL_MS: '10000' });
    const b = await HeraldTestApp.start({ ...env, DISPATCH_SWEEP_INTERVAL_MS: '50' }, a.storage);
    let relay: SmtpSink | undefined;
    try {
      await a.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port, security: 'NONE', authEnabled: false, sender: 'herald@example.com' } });
      await a.gql('{ me { id } }', {}, a.token(Role.ADMIN, 'boss', { email: 'boss@example.com' }));
      await seedApplication(a, { id: 'app-two-fallback', name: 'Billing' }, [{ id: 'tf-0' }]);
      const input = { schemaVersion: 1, id: `two-fallback-${process.pid}`, type: 'VERSION_CREATED', occurredAt: '2026-12-06T09:00:00Z', application: { id: 'app-two-fallback', name: 'Billing' }, version: { name: 'v1' } };
      expect((await a.gql(PUBLISH, { input }, a.token(Role.SERVICE, 'console'))).errors).toBeUndefined();
      const down = await eventually(async () => {
        const status = (await b.admin(STATUS)).relayStatus;
        expect(status.state).toBe('DOWN');
        return status;
      });
      relay = await new SmtpSink().start(port);
      await eventually(async () => expect(relay!.received.filter((m) => m.parsed.headers.get('x-herald-event-id'))).toHaveLength(1));
      // Past ALERT_AFTER_MS from the outage's start, with a margin: A's timer has fired.
      const fired = new Date(down.since).getTime() + 1500 + 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, fired - Date.now())));
      expect(fallback.received).toHaveLength(0);
    } finally {
      await relay?.stop();
      await b.close({ keepData: true });
      await a.close();
      await fallback.stop();
    }
  }, 60_000);
});
