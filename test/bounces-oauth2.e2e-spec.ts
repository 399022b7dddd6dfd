import { Role } from '../src/auth/role.enum';
import { reportAbout } from './support/bounce-reports';
import { DOVECOT_AVAILABLE, Dovecot, NEEDS_DOVECOT } from './support/dovecot';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { OAuth2TokenEndpoint } from './support/oauth2-token-endpoint';
import { eventually, seedApplication } from './support/people';
import { describeIf } from './support/skipped-suites';
import { SmtpSink } from './support/smtp-sink';

/**
 * Microsoft 365's way, on loopback: the relay and the report mailbox both take
 * XOAUTH2 tokens of one app registration (client credentials). Herald's token
 * source gets them from a local token endpoint; Dovecot checks each one there
 * (its oauth2 passdb, RFC 7662 introspection) as Exchange Online checks Entra's.
 * A token the server no longer takes is LOGIN_REFUSED, and the next look asks for a
 * new one.
 */
const MAILBOX = 'alerts@contoso.test';
const CLIENT_SECRET = 'client-secret-of-the-bounce-tests';
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId } }';
const STATUS = '{ relayStatus { reportMailbox { state lastError } } }';

describeIf(DOVECOT_AVAILABLE, NEEDS_DOVECOT)(`the report mailbox with OAuth2 (${DATABASE_KIND})`, () => {
  let endpoint: OAuth2TokenEndpoint;
  let relay: SmtpSink;
  let dovecot: Dovecot;
  let app: HeraldTestApp;

  beforeAll(async () => {
    endpoint = await new OAuth2TokenEndpoint().start();
    endpoint.addClient('herald-app', { secret: CLIENT_SECRET });
    endpoint.appMailbox = MAILBOX;
    relay = await new SmtpSink({ xoauth2: (user, token) => endpoint.isValid(token, user) }).start();
    // The mailbox's password is of no use to Herald: it signs in with tokens only.
    dovecot = await Dovecot.start({ [MAILBOX]: 'a-password-herald-does-not-have' }, { oauth2IntrospectionUrl: endpoint.introspectionUrl });
    app = await HeraldTestApp.start({ DISPATCH_SWEEP_INTERVAL_MS: '100', SETTINGS_REFRESH_INTERVAL_MS: '200' });
    await app.admin('mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { authMethod } }', {
      input: {
        host: '127.0.0.1', port: relay.port, security: 'NONE', sender: `Console <${MAILBOX}>`, username: MAILBOX,
        authMethod: 'OAUTH2_CLIENT_CREDENTIALS', oauth2TokenUrl: endpoint.url, oauth2ClientId: 'herald-app', oauth2ClientSecret: CLIENT_SECRET,
      },
    });
    await seedApplication(app, { id: 'billing', name: 'Billing' }, [{ id: 'alice' }]);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await dovecot?.close();
    await relay?.stop();
    await endpoint?.stop();
  });

  it("takes OAUTH2 without a password or a username: the relay's OAuth2 client, the relay's mailbox", async () => {
    const { updateReportMailboxSettings } = await app.admin(
      'mutation($input: UpdateReportMailboxSettingsInput!) { updateReportMailboxSettings(input: $input) { protocol authMethod username passwordSet } }',
      { input: { protocol: 'IMAP', host: '127.0.0.1', port: dovecot.port, security: 'NONE', authMethod: 'OAUTH2', pollIntervalSeconds: 3600 } },
    );
    expect(updateReportMailboxSettings).toEqual({ protocol: 'IMAP', authMethod: 'OAUTH2', username: null, passwordSet: false });
  });

  it('reads the mailbox with XOAUTH2 tokens of the relay\'s client, and records what it finds', async () => {
    await app.admin('mutation($input: UpdateReportMailboxSettingsInput!) { updateReportMailboxSettings(input: $input) { protocol } }', { input: { pollIntervalSeconds: 1 } });
    await eventually(async () => expect((await app.admin(STATUS)).relayStatus.reportMailbox).toEqual({ state: 'OK', lastError: null }));
    expect(endpoint.introspections.some((i) => i.active)).toBe(true);

    const eventId = `oauth2-bounce-${process.pid}`;
    const res = await app.gql(
      PUBLISH,
      {
        input: {
          schemaVersion: 1, id: eventId, type: 'JOB_FAILED', occurredAt: '2026-11-24T09:10:00Z', application: { id: 'billing', name: 'Billing' },
          job: { id: 'job-1', kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:10:00Z' }, error: { message: 'Out of memory' },
        },
      },
      app.token(Role.SERVICE, 'console'),
    );
    expect(res.errors).toBeUndefined();
    const mail = await eventually(async () => {
      const got = relay.received.find((m) => m.parsed.headers.get('x-herald-event-id') === eventId);
      expect(got).toBeDefined();
      return got!;
    });
    await dovecot.append(MAILBOX, reportAbout('exchange-online-unknown-recipient.eml', mail.parsed.messageId!, 'alice@example.com'));
    await eventually(async () => {
      const { deliveries } = await app.admin('{ deliveries { edges { node { status bounce { status } } } } }');
      expect(deliveries.edges[0].node).toEqual({ status: 'BOUNCED', bounce: { status: '5.1.10' } });
    });
  });

  it('a token the server no longer takes: LOGIN_REFUSED, then a new token and the mailbox read again', async () => {
    const requested = endpoint.issuedCount();
    endpoint.revokeAll(); // an admin revoked the app's tokens
    await eventually(async () =>
      expect((await app.admin(STATUS)).relayStatus.reportMailbox).toEqual({ state: 'LOGIN_REFUSED', lastError: expect.stringContaining(`refused the login of ${MAILBOX}`) }),
    );
    // The next look asks for a new token, which the server takes (lastError keeps the last failure).
    await eventually(async () => expect((await app.admin(STATUS)).relayStatus.reportMailbox.state).toBe('OK'), 30_000);
    expect(endpoint.issuedCount()).toBeGreaterThan(requested);
  });
});
