import request from 'supertest';
import { DataSource } from 'typeorm';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { FAST_RELAY, people, publishVersion, relayAt, UPDATE_SMTP } from './support/relay-suite';
import { capturingOutput } from './support/captured-output';
import { FakeGraph } from './support/fake-graph';
import { OAuth2TokenEndpoint } from './support/oauth2-token-endpoint';
import { closedPort, SmtpSink } from './support/smtp-sink';

const SETTINGS_FIELDS = 'transport host port sender username passwordSet authMethod oauth2ClientId oauth2ClientSecretSet gatewayUri configured updatedBy';
const UPDATE_STANDBY = `mutation($input: UpdateSmtpSettingsInput!) { updateStandbySmtpSettings(input: $input) { ${SETTINGS_FIELDS} } }`;
const STANDBY = `query { standbySmtpSettings { ${SETTINGS_FIELDS} } }`;
const CLEAR_STANDBY = `mutation { clearStandbySmtpSettings { ${SETTINGS_FIELDS} } }`;
const EVENT = 'query($id: ID!) { event(id: $id) { deliveries { recipientEmail status attempts messageId sentVia lastError } } }';
const ROLE_FIELDS = 'role transport name state lastFailure { step } lastSuccessAt';
const STATUS = `query { relayStatus { state deliveriesWaiting sendingThrough primary { ${ROLE_FIELDS} } standby { ${ROLE_FIELDS} } } }`;
const VERIFY = 'mutation($relay: RelayRole) { verifySmtpSettings(relay: $relay) { ok steps { step status } } }';
const SEND_TEST = 'mutation($input: SendTestEmailInput!) { sendTestEmail(input: $input) { ok steps { step status message } } }';
const AUDIT = 'query { auditLog(first: 10) { edges { node { kind target fields { field before after secret } } } } }';

interface Delivery {
  recipientEmail: string;
  status: string;
  attempts: number;
  messageId: string | null;
  sentVia: string | null;
  lastError: string | null;
}

const FAST = FAST_RELAY;
const publish = (app: HeraldTestApp, applicationId: string) => publishVersion(app, applicationId, 'standby');
const deliveriesOf = async (app: HeraldTestApp, id: string): Promise<Delivery[]> => (await app.admin(EVENT, { id })).event.deliveries;
const statusOf = async (app: HeraldTestApp) => (await app.admin(STATUS)).relayStatus;
const notifications = (sink: SmtpSink) => sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id'));

/**
 * The standby relay end to end, with real SMTP servers: while the primary is DOWN
 * every mail goes through the standby, each delivery saying which relay sent it;
 * once the primary's probe succeeds, mail takes the primary again. Without a
 * standby, nothing changes. Its settings are the primary's kind: validated, secrets
 * encrypted and never answered, audited.
 */
