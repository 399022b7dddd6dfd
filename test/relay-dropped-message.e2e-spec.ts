import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { deliveries } }';
const EVENT = 'query($id: ID!) { event(id: $id) { deliveries { recipientEmail status attempts lastReply lastError } } }';
const STATUS = 'query { relayStatus { state lastFailure { step description } deliveriesWaiting } }';

let seq = 0;
async function publish(app: HeraldTestApp, applicationId: string): Promise<string> {
  const id = `dropped-${process.pid}-${++seq}`;
  const input = { schemaVersion: 1, id, type: 'VERSION_CREATED', occurredAt: '2026-11-24T09:00:00Z', application: { id: applicationId, name: 'Billing' }, version: { name: `v${seq}` } };
  const res = await app.gql(PUBLISH, { input }, app.token(Role.SERVICE, 'console'));
  expect(res.errors).toBeUndefined();
  return id;
}

/**
 * A relay that hangs up during DATA for one particular message, and only that one.
 * A lost session looks relay-wide (every mail would fail alike), so each time it
 * waits without spending an attempt; but the relay keeps taking the other mails and
 * passing its probes, so after RELAY_FAILURES_PER_MESSAGE of them it is that
 * message's own failure: it spends its attempts and ends FAILED, saying why.
 */
describe(`a relay that drops one message in DATA (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp | undefined;
  let relay: SmtpSink | undefined;
  afterEach(async () => {
    await app?.close();
    await relay?.stop();
  });

  it('the others arrive, that one ends FAILED with the reason, and the circuit does not stay open', async () => {
    relay = await new SmtpSink({ dropInData: ({ to }) => to.includes('drop-1@example.com') }).start();
    app = await HeraldTestApp.start({
      DISPATCH_SWEEP_INTERVAL_MS: '50',
      DISPATCH_BACKOFF_BASE_MS: '20',
      DISPATCH_BACKOFF_MAX_MS: '50',
      DISPATCH_MAX_ATTEMPTS: '2',
      RELAY_PROBE_MIN_MS: '50',
      RELAY_PROBE_MAX_MS: '200',
      RELAY_FAILURES_PER_MESSAGE: '3',
    });
    await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: relay.port, security: 'NONE', authEnabled: false, sender: 'herald@example.com' } });
    await seedApplication(app, { id: 'app-drop', name: 'Billing' }, [{ id: 'drop-0' }, { id: 'drop-1' }, { id: 'drop-2' }]);

    const id = await publish(app, 'app-drop');
    const deliveries = await eventually(async () => {
      const ds = (await app!.admin(EVENT, { id })).event.deliveries;
      expect(ds.map((d: { recipientEmail: string; status: string; attempts: number }) => [d.recipientEmail, d.status, d.attempts])).toEqual([
        ['drop-0@example.com', 'SENT', 1],
        ['drop-1@example.com', 'FAILED', 2],
        ['drop-2@example.com', 'SENT', 1],
      ]);
      return ds;
    }, 30_000);
    expect(deliveries[1].lastError).toMatch(/^the relay lost the session while sending this message 3 times, while it took other mails or passed its probes: treated as this message's failure \(SEND: .+\)$/);
    expect(relay.dropped).toBeGreaterThanOrEqual(3);

    // The relay works: the circuit is closed (or closes at its next probe) and new mails go out.
    await eventually(async () => expect((await app!.admin(STATUS)).relayStatus).toMatchObject({ state: 'OK', deliveriesWaiting: 0 }));
    const later = await publish(app, 'app-drop');
    await eventually(async () => {
      const ds = (await app!.admin(EVENT, { id: later })).event.deliveries;
      expect(ds.filter((d: { status: string }) => d.status === 'SENT')).toHaveLength(2);
    });
    expect(relay.received.map((m) => m.to.join()).sort()).toEqual(['drop-0@example.com', 'drop-0@example.com', 'drop-2@example.com', 'drop-2@example.com']);
  }, 60_000);
});
