import { generateKeyPairSync } from 'node:crypto';
import { Role } from '../src/auth/role.enum';
import { capturingOutput } from './support/captured-output';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { OAuth2TokenEndpoint } from './support/oauth2-token-endpoint';
import { eventually, seedApplication } from './support/people';
import { scrape } from './support/prometheus-text';
import { SmtpSink, TLS_FIXTURES } from './support/smtp-sink';

/**
 * Microsoft 365 and Google relays with OAuth2: a local token endpoint (the one
 * fake: it issues expiring bearer tokens and checks each grant) and a real SMTP
 * server that accepts only XOAUTH2 with the tokens that endpoint issued.
 */
const RESULT = 'ok failedStep steps { step status message responseCode response }';
const VERIFY = `mutation($input: UpdateSmtpSettingsInput) { verifySmtpSettings(input: $input) { ${RESULT} } }`;
const SEND = `mutation($to: String!) { sendTestEmail(input: { to: $to }) { ${RESULT} } }`;
const UPDATE = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { authMethod } }';
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const DELIVERIES = 'query($id: ID!) { event(id: $id) { deliveries { status attempts lastError } } }';

const MAILBOX = 'alerts@example.com';
const CLIENT_SECRET = 'Qx8~entra-client-secret';
const REFRESH_TOKEN = '1//refresh-token-for-herald';
const serviceAccount = generateKeyPairSync('rsa', { modulusLength: 2048 });
const SERVICE_ACCOUNT_KEY = JSON.stringify({
  type: 'service_account',
  client_email: 'herald@project.iam.gserviceaccount.com',
  private_key: serviceAccount.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
});
const MANAGERS = Array.from({ length: 6 }, (_, i) => ({ id: `oauth-manager-${i}` }));

let seq = 0;
const failedJob = () => ({
  schemaVersion: 1,
  id: `oauth2-${process.pid}-${++seq}`,
  type: 'JOB_FAILED',
  occurredAt: '2026-11-24T09:42:30Z',
  application: { id: 'app-oauth', name: 'Billing' },
  job: { id: `job-${seq}`, kind: 'analysis' },
  error: { message: 'Out of memory' },
});