describe(`the standby relay (${DATABASE_KIND})`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const start = async (env: Record<string, string> = {}) => {
    const app = await HeraldTestApp.start({ ...FAST, ...env });
    cleanups.push(() => app.close());
    return app;
  };
  const sink = async (port = 0, options: ConstructorParameters<typeof SmtpSink>[0] = {}) => {
    const s = await new SmtpSink(options).start(port);
    cleanups.push(() => s.stop());
    return s;
  };

  it('the primary stopped mid-run and refusing connections: mail goes through the standby, each delivery says so; the primary back: its probe succeeds and the next mails take it; none lost, none twice', async () => {
    let primary = await sink();
    const primaryPort = primary.port;
    const standby = await sink();
    const app = await start();
    await app.admin(UPDATE_SMTP, { input: relayAt(primaryPort) });
    await app.admin(UPDATE_STANDBY, { input: relayAt(standby.port, { sender: 'standby@example.com' }) });
    await seedApplication(app, { id: 'app-failover', name: 'Billing' }, people('failover', 3));
    const sentBy = async (id: string, via: string) =>
      eventually(async () => {
        for (const d of await deliveriesOf(app, id)) expect(d).toMatchObject({ status: 'SENT', attempts: 1, sentVia: via });
      });

    const before = await publish(app, 'app-failover');
    await sentBy(before, `primary: 127.0.0.1:${primaryPort}`);
    expect(await statusOf(app)).toMatchObject({ state: 'OK', sendingThrough: 'PRIMARY', standby: { state: 'OK', name: `127.0.0.1:${standby.port}` } });

    // The primary goes away: its sessions are hung up and its port refuses connections.
    const firstPrimary = primary;
    firstPrimary.endSessions();
    await firstPrimary.stop();
    const during = await publish(app, 'app-failover');
    await sentBy(during, `standby: 127.0.0.1:${standby.port}`);
    expect(notifications(standby)).toHaveLength(3);
    expect(notifications(standby).map((m) => m.parsed.from?.text)).toEqual(Array(3).fill('standby@example.com'));
    expect(await statusOf(app)).toMatchObject({
      state: 'DOWN',
      sendingThrough: 'STANDBY',
      deliveriesWaiting: 0,
      primary: { role: 'PRIMARY', transport: 'SMTP', name: `127.0.0.1:${primaryPort}`, state: 'DOWN', lastFailure: { step: 'CONNECT' } },
      standby: { role: 'STANDBY', transport: 'SMTP', name: `127.0.0.1:${standby.port}`, state: 'OK', lastFailure: null },
    });

    // The primary comes back on its port: a probe closes its circuit, and mail takes it again.
    primary = await sink(primaryPort);
    await eventually(async () => expect(await statusOf(app)).toMatchObject({ state: 'OK', sendingThrough: 'PRIMARY', primary: { state: 'OK' } }));
    const after = await publish(app, 'app-failover');
    await sentBy(after, `primary: 127.0.0.1:${primaryPort}`);
    expect(notifications(primary)).toHaveLength(3);
    expect(notifications(standby)).toHaveLength(3);
    // Each mail once, on one relay or the other: no Message-ID twice, none missing.
    const received = [...notifications(firstPrimary), ...notifications(primary), ...notifications(standby)].map((m) => m.parsed.messageId);
    expect(received).toHaveLength(9);
    expect(new Set(received).size).toBe(9);
    const recorded = (await Promise.all([before, during, after].map((id) => deliveriesOf(app, id)))).flat().map((d) => d.messageId);
    expect(received.sort()).toEqual(recorded.sort());
  });

  it('a Microsoft Graph standby: while the SMTP primary is down, mail goes through Graph as the standby\'s mailbox; its client secret is never answered', async () => {
    const SECRET = 'Gx7~standby-graph-secret';
    const endpoint = await new OAuth2TokenEndpoint().start();
    cleanups.push(() => endpoint.stop());
    endpoint.addClient('herald-standby', { secret: SECRET });
    const graph = await new FakeGraph((token, scope) => endpoint.isValidFor(token, scope)).start();
    cleanups.push(() => graph.stop());
    graph.addMailbox('standby@contoso.example');
    const app = await start();
    await app.admin(UPDATE_SMTP, { input: relayAt(await closedPort()) });
    const graphStandby = {
      transport: 'MICROSOFT_GRAPH',
      graphEndpoint: graph.url,
      sender: 'Console <standby@contoso.example>',
      authMethod: 'OAUTH2_CLIENT_CREDENTIALS',
      oauth2TokenUrl: endpoint.url,
      oauth2ClientId: 'herald-standby',
      oauth2ClientSecret: SECRET,
    };
    const saved = await app.gql(UPDATE_STANDBY, { input: graphStandby }, app.token(Role.ADMIN));
    expect(saved.data.updateStandbySmtpSettings).toMatchObject({ transport: 'MICROSOFT_GRAPH', oauth2ClientSecretSet: true, configured: true });
    expect(JSON.stringify(saved)).not.toContain(SECRET);
    const verified = (await app.admin(VERIFY, { relay: 'STANDBY' })).verifySmtpSettings;
    expect(verified).toMatchObject({ ok: true, steps: expect.arrayContaining([{ step: 'TOKEN', status: 'OK' }, { step: 'MAILBOX', status: 'OK' }]) });

    await seedApplication(app, { id: 'app-graph-standby', name: 'Billing' }, people('graph-standby', 2));
    const id = await publish(app, 'app-graph-standby');
    const host = new URL(graph.url).host;
    await eventually(async () => {
      for (const d of await deliveriesOf(app, id)) expect(d).toMatchObject({ status: 'SENT', sentVia: `standby: Microsoft Graph ${host} as standby@contoso.example` });
    });
    expect(graph.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === id).map((m) => m.mailbox)).toEqual(['standby@contoso.example', 'standby@contoso.example']);
    const status = await statusOf(app);
    expect(status).toMatchObject({ sendingThrough: 'STANDBY', primary: { state: 'DOWN' }, standby: { transport: 'MICROSOFT_GRAPH', name: `Microsoft Graph ${host} as standby@contoso.example`, state: 'OK' } });
    expect(JSON.stringify(status)).not.toContain(SECRET);
    expect(JSON.stringify(await app.admin(STANDBY))).not.toContain(SECRET);
  });

  it('both down: mail waits, no attempt spent, and goes through the standby once it is back', async () => {
    const [primaryPort, standbyPort] = [await closedPort(), await closedPort()];
    const app = await start();
    await app.admin(UPDATE_SMTP, { input: relayAt(primaryPort) });
    await app.admin(UPDATE_STANDBY, { input: relayAt(standbyPort) });
    await seedApplication(app, { id: 'app-both', name: 'Billing' }, people('both', 2));
    const id = await publish(app, 'app-both');
    await eventually(async () => {
      expect(await statusOf(app)).toMatchObject({ sendingThrough: null, primary: { state: 'DOWN' }, standby: { state: 'DOWN' }, deliveriesWaiting: 2 });
      for (const d of await deliveriesOf(app, id)) expect(d).toMatchObject({ status: 'WAITING', attempts: 0, sentVia: null, lastError: expect.stringMatching(/relay|CONNECT/) });
    });
    const standby = await sink(standbyPort);
    await eventually(async () => {
      for (const d of await deliveriesOf(app, id)) expect(d).toMatchObject({ status: 'SENT', attempts: 1, sentVia: `standby: 127.0.0.1:${standbyPort}` });
    });
    expect(notifications(standby)).toHaveLength(2);
  });

  it('no standby: the primary down makes mail wait as it always did; relayStatus has no standby', async () => {
    const primaryPort = await closedPort();
    const app = await start();
    await app.admin(UPDATE_SMTP, { input: relayAt(primaryPort) });
    await seedApplication(app, { id: 'app-alone', name: 'Billing' }, people('alone', 2));
    expect((await app.admin(STANDBY)).standbySmtpSettings).toMatchObject({ configured: false, host: null, sender: null });
    const id = await publish(app, 'app-alone');
    await eventually(async () => {
      expect(await statusOf(app)).toMatchObject({ state: 'DOWN', sendingThrough: null, primary: { state: 'DOWN' }, standby: null, deliveriesWaiting: 2 });
      for (const d of await deliveriesOf(app, id)) expect(d).toMatchObject({ status: 'WAITING', attempts: 0, sentVia: null });
    });
    const primary = await sink(primaryPort);
    await eventually(async () => {
      for (const d of await deliveriesOf(app, id)) expect(d).toMatchObject({ status: 'SENT', attempts: 1, sentVia: `primary: 127.0.0.1:${primaryPort}` });
    });
    expect(notifications(primary)).toHaveLength(2);
  });

  it('its settings: validated as the primary\'s, secrets stored encrypted and never answered, audited; checked and tested on their own; cleared', async () => {
    const primary = await sink();
    const standby = await sink(0, { auth: { user: 'standby-user', pass: 'Standby-S3cret!' } });
    const app = await start({ LOG_LEVEL: 'verbose' });
    await app.admin(UPDATE_SMTP, { input: relayAt(primary.port, { gatewayUri: 'https://console.example.com' }) });

    // Bad input: the field is named, nothing changes.
    const bad = await app.gql(UPDATE_STANDBY, { input: relayAt(standby.port, { authEnabled: true }) }, app.token(Role.ADMIN));
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'username', message: expect.stringContaining('required') }] });
    const gateway = await app.gql(UPDATE_STANDBY, { input: { gatewayUri: 'https://elsewhere.example.com' } }, app.token(Role.ADMIN));
    expect(gateway.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'gatewayUri' }] });
    expect((await app.admin(STANDBY)).standbySmtpSettings).toMatchObject({ configured: false });
    const forbidden = await app.gql(UPDATE_STANDBY, { input: relayAt(standby.port) }, app.token(Role.USER));
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const input = relayAt(standby.port, { authEnabled: true, username: 'standby-user', password: 'Standby-S3cret!', sender: 'standby@example.com' });
    // Logged (the change, a refused login), never with the secret.
    const { result: res, log } = await capturingOutput(async () => {
      const wrong = await app.gql(UPDATE_STANDBY, { input: { ...input, password: 'Wrong-S3cret!' } }, app.token(Role.ADMIN, 'alice'));
      expect(wrong.errors).toBeUndefined();
      expect((await app.admin(VERIFY, { relay: 'STANDBY' })).verifySmtpSettings).toMatchObject({ ok: false, steps: expect.arrayContaining([{ step: 'AUTH', status: 'FAILED' }]) });
      return app.gql(UPDATE_STANDBY, { input }, app.token(Role.ADMIN, 'alice'));
    });
    expect(log).toContain('[StandbySmtpSettings] settings changed by alice: standby.smtp.host');
    expect(log).not.toContain('S3cret!');
    expect(res.errors).toBeUndefined();
    expect(res.data.updateStandbySmtpSettings).toMatchObject({ host: '127.0.0.1', port: standby.port, passwordSet: true, authMethod: 'PASSWORD', configured: true, gatewayUri: 'https://console.example.com', updatedBy: 'alice' });
    expect(JSON.stringify(res)).not.toContain('Standby-S3cret!');
    expect(JSON.stringify(await app.admin(STANDBY))).not.toContain('Standby-S3cret!');
    // The primary's settings are untouched.
    expect((await app.admin(`query { smtpSettings { port passwordSet } }`)).smtpSettings).toEqual({ port: primary.port, passwordSet: false });
    const [stored] = await app.app.get(DataSource).query(`SELECT value FROM ${DATABASE_KIND === 'postgres' ? `"${app.storage.schema}".` : ''}properties WHERE key = 'standby.smtp.password'`);
    expect(stored.value).toMatch(/^ENC\(/);
    expect(stored.value).not.toContain('Standby-S3cret!');

    const audit = (await app.admin(AUDIT)).auditLog.edges.map((e: { node: unknown }) => e.node);
    // Two entries: the settings with the wrong password, then the right password alone.
    expect(audit.slice(0, 2)).toMatchObject([
      { kind: 'STANDBY_SMTP_SETTINGS', target: 'standbySmtpSettings', fields: [{ field: 'password', before: null, after: null, secret: true }] },
      { kind: 'STANDBY_SMTP_SETTINGS', target: 'standbySmtpSettings' },
    ]);
    expect(audit[1].fields).toContainEqual({ field: 'password', before: null, after: null, secret: true });
    expect(audit[1].fields).toContainEqual({ field: 'port', before: '587', after: String(standby.port), secret: false });
    expect(JSON.stringify(audit)).not.toContain('Standby-S3cret!');

    // The console's URL is the primary's, for both: changed there, the standby's mails link to the new one at once.
    await app.admin(UPDATE_SMTP, { input: { gatewayUri: 'https://console2.example.com' } });
    expect((await app.admin(STANDBY)).standbySmtpSettings).toMatchObject({ gatewayUri: 'https://console2.example.com', port: standby.port });

    // Checked and tested on their own, whatever the primary's state.
    expect((await app.admin(VERIFY, { relay: 'STANDBY' })).verifySmtpSettings).toMatchObject({ ok: true, steps: expect.arrayContaining([{ step: 'AUTH', status: 'OK' }]) });
    expect(standby.logins.at(-1)).toMatchObject({ user: 'standby-user', accepted: true });
    expect((await app.admin(VERIFY, {})).verifySmtpSettings).toMatchObject({ ok: true, steps: expect.not.arrayContaining([{ step: 'AUTH', status: 'OK' }]) });
    const tested = (await app.admin(SEND_TEST, { input: { to: 'ops@example.com', relay: 'STANDBY' } })).sendTestEmail;
    expect(tested).toMatchObject({ ok: true });
    await standby.waitFor(1);
    expect(standby.received[0]).toMatchObject({ to: ['ops@example.com'] });
    expect(primary.received).toHaveLength(0);
    expect((await app.admin(SEND_TEST, { input: { to: 'ops@example.com' } })).sendTestEmail).toMatchObject({ ok: true });
    await primary.waitFor(1);
    expect(standby.received).toHaveLength(1);

    // Cleared: unset again, its secret gone, audited.
    expect((await app.admin(CLEAR_STANDBY)).clearStandbySmtpSettings).toMatchObject({ configured: false, host: null, passwordSet: false });
    expect(await app.app.get(DataSource).query(`SELECT key FROM ${DATABASE_KIND === 'postgres' ? `"${app.storage.schema}".` : ''}properties WHERE key LIKE 'standby.%'`)).toEqual([]);
    const cleared = (await app.admin(AUDIT)).auditLog.edges[0].node;
    expect(cleared).toMatchObject({ kind: 'STANDBY_SMTP_SETTINGS', target: 'standbySmtpSettings' });
    expect(cleared.fields).toContainEqual({ field: 'host', before: '127.0.0.1', after: null, secret: false });
    expect(cleared.fields).toContainEqual({ field: 'password', before: null, after: null, secret: true });
    expect((await statusOf(app)).standby).toBeNull();
    // The HTTP answer carries no secret either.
    const raw = await request(app.url).post('/graphql').set('authorization', `Bearer ${app.token(Role.ADMIN)}`).send({ query: STANDBY });
    expect(raw.text).not.toContain('Standby-S3cret!');
  });
});
