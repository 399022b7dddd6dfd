import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { deliveries } }';
const EVENT = 'query($id: ID!) { event(id: $id) { deliveries { status attempts lastError } } }';

/**
 * A relay that refuses Herald's credentials (535 at AUTH) refuses every mail
 * alike: the relay's circuit opens at once, the whole queue waits, no delivery
 * spends an attempt or ends FAILED, and the mails go out once the credentials are
 * fixed (the settings change probes the relay at once, which closes the circuit).
 */
describe(`a relay that refuses the credentials (${DATABASE_KIND})`, () => {
  let sink: SmtpSink;
  let app: HeraldTestApp;

  beforeAll(async () => {
    sink = await new SmtpSink({ auth: { user: 'herald', pass: 'right' } }).start();
    app = await HeraldTestApp.start({ DISPATCH_SWEEP_INTERVAL_MS: '100', DISPATCH_BACKOFF_BASE_MS: '50', DISPATCH_MAX_ATTEMPTS: '2' });
    await app.admin(UPDATE_SMTP, {
      input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: true, username: 'herald', password: 'wrong', sender: 'herald@example.com' },
    });
    await seedApplication(app, { id: 'app-auth', name: 'Billing' }, [{ id: 'ann' }, { id: 'bob' }, { id: 'cid' }]);
  });
  afterAll(async () => {
    await app.close();
    await sink.stop();
  });

  it('holds every mail without spending attempts, says why, and sends them all once the password is fixed', async () => {
    const ids = ['auth-1', 'auth-2'];
    for (const id of ids) {
      const res = await app.gql(
        PUBLISH,
        { input: { schemaVersion: 1, id, type: 'VERSION_CREATED', occurredAt: '2026-11-24T09:00:00Z', application: { id: 'app-auth', name: 'Billing' }, version: { name: 'v1' } } },
        app.token(Role.SERVICE, 'console'),
      );
      expect(res.data.publishJobEvent.deliveries).toBe(3);
    }
    for (const id of ids) {
      await eventually(async () => {
        const { deliveries } = (await app.admin(EVENT, { id })).event;
        for (const d of deliveries) expect(d).toEqual({ status: 'WAITING', attempts: 0, lastError: expect.stringMatching(/the relay is down since .* \(AUTH: 535 /) });
      });
    }
    // Longer than a retry schedule of 2 attempts at 50 ms: still nothing FAILED, nothing spent.
    await new Promise((r) => setTimeout(r, 1000));
    for (const id of ids) expect((await app.admin(EVENT, { id })).event.deliveries.map((d: { status: string }) => d.status)).toEqual(['WAITING', 'WAITING', 'WAITING']);

    await app.admin(UPDATE_SMTP, { input: { password: 'right' } });
    await sink.waitFor(6);
    for (const id of ids) {
      await eventually(async () => {
        for (const d of (await app.admin(EVENT, { id })).event.deliveries) expect(d).toMatchObject({ status: 'SENT', attempts: 1 });
      });
    }
    expect(sink.received).toHaveLength(6);
  });
});

/**
 * A relay that takes mail only from those who sign in, while Herald does not
 * (authEnabled false): it answers MAIL FROM with 530 (RFC 4954), for every mail
 * alike. That is the relay's refusal, as a refused credential is: the mails wait at
 * AUTH, no delivery spends an attempt or ends FAILED, and they go out once the
 * credentials are set.
 */
describe(`a relay that requires the authentication Herald does not give (${DATABASE_KIND})`, () => {
  let sink: SmtpSink;
  let app: HeraldTestApp;

  beforeAll(async () => {
    sink = await new SmtpSink({ auth: { user: 'herald', pass: 'right' } }).start();
    app = await HeraldTestApp.start({ DISPATCH_SWEEP_INTERVAL_MS: '100', DISPATCH_BACKOFF_BASE_MS: '50', DISPATCH_MAX_ATTEMPTS: '2' });
    await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'herald@example.com' } });
    await seedApplication(app, { id: 'app-anon', name: 'Billing' }, [{ id: 'dan' }, { id: 'eve' }]);
  });
  afterAll(async () => {
    await app.close();
    await sink.stop();
  });

  it('530 at MAIL FROM holds every mail at AUTH without spending attempts; they are sent once the credentials are set', async () => {
    const res = await app.gql(
      PUBLISH,
      { input: { schemaVersion: 1, id: 'anon-1', type: 'VERSION_CREATED', occurredAt: '2026-11-24T09:00:00Z', application: { id: 'app-anon', name: 'Billing' }, version: { name: 'v1' } } },
      app.token(Role.SERVICE, 'console'),
    );
    expect(res.data.publishJobEvent.deliveries).toBe(2);
    await eventually(async () => {
      const { deliveries } = (await app.admin(EVENT, { id: 'anon-1' })).event;
      for (const d of deliveries) expect(d).toEqual({ status: 'WAITING', attempts: 0, lastError: expect.stringMatching(/the relay is down since .* \(AUTH: 530 /) });
    });
    // Longer than a retry schedule of 2 attempts at 50 ms: nothing FAILED, nothing spent.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await app.admin(EVENT, { id: 'anon-1' })).event.deliveries).toEqual([expect.objectContaining({ status: 'WAITING', attempts: 0 }), expect.objectContaining({ status: 'WAITING', attempts: 0 })]);

    await app.admin(UPDATE_SMTP, { input: { authEnabled: true, username: 'herald', password: 'right' } });
    await sink.waitFor(2);
    await eventually(async () => {
      for (const d of (await app.admin(EVENT, { id: 'anon-1' })).event.deliveries) expect(d).toMatchObject({ status: 'SENT', attempts: 1 });
    });
    expect(sink.received).toHaveLength(2);
  });
});
