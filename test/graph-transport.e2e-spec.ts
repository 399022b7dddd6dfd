import { Role } from '../src/auth/role.enum';
import { capturingOutput } from './support/captured-output';
import { FakeGraph } from './support/fake-graph';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { OAuth2TokenEndpoint } from './support/oauth2-token-endpoint';
import { eventually, seedApplication } from './support/people';
import { people } from './support/relay-suite';
import { SmtpSink, TLS_FIXTURES } from './support/smtp-sink';

/**
 * Mail through Microsoft Graph (`POST /v1.0/users/{sender}/sendMail`, Herald's own
 * MIME in base64) instead of SMTP: a local token endpoint issues the app's tokens,
 * a local HTTP server plays Graph (checks the bearer token and its scope, decodes
 * the MIME, answers 202, or 400, 403, 429 with Retry-After, 503 as the test says).
 */
const RESULT = 'ok failedStep messageId steps { step status message responseCode response }';
const VERIFY = `mutation($input: UpdateSmtpSettingsInput) { verifySmtpSettings(input: $input) { ${RESULT} } }`;
const SEND_TEST = `mutation($to: String!) { sendTestEmail(input: { to: $to }) { ${RESULT} } }`;
const UPDATE = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { transport graphEndpoint configured oauth2ClientSecretSet } }';
const SETTINGS = '{ smtpSettings { transport graphEndpoint configured host sender } }';
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { deliveries } }';
const EVENT = 'query($id: ID!) { event(id: $id) { deliveries { recipientEmail status attempts lastReply lastError messageId } } }';
const STATUS = 'query { relayStatus { state lastFailure { step reply description } pacedUntil } }';

const MAILBOX = 'alerts@contoso.example';
const CLIENT_SECRET = 'Gx7~graph-client-secret-value';
const FAST = {
  SMTP_CHECK_RATE_LIMIT: '1000',
  DISPATCH_SWEEP_INTERVAL_MS: '100',
  DISPATCH_BACKOFF_BASE_MS: '50',
  DISPATCH_BACKOFF_MAX_MS: '100',
  RELAY_PROBE_MIN_MS: '300',
  RELAY_PROBE_MAX_MS: '600',
  MAIL_CAP_COUNT: '0',
  HERALD_PUBLIC_URL: 'https://herald.example.com',
  LOG_LEVEL: 'verbose',
};

interface Delivery {
  recipientEmail: string;
  status: string;
  attempts: number;
  lastReply: string | null;
  lastError: string | null;
  messageId: string | null;
}

let seq = 0;