describe(`OAuth2 relays (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let endpoint: OAuth2TokenEndpoint;
  let relay: SmtpSink;
  const relaySettings = () => ({ host: '127.0.0.1', port: relay.port, security: 'NONE', sender: `Console <${MAILBOX}>`, username: MAILBOX });
  const clientCredentials = (extra: Record<string, unknown> = {}) => ({
    ...relaySettings(),
    authMethod: 'OAUTH2_CLIENT_CREDENTIALS',
    oauth2TokenUrl: endpoint.url,
    oauth2ClientId: 'herald-app',
    oauth2ClientSecret: CLIENT_SECRET,
    ...extra,
  });
  const publish = async () => {
    const event = failedJob();
    const res = await app.gql(PUBLISH, { input: event }, app.token(Role.SERVICE, 'console'));
    expect(res.errors).toBeUndefined();
    return event.id;
  };

  beforeAll(async () => {
    endpoint = await new OAuth2TokenEndpoint().start();
    endpoint
      .addClient('herald-app', { secret: CLIENT_SECRET })
      .addClient('herald-cert-app', { certificatePem: TLS_FIXTURES.cert })
      .addServiceAccount('herald@project.iam.gserviceaccount.com', serviceAccount.publicKey.export({ type: 'spki', format: 'pem' }).toString())
      .addRefreshToken(REFRESH_TOKEN, 'herald-app');
    relay = await new SmtpSink({ xoauth2: (user, token) => endpoint.isValid(token, user), auth: { user: MAILBOX, pass: 'old-password' } }).start();
    app = await HeraldTestApp.start({ SMTP_CHECK_RATE_LIMIT: '1000', DISPATCH_SWEEP_INTERVAL_MS: '100', LOG_LEVEL: 'verbose' });
    await seedApplication(app, { id: 'app-oauth', name: 'Billing' }, MANAGERS);
  });
  afterAll(async () => {
    await app.close();
    await relay.stop();
    await endpoint.stop();
  });

  it('verify: TOKEN, then AUTH with XOAUTH2, for each of the three grants', async () => {
    const grants = {
      'client secret': clientCredentials(),
      certificate: clientCredentials({ oauth2ClientId: 'herald-cert-app', oauth2ClientSecret: '', oauth2Certificate: TLS_FIXTURES.cert, oauth2PrivateKey: TLS_FIXTURES.key }),
      'service account': { ...relaySettings(), authMethod: 'OAUTH2_SERVICE_ACCOUNT', oauth2TokenUrl: endpoint.url, oauth2ServiceAccountKey: SERVICE_ACCOUNT_KEY },
      'refresh token': { ...relaySettings(), authMethod: 'OAUTH2_REFRESH_TOKEN', oauth2TokenUrl: endpoint.url, oauth2ClientId: 'herald-app', oauth2ClientSecret: CLIENT_SECRET, oauth2RefreshToken: REFRESH_TOKEN },
    };
    for (const [grant, input] of Object.entries(grants)) {
      const { verifySmtpSettings } = await app.admin(VERIFY, { input });
      expect({ grant, ok: verifySmtpSettings.ok, steps: verifySmtpSettings.steps.map((s: { step: string; status: string }) => `${s.step} ${s.status}`) }).toEqual({
        grant,
        ok: true,
        steps: ['RESOLVE SKIPPED', 'CONNECT OK', 'GREETING OK', 'TLS SKIPPED', 'TOKEN OK', 'AUTH OK'],
      });
      const token = verifySmtpSettings.steps.find((s: { step: string }) => s.step === 'TOKEN');
      expect(token.message).toMatch(new RegExp(`access token from http://127.0.0.1:${endpoint.port}/oauth2/v2.0/token, valid until \\S+Z \\(60 min\\)`));
      expect(verifySmtpSettings.steps.at(-1).message).toBe(`authenticated as ${MAILBOX} with XOAUTH2`);
    }
    expect(relay.logins.filter((l) => l.method === 'XOAUTH2' && l.accepted)).toHaveLength(4);
  });

  it('verify: a wrong client secret fails at TOKEN with the endpoint\'s status and OAuth error, never the secret', async () => {
    const { result, log } = await capturingOutput(() => app.gql(VERIFY, { input: clientCredentials({ oauth2ClientSecret: 'wrong-secret-3f9' }) }, app.token(Role.ADMIN)));
    const check = result.data.verifySmtpSettings;
    expect(check).toMatchObject({ ok: false, failedStep: 'TOKEN' });
    expect(check.steps.at(-1).message).toMatch(/no access token from the token endpoint.*answered 401 invalid_client: AADSTS7000215/);
    for (const text of [JSON.stringify(result), log]) {
      expect(text).not.toContain('wrong-secret-3f9');
      expect(text).not.toContain(CLIENT_SECRET);
    }
  });

  it('verify: a relay that refuses passwords with 535 5.7.139 says to switch to OAuth2', async () => {
    const microsoft = await new SmtpSink({ refusePasswords: { code: 535, message: '5.7.139 Authentication unsuccessful, basic authentication is disabled.' } }).start();
    try {
      const { verifySmtpSettings } = await app.admin(VERIFY, { input: { ...relaySettings(), port: microsoft.port, authMethod: 'PASSWORD', password: 'p' } });
      expect(verifySmtpSettings).toMatchObject({ ok: false, failedStep: 'AUTH' });
      const auth = verifySmtpSettings.steps.at(-1);
      expect(auth).toMatchObject({ responseCode: 535, response: expect.stringContaining('5.7.139') });
      expect(auth.message).toMatch(/^this relay no longer accepts passwords: switch authMethod to OAuth2/);
    } finally {
      await microsoft.stop();
    }
  });

  it('sends with XOAUTH2, and switches live from a password to OAuth2 without a restart', async () => {
    await app.admin(UPDATE, { input: { ...relaySettings(), authMethod: 'PASSWORD', password: 'old-password' } });
    const before = relay.received.length;
    await app.admin(SEND, { to: 'admin@example.com' });
    await relay.waitFor(before + 1);
    expect(relay.received.at(-1)?.user).toBe(MAILBOX);
    expect(relay.logins.at(-1)).toEqual({ method: 'PLAIN', user: MAILBOX, accepted: true });

    await app.admin(UPDATE, { input: clientCredentials() });
    const { sendTestEmail } = await app.admin(SEND, { to: 'admin@example.com' });
    expect(sendTestEmail.ok).toBe(true);
    expect(relay.logins.at(-1)).toEqual({ method: 'XOAUTH2', user: MAILBOX, accepted: true });

    const id = await publish();
    await eventually(async () => expect(relay.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === id)).toHaveLength(MANAGERS.length));
  });

  it('a token that expires in the middle of a run: no mail fails, a new token is fetched', async () => {
    await app.admin(UPDATE, { input: clientCredentials() });
    const issued = endpoint.issuedCount();
    const refreshed = (await scrape(app.url))('herald_oauth2_token_requests_total', { result: 'ok' });
    const first = await publish();
    await eventually(async () => expect(relay.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === first)).toHaveLength(MANAGERS.length));
    endpoint.expireAll(); // the relay now refuses the token Herald holds
    // and its sessions end: Herald connects again, and must sign in with a new token. (The pool's
    // sessions would otherwise carry on signed in with the old one, as they do on a real relay.)
    relay.endSessions();
    const second = await publish();
    await eventually(async () => expect(relay.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === second)).toHaveLength(MANAGERS.length));
    // Every one sent on its first attempt (outcomes are recorded a moment after the relay's 250).
    await eventually(async () => {
      const { event } = await app.admin(DELIVERIES, { id: second });
      expect(event.deliveries.map((d: { status: string; attempts: number }) => `${d.status} ${d.attempts}`)).toEqual(MANAGERS.map(() => 'SENT 1'));
    });
    expect(endpoint.issuedCount()).toBeGreaterThan(issued);
    // /metrics counts the token requests of the live transport.
    expect((await scrape(app.url))('herald_oauth2_token_requests_total', { result: 'ok' })).toBeGreaterThan(refreshed);
  });

  it('a revoked refresh token: one renewal, then a clear failure at TOKEN naming invalid_grant', async () => {
    const revocable = 'refresh-token-to-revoke';
    endpoint.addRefreshToken(revocable, 'herald-app');
    const input = { ...relaySettings(), authMethod: 'OAUTH2_REFRESH_TOKEN', oauth2TokenUrl: endpoint.url, oauth2ClientId: 'herald-app', oauth2ClientSecret: CLIENT_SECRET, oauth2RefreshToken: revocable };
    expect((await app.admin(VERIFY, { input })).verifySmtpSettings.ok).toBe(true);
    endpoint.revokeRefreshToken(revocable);
    endpoint.revokeAll();
    const { verifySmtpSettings } = await app.admin(VERIFY, { input });
    expect(verifySmtpSettings).toMatchObject({ ok: false, failedStep: 'TOKEN' });
    expect(verifySmtpSettings.steps.at(-1).message).toMatch(/answered 400 invalid_grant: Token has been expired or revoked/);
  });
});
