import { Role } from '../src/auth/role.enum';
import { DOVECOT_AVAILABLE, Dovecot, NEEDS_DOVECOT } from './support/dovecot';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { NEEDS_POSTFIX, Postfix, POSTFIX_AVAILABLE } from './support/postfix';
import { describeIf } from './support/skipped-suites';
import { SmtpSink, TLS_FIXTURES } from './support/smtp-sink';

/**
 * The whole way round, with a real MTA: Herald relays through Postfix (an
 * instance of its own on a loopback port), which accepts a mail for an unknown
 * local user and bounces it — its own DSN, to Herald's sender address, delivered to
 * the Maildir that Dovecot serves as the sender's mailbox. Herald reads it there:
 * the delivery BOUNCED, the address suspended, its next mail CANCELLED, while the
 * others still go out through Postfix. The mailbox is read over IMAPS, the
 * server's certificate checked against the CA given in the settings.
 */
const SENDER = 'herald@bounces.test';
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId } }';
const DELIVERIES = '{ deliveries(first: 50) { edges { node { id eventId recipientId status lastError bounce { status hard diagnosticCode reportingMta } } } } }';
let seq = 0;

describeIf(DOVECOT_AVAILABLE && POSTFIX_AVAILABLE, `${NEEDS_POSTFIX} and ${NEEDS_DOVECOT}`)(`bounces from a real Postfix (${DATABASE_KIND})`, () => {
  let dovecot: Dovecot;
  let postfix: Postfix;
  let remote: SmtpSink;
  let app: HeraldTestApp;

  const deliveries = async (): Promise<any[]> => (await app.admin(DELIVERIES)).deliveries.edges.map((e: any) => e.node);
  const of = async (eventId: string, person: string) => (await deliveries()).find((d) => d.eventId === eventId && d.recipientId === person);
  async function publish(): Promise<string> {
    const id = `postfix-bounce-${process.pid}-${++seq}`;
    const res = await app.gql(
      PUBLISH,
      {
        input: {
          schemaVersion: 1, id, type: 'JOB_FAILED', occurredAt: '2026-11-24T09:10:00Z', application: { id: 'billing', name: 'Billing' },
          job: { id: `job-${seq}`, kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:10:00Z' }, error: { message: 'Out of memory' },
        },
      },
      app.token(Role.SERVICE, 'console'),
    );
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return id;
  }

  beforeAll(async () => {
    remote = await new SmtpSink().start();
    dovecot = await Dovecot.start({ [SENDER]: 'imap-secret' });
    postfix = await Postfix.start({ localDomain: 'herald.test', reportDomain: 'bounces.test', maildir: dovecot.maildir(SENDER), routes: { 'remote.test': remote.port } });
    app = await HeraldTestApp.start({ DISPATCH_SWEEP_INTERVAL_MS: '100', SETTINGS_REFRESH_INTERVAL_MS: '200' });
    await app.admin('mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }', {
      input: { host: '127.0.0.1', port: postfix.port, security: 'NONE', authEnabled: false, sender: `Herald <${SENDER}>` },
    });
    await app.admin('mutation($input: UpdateReportMailboxSettingsInput!) { updateReportMailboxSettings(input: $input) { protocol } }', {
      input: { protocol: 'IMAP', host: '127.0.0.1', port: dovecot.tlsPort, security: 'TLS', caCertificate: TLS_FIXTURES.cert, username: SENDER, password: 'imap-secret', pollIntervalSeconds: 1 },
    });
    await seedApplication(app, { id: 'billing', name: 'Billing' }, [{ id: 'alice', email: 'alice@herald.test' }, { id: 'bob', email: 'bob@remote.test' }]);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await postfix?.close();
    await dovecot?.close();
    await remote?.stop();
  });

  it("Postfix's own DSN for an unknown user, read over IMAPS: BOUNCED, suspended, and the next mail CANCELLED while bob's still go", async () => {
    const first = await publish();
    const bounced = await eventually(async () => {
      const d = await of(first, 'alice');
      expect(d?.status).toBe('BOUNCED');
      return d;
    }, 30_000);
    expect(bounced.bounce).toEqual({ status: '5.1.1', hard: true, diagnosticCode: 'unknown user: "alice"', reportingMta: 'mx.herald.test' });
    await eventually(async () => expect(remote.received.map((m) => m.to[0])).toEqual(['bob@remote.test']));
    // The look that recorded the bounce writes OK once it has moved the report: after the delivery shows BOUNCED.
    await eventually(async () => expect((await app.admin('{ relayStatus { reportMailbox { state } } }')).relayStatus.reportMailbox.state).toBe('OK'));
    const suspension = (await app.gql('{ me { emailSuspension { status reason } } }', {}, app.token(Role.USER, 'alice'))).data.me.emailSuspension;
    expect(suspension).toEqual({ status: '5.1.1', reason: '5.1.1 unknown user (unknown user: "alice"), reported by mx.herald.test' });
    expect((await dovecot.messages(SENDER, 'Herald/Processed')).map((m) => m.subject)).toEqual(['Undelivered Mail Returned to Sender']);

    const second = await publish();
    await eventually(async () => expect((await of(second, 'alice'))?.status).toBe('CANCELLED'));
    await eventually(async () => expect((await of(second, 'bob'))?.status).toBe('SENT'));
    await eventually(async () => expect(remote.received.map((m) => m.to[0])).toEqual(['bob@remote.test', 'bob@remote.test']));
    // Postfix was handed alice's first mail only.
    expect(postfix.log().match(/to=<alice@herald.test>.*status=bounced/g)).toHaveLength(1);
  });
});