describe(`the Microsoft Graph transport (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let endpoint: OAuth2TokenEndpoint;
  let graph: FakeGraph;
  let relay: SmtpSink;
  const graphSettings = (extra: Record<string, unknown> = {}) => ({
    transport: 'MICROSOFT_GRAPH',
    graphEndpoint: graph.url,
    sender: `Console <${MAILBOX}>`,
    authMethod: 'OAUTH2_CLIENT_CREDENTIALS',
    oauth2TokenUrl: endpoint.url,
    oauth2ClientId: 'herald-graph',
    oauth2ClientSecret: CLIENT_SECRET,
    ...extra,
  });
  const publish = async (applicationId: string) => {
    const id = `graph-${process.pid}-${++seq}`;
    const input = { schemaVersion: 1, id, type: 'VERSION_CREATED', occurredAt: '2026-12-01T09:00:00Z', application: { id: applicationId, name: 'Billing' }, version: { name: `v${seq}` } };
    const res = await app.gql(PUBLISH, { input }, app.token(Role.SERVICE, 'console'));
    expect(res.errors).toBeUndefined();
    return id;
  };
  const deliveriesOf = async (id: string): Promise<Delivery[]> => (await app.admin(EVENT, { id })).event.deliveries;
  const receivedFor = (id: string) => graph.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === id);

  beforeAll(async () => {
    endpoint = await new OAuth2TokenEndpoint().start();
    endpoint.addClient('herald-graph', { secret: CLIENT_SECRET }).addClient('herald-graph-cert', { certificatePem: TLS_FIXTURES.cert });
    graph = await new FakeGraph((token, scope) => endpoint.isValidFor(token, scope)).start();
    graph.addMailbox(MAILBOX);
    relay = await new SmtpSink().start();
    app = await HeraldTestApp.start(FAST);
    await seedApplication(app, { id: 'app-graph', name: 'Billing' }, people('graph-manager', 3));
    await seedApplication(app, { id: 'app-graph-one', name: 'Billing' }, people('graph-solo', 1));
    await seedApplication(app, { id: 'app-graph-many', name: 'Billing' }, people('graph-crowd', 12));
  });
  afterAll(async () => {
    await app?.close();
    await relay?.stop();
    await graph?.stop();
    await endpoint?.stop();
  });
  afterEach(() => {
    graph.denySend = false;
    graph.holdMs = 0;
    graph.invalidRecipients.clear();
    graph.queued.length = 0;
  });

  it('updateSmtpSettings switches to Microsoft Graph; smtpSettings shows the transport and its endpoint; bad input names the field and changes nothing', async () => {
    expect((await app.admin(SETTINGS)).smtpSettings).toMatchObject({ transport: 'SMTP', graphEndpoint: 'https://graph.microsoft.com', configured: false });
    const bad = await app.gql(UPDATE, { input: graphSettings({ authMethod: 'PASSWORD', username: MAILBOX, password: 'p' }) }, app.token(Role.ADMIN, 'admin'));
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'authMethod', message: expect.stringContaining('OAUTH2_CLIENT_CREDENTIALS') }] });
    const badUrl = await app.gql(UPDATE, { input: graphSettings({ graphEndpoint: 'ftp://graph.example' }) }, app.token(Role.ADMIN, 'admin'));
    expect(badUrl.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'graphEndpoint' }] });
    const noClient = await app.gql(UPDATE, { input: graphSettings({ oauth2ClientId: null }) }, app.token(Role.ADMIN, 'admin'));
    expect(noClient.errors?.[0].extensions.fields).toEqual([expect.objectContaining({ field: 'oauth2ClientId' })]);
    expect((await app.admin(SETTINGS)).smtpSettings).toMatchObject({ transport: 'SMTP', configured: false });

    const { updateSmtpSettings } = await app.admin(UPDATE, { input: graphSettings() });
    expect(updateSmtpSettings).toEqual({ transport: 'MICROSOFT_GRAPH', graphEndpoint: graph.url, configured: true, oauth2ClientSecretSet: true });
    expect((await app.admin(SETTINGS)).smtpSettings).toMatchObject({ transport: 'MICROSOFT_GRAPH', host: null, sender: `Console <${MAILBOX}>`, configured: true });
  });

  it("sends each mail as Herald's own MIME to sendMail, with the app's token for Graph; every header reaches Graph unchanged", async () => {
    await app.admin(UPDATE, { input: graphSettings() });
    const id = await publish('app-graph');
    await eventually(async () => expect(receivedFor(id)).toHaveLength(3));
    const deliveries = await eventually(async () => {
      const all = await deliveriesOf(id);
      expect(all.map((d) => `${d.status} ${d.attempts} ${d.lastReply}`)).toEqual(['SENT 1 202 Accepted', 'SENT 1 202 Accepted', 'SENT 1 202 Accepted']);
      return all;
    });
    for (const mail of receivedFor(id)) {
      expect(mail.mailbox).toBe(MAILBOX);
      const to = mail.parsed.to && !Array.isArray(mail.parsed.to) ? mail.parsed.to.value[0].address : undefined;
      const delivery = deliveries.find((d) => d.recipientEmail === to)!;
      expect(mail.parsed.messageId).toBe(delivery.messageId);
      expect(mail.raw).toContain(`Message-ID: ${delivery.messageId}`);
      expect(mail.raw).toMatch(/^List-Unsubscribe:\s*<https:\/\/herald\.example\.com\/unsubscribe\?t=[\w.-]+>\r$/m);
      expect(mail.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
      expect(mail.raw).toMatch(/^From: Console <alerts@contoso\.example>\r$/m);
    }
    // The token came from the configured endpoint, for Graph's scope.
    expect(endpoint.requests.filter((r) => r.clientId === 'herald-graph').at(-1)).toMatchObject({ grantType: 'client_credentials', scope: `${graph.url}/.default` });
  });

  it("a recipient Graph refuses (400 ErrorInvalidRecipients): that delivery FAILED with Graph's message, the others sent", async () => {
    await app.admin(UPDATE, { input: graphSettings() });
    graph.invalidRecipients.add('graph-manager-1@example.com');
    const id = await publish('app-graph');
    await eventually(async () => {
      const byAddress = Object.fromEntries((await deliveriesOf(id)).map((d) => [d.recipientEmail, d]));
      expect(byAddress['graph-manager-0@example.com']).toMatchObject({ status: 'SENT', attempts: 1 });
      expect(byAddress['graph-manager-2@example.com']).toMatchObject({ status: 'SENT', attempts: 1 });
      expect(byAddress['graph-manager-1@example.com']).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        lastReply: expect.stringContaining("400 ErrorInvalidRecipients: At least one recipient isn't valid., Recipient 'graph-manager-1@example.com' isn't resolved"),
      });
    });
  });

  it('403 (the app may not send as the mailbox): the transport is DOWN with a remedy naming Mail.Send, mails wait without spending attempts, then go', async () => {
    await app.admin(UPDATE, { input: graphSettings() });
    graph.denySend = true;
    const id = await publish('app-graph');
    await eventually(async () => {
      for (const d of await deliveriesOf(id)) expect(d).toMatchObject({ status: 'WAITING', attempts: 0, lastError: expect.stringMatching(/403 ErrorAccessDenied/) });
    });
    const { relayStatus } = await eventually(async () => {
      const status = await app.admin(STATUS);
      expect(status.relayStatus.state).toBe('DOWN');
      return status;
    });
    expect(relayStatus.lastFailure).toMatchObject({ step: 'MAILBOX', reply: expect.stringMatching(/^403 ErrorAccessDenied: Access is denied/) });
    expect(relayStatus.lastFailure.description).toMatch(/Mail\.Send application permission/);
    expect(relayStatus.lastFailure.description).toMatch(new RegExp(`application access policy.*${MAILBOX.replace('.', '\\.')}`));
    // Longer than the retry schedule: still nothing spent.
    await new Promise((r) => setTimeout(r, 800));
    for (const d of await deliveriesOf(id)) expect(d).toMatchObject({ status: 'WAITING', attempts: 0 });

    graph.denySend = false; // the admin grants Mail.Send
    await eventually(async () => {
      for (const d of await deliveriesOf(id)) expect(d).toMatchObject({ status: 'SENT', attempts: 1 });
    });
    expect(receivedFor(id)).toHaveLength(3);
    await eventually(async () => expect((await app.admin(STATUS)).relayStatus.state).toBe('OK'));
  });

  it('429 with Retry-After: every mail waits that long, no attempt spent, then it is sent', async () => {
    await app.admin(UPDATE, { input: graphSettings() });
    graph.queued.push({ status: 429, code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.', retryAfter: 2 });
    const id = await publish('app-graph-one');
    const paced = await eventually(async () => {
      const [d] = await deliveriesOf(id);
      expect(d).toMatchObject({ status: 'WAITING', attempts: 0, lastError: expect.stringMatching(/^paced: .*429 ApplicationThrottled: Application is over its MailboxConcurrency limit/) });
      const { relayStatus } = await app.admin(STATUS);
      expect(relayStatus.state).toBe('DEGRADED');
      return relayStatus;
    });
    const throttledAt = graph.sendRequests.filter((r) => r.status === 429).at(-1)!.at;
    expect(new Date(paced.pacedUntil).getTime() - throttledAt).toBeGreaterThanOrEqual(1_500);
    await eventually(async () => expect((await deliveriesOf(id))[0]).toMatchObject({ status: 'SENT', attempts: 1 }));
    const sentAt = graph.sendRequests.filter((r) => r.status === 202).at(-1)!.at;
    expect(sentAt - throttledAt).toBeGreaterThanOrEqual(1_900);
    // The 429 halved the pace every sender keeps (test/relay-pacing.e2e-spec.ts); new settings end it, for the tests below.
    expect((await app.admin('{ relayStatus { pacedRate } }')).relayStatus.pacedRate).toBeGreaterThan(0);
    await app.admin(UPDATE, { input: graphSettings({ quotaMessagesPerMinute: 1000 }) });
    await app.admin(UPDATE, { input: graphSettings({ quotaMessagesPerMinute: null }) });
    await eventually(async () => expect((await app.admin('{ relayStatus { pacedRate } }')).relayStatus.pacedRate).toBeNull());
  });

  it('503 (Graph unavailable): transient, tried again without spending an attempt, then sent', async () => {
    await app.admin(UPDATE, { input: graphSettings() });
    const before = graph.sendRequests.length;
    graph.queued.push({ status: 503, code: 'ServiceUnavailable', message: 'Service Unavailable' }, { status: 503, code: 'ServiceUnavailable', message: 'Service Unavailable' });
    const id = await publish('app-graph-one');
    await eventually(async () => expect((await deliveriesOf(id))[0]).toMatchObject({ status: 'SENT', attempts: 1, lastReply: '202 Accepted' }));
    expect(graph.sendRequests.slice(before).map((r) => r.status)).toEqual([503, 503, 202]);
  });

  it('never more than 4 requests at once for the mailbox (Graph’s limit), though the dispatcher sends 20 at a time', async () => {
    await app.admin(UPDATE, { input: graphSettings() });
    graph.holdMs = 300;
    graph.maxInFlight = 0;
    const id = await publish('app-graph-many');
    await eventually(async () => expect(receivedFor(id)).toHaveLength(12), 30_000);
    expect(graph.maxInFlight).toBeLessThanOrEqual(4);
    expect(graph.maxInFlight).toBeGreaterThan(1);
  });

  it('verifySmtpSettings: TOKEN, MAILBOX, SEND (no mail sent), with a secret or a certificate; a wrong mailbox fails at MAILBOX, a wrong secret at TOKEN', async () => {
    const sent = graph.sendRequests.length;
    const { verifySmtpSettings } = await app.admin(VERIFY, { input: graphSettings() });
    expect(verifySmtpSettings.steps.map((s: { step: string; status: string }) => `${s.step} ${s.status}`)).toEqual(['TOKEN OK', 'MAILBOX OK', 'SEND SKIPPED']);
    expect(verifySmtpSettings.ok).toBe(true);
    expect(verifySmtpSettings.steps[0].message).toMatch(new RegExp(`access token from http://127.0.0.1:${endpoint.port}/oauth2/v2.0/token for ${graph.url}/.default, valid until \\S+Z`));
    expect(verifySmtpSettings.steps[1].message).toContain(MAILBOX);
    expect(graph.sendRequests.length).toBe(sent);

    const certificate = graphSettings({ oauth2ClientId: 'herald-graph-cert', oauth2ClientSecret: '', oauth2Certificate: TLS_FIXTURES.cert, oauth2PrivateKey: TLS_FIXTURES.key });
    const withCertificate = (await app.admin(VERIFY, { input: certificate })).verifySmtpSettings;
    expect(withCertificate.steps.map((s: { step: string; status: string }) => `${s.step} ${s.status}`)).toEqual(['TOKEN OK', 'MAILBOX OK', 'SEND SKIPPED']);

    const unknown = (await app.admin(VERIFY, { input: graphSettings({ sender: 'nobody@contoso.example' }) })).verifySmtpSettings;
    expect(unknown).toMatchObject({ ok: false, failedStep: 'MAILBOX' });
    expect(unknown.steps.at(-1)).toMatchObject({ responseCode: 404, response: expect.stringContaining('Request_ResourceNotFound') });
    expect(unknown.steps.at(-1).message).toContain('nobody@contoso.example');

    const wrong = await app.gql(VERIFY, { input: graphSettings({ oauth2ClientSecret: 'wrong-graph-secret-1' }) }, app.token(Role.ADMIN, 'admin'));
    expect(wrong.data.verifySmtpSettings).toMatchObject({ ok: false, failedStep: 'TOKEN' });
    expect(wrong.data.verifySmtpSettings.steps.at(-1).message).toMatch(/answered 401 invalid_client: AADSTS7000215/);
    expect(JSON.stringify(wrong)).not.toContain('wrong-graph-secret-1');
  });

  it('sendTestEmail goes through Graph and answers its steps', async () => {
    await app.admin(UPDATE, { input: graphSettings() });
    const { sendTestEmail } = await app.admin(SEND_TEST, { to: 'admin@example.com' });
    expect(sendTestEmail.steps.map((s: { step: string; status: string }) => `${s.step} ${s.status}`)).toEqual(['TOKEN OK', 'SEND OK']);
    expect(sendTestEmail).toMatchObject({ ok: true, messageId: expect.stringMatching(/^<.+>$/) });
    expect(sendTestEmail.steps[1]).toMatchObject({ responseCode: 202, response: '202 Accepted' });
    const mail = graph.received.at(-1)!;
    expect(mail.parsed.subject).toBe('Herald test message');
    expect(mail.parsed.messageId).toBe(sendTestEmail.messageId);
    expect(mail.parsed.text).toContain('Microsoft Graph');

    graph.denySend = true;
    const refused = (await app.admin(SEND_TEST, { to: 'admin@example.com' })).sendTestEmail;
    expect(refused).toMatchObject({ ok: false, failedStep: 'MAILBOX' });
    expect(refused.steps.at(-1)).toMatchObject({ status: 'FAILED', responseCode: 403 });
    expect(refused.steps.at(-1).message).toMatch(/Mail\.Send/);
  });

  it('switches live between SMTP and Graph with the settings, without a restart', async () => {
    await app.admin(UPDATE, { input: { transport: 'SMTP', host: '127.0.0.1', port: relay.port, security: 'NONE', authMethod: 'NONE' } });
    const bySmtp = await publish('app-graph-one');
    await relay.waitFor(1);
    expect(relay.received.at(-1)?.parsed.headers.get('x-herald-event-id')).toBe(bySmtp);
    expect(receivedFor(bySmtp)).toHaveLength(0);

    await app.admin(UPDATE, { input: graphSettings() });
    const byGraph = await publish('app-graph-one');
    await eventually(async () => expect(receivedFor(byGraph)).toHaveLength(1));
    expect(relay.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === byGraph)).toHaveLength(0);
  });

  it('the client secret and the access tokens never appear in a response or a log line', async () => {
    const { result, log } = await capturingOutput(async () => {
      const answers: unknown[] = [];
      answers.push(await app.gql(UPDATE, { input: graphSettings() }, app.token(Role.ADMIN, 'admin')));
      answers.push(await app.gql(SETTINGS, {}, app.token(Role.ADMIN, 'admin')));
      answers.push(await app.gql(VERIFY, { input: graphSettings() }, app.token(Role.ADMIN, 'admin')));
      answers.push(await app.gql(SEND_TEST, { to: 'admin@example.com' }, app.token(Role.ADMIN, 'admin')));
      graph.queued.push({ status: 401, code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' });
      graph.denySend = true;
      const id = await publish('app-graph-one');
      await eventually(async () => expect((await deliveriesOf(id))[0]).toMatchObject({ status: 'WAITING' }));
      graph.denySend = false;
      await eventually(async () => expect((await deliveriesOf(id))[0]).toMatchObject({ status: 'SENT' }));
      answers.push(await app.gql(EVENT, { id }, app.token(Role.ADMIN, 'admin')));
      answers.push(await app.gql(STATUS, {}, app.token(Role.ADMIN, 'admin')));
      return answers;
    });
    expect(log).toContain('Microsoft Graph'); // the logs did say what happened
    const tokens = [...new Set([...endpoint.issuedTokens(), ...graph.received.map((m) => m.token)])];
    expect(tokens.length).toBeGreaterThan(0);
    for (const text of [JSON.stringify(result), log]) {
      expect(text).not.toContain(CLIENT_SECRET);
      for (const token of tokens) expect(text).not.toContain(token);
    }
  });
});
