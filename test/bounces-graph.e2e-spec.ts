import { Role } from '../src/auth/role.enum';
import { reportAbout } from './support/bounce-reports';
import { GraphMailbox } from './support/graph-mailbox';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { OAuth2TokenEndpoint } from './support/oauth2-token-endpoint';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

/**
 * The report mailbox through Microsoft Graph. No tenant is at hand, so Graph is a
 * local server answering the calls Microsoft documents (test/support/graph-mailbox.ts)
 * and taking only the tokens the local token endpoint issued; Herald gets them with
 * the relay's client credentials for Graph's own scope. What Herald does with each
 * mail is the same as over IMAP (test/bounces.e2e-spec.ts); here, that the Graph
 * reader lists, reads, moves, creates its folders, and reports a refused token.
 */
const MAILBOX = 'alerts@contoso.test';
const CLIENT_SECRET = 'client-secret-of-the-graph-tests';
const SETTINGS = 'mutation($input: UpdateReportMailboxSettingsInput!) { updateReportMailboxSettings(input: $input) { protocol authMethod graphUrl } }';
const STATUS = '{ relayStatus { reportMailbox { state lastError lastSetAside { reason } } } }';

describe(`the report mailbox through Microsoft Graph (${DATABASE_KIND})`, () => {
  let endpoint: OAuth2TokenEndpoint;
  let relay: SmtpSink;
  let graph: GraphMailbox;
  let app: HeraldTestApp;
  let seq = 0;

  /** Publishes an event (its three managers are mailed); answers the Message-ID of `person`'s mail. */
  async function mail(person: string): Promise<string> {
    const eventId = `graph-bounce-${process.pid}-${++seq}`;
    const res = await app.gql(
      'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId } }',
      {
        input: {
          schemaVersion: 1, id: eventId, type: 'JOB_FAILED', occurredAt: '2026-11-24T09:10:00Z', application: { id: 'billing', name: 'Billing' },
          job: { id: `job-${seq}`, kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:10:00Z' }, error: { message: 'Out of memory' },
        },
      },
      app.token(Role.SERVICE, 'console'),
    );
    expect(res.errors).toBeUndefined();
    const sent = await eventually(async () => {
      const got = relay.received.find((m) => m.parsed.headers.get('x-herald-event-id') === eventId && m.to[0] === `${person}@example.com`);
      expect(got).toBeDefined();
      return got!;
    });
    return sent.parsed.messageId!;
  }
  const status = async () => (await app.admin(STATUS)).relayStatus.reportMailbox;
  const statuses = async () => (await app.admin('{ deliveries { edges { node { messageId status bounce { status } } } } }')).deliveries.edges.map((e: any) => e.node);

  beforeAll(async () => {
    endpoint = await new OAuth2TokenEndpoint().start();
    endpoint.addClient('herald-app', { secret: CLIENT_SECRET });
    relay = await new SmtpSink({ xoauth2: (user, token) => endpoint.isValid(token, user) }).start();
    graph = await new GraphMailbox(MAILBOX, (token) => endpoint.isValid(token)).start();
    app = await HeraldTestApp.start({ DISPATCH_SWEEP_INTERVAL_MS: '100', SETTINGS_REFRESH_INTERVAL_MS: '200' });
    await app.admin('mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { authMethod } }', {
      input: {
        host: '127.0.0.1', port: relay.port, security: 'NONE', sender: `Console <${MAILBOX}>`, username: MAILBOX,
        authMethod: 'OAUTH2_CLIENT_CREDENTIALS', oauth2TokenUrl: endpoint.url, oauth2ClientId: 'herald-app', oauth2ClientSecret: CLIENT_SECRET,
        graphEndpoint: graph.url, // Graph's root, as the Graph transport has it: the reader follows it
      },
    });
    await seedApplication(app, { id: 'billing', name: 'Billing' }, [{ id: 'alice' }, { id: 'bob' }, { id: 'carol' }]);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await graph?.stop();
    await relay?.stop();
    await endpoint?.stop();
  });

  it('GRAPH takes OAuth2 only', async () => {
    const res = await app.gql(SETTINGS, { input: { protocol: 'GRAPH', authMethod: 'PASSWORD', password: 'x' } }, app.token(Role.ADMIN, 'admin'));
    expect(res.errors?.[0].extensions.fields).toEqual([{ field: 'authMethod', message: "must be OAUTH2 with GRAPH: Microsoft Graph takes the relay's OAuth2 client's tokens only" }]);
  });

  it("reads the inbox, records the bounces, moves them to Herald/Processed (created), sets an unreadable one aside, leaves a person's mail", async () => {
    const first = await mail('alice');
    const second = await mail('bob');
    graph.deliver(reportAbout('exchange-online-unknown-recipient.eml', first, 'alice@example.com'));
    graph.deliver(reportAbout('not-a-report.eml', first));
    graph.deliver(reportAbout('postfix-expired-soft.eml', second, 'bob@example.com'));
    graph.deliver(reportAbout('malformed-truncated.eml', second));
    expect(await app.admin(SETTINGS, { input: { protocol: 'GRAPH', authMethod: 'OAUTH2', pollIntervalSeconds: 1 } })).toEqual({
      updateReportMailboxSettings: { protocol: 'GRAPH', authMethod: 'OAUTH2', graphUrl: null }, // the mail settings' graphEndpoint
    });
    await eventually(async () => {
      const deliveries = await statuses();
      expect(deliveries.find((d: any) => d.messageId === first)).toEqual({ messageId: first, status: 'BOUNCED', bounce: { status: '5.1.10' } });
      expect(deliveries.find((d: any) => d.messageId === second)).toEqual({ messageId: second, status: 'BOUNCED', bounce: { status: '4.4.1' } });
    });
    await eventually(async () => {
      expect(graph.inFolder('Herald/Processed')).toHaveLength(2);
      expect(graph.inFolder('Herald/Unreadable')).toHaveLength(1);
    });
    expect(graph.inFolder('Inbox').map((raw) => /^Subject: (.*)$/m.exec(raw.toString())?.[1])).toEqual(['Re: [billing] nightly-analysis failed']);
    expect(await status()).toMatchObject({ state: 'OK', lastSetAside: { reason: 'its message/delivery-status part has a recipient without an Action or a Status (truncated?)' } });
    // Tokens for Graph's own scope, from the relay's client.
    expect(endpoint.requests).toContainEqual({ grantType: 'client_credentials', clientId: 'herald-app', subject: '*', scope: `${graph.url}/.default` });
    expect(graph.calls).toContain(`POST /v1.0/users/${encodeURIComponent(MAILBOX)}/mailFolders/msgfolderroot/childFolders`);
  });

  it('a refused token is LOGIN_REFUSED; the next look asks for a new one', async () => {
    graph.refuseTokensSeen();
    await eventually(async () => expect(await status()).toMatchObject({ state: 'LOGIN_REFUSED', lastError: expect.stringContaining('HTTP 401 InvalidAuthenticationToken') }));
    await eventually(async () => expect((await status()).state).toBe('OK'), 30_000);
  });

  it('an app with Mail.Read only reads but cannot move: the mailbox is reported, and nothing is recorded twice', async () => {
    graph.readOnly = true;
    const third = await mail('carol');
    graph.deliver(reportAbout('gmail-address-not-found.eml', third, 'carol@example.com'));
    await eventually(async () => expect(await status()).toMatchObject({ state: 'LOGIN_REFUSED', lastError: expect.stringContaining('HTTP 403 ErrorAccessDenied') }));
    expect((await statuses()).find((d: any) => d.messageId === third).status).toBe('BOUNCED');
    graph.readOnly = false; // Mail.ReadWrite granted: the report it recorded is moved, not read again
    // OK is written only at the end of a look that handled every report, the move of the one
    // recorded included (with Mail.Read only, every look fails on it); the moved report shows first.
    await eventually(async () => expect((await status()).state).toBe('OK'));
    expect(graph.inFolder('Herald/Processed')).toHaveLength(3);
    expect(graph.inFolder('Inbox')).toHaveLength(1);
  });
});
