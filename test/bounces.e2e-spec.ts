import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Role } from '../src/auth/role.enum';
import { MAX_REPORT_BYTES } from '../src/bounces/processing/report-poller';
import { reportAbout } from './support/bounce-reports';
import { DOVECOT_AVAILABLE, Dovecot, NEEDS_DOVECOT } from './support/dovecot';
import { DATABASE_KIND, HeraldTestApp, TEST_DATABASE_URL } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { scrape } from './support/prometheus-text';
import { describeIf, NEEDS_POSTGRES } from './support/skipped-suites';
import { SmtpSink } from './support/smtp-sink';

/**
 * Reading bounces from a real IMAP server: Dovecot (Debian's dovecot-imapd) in a
 * temporary folder, holding the reports of test/fixtures/bounces (Postfix's real
 * ones, Exchange's and Gmail's forms) about mails Herald really sent. Herald polls
 * it, records each report once (the delivery BOUNCED, the address suspended),
 * moves it to Herald/Processed — or to Herald/Unreadable with the reason — leaves a
 * person's mail alone, and reports a mailbox that is down or refuses the login in
 * relayStatus without stopping.
 */
const MAILBOX = 'herald@example.com';
const WEBHOOK_SECRET = 'webhook-secret-of-the-bounce-tests';
const PASSWORD = 'imap-secret-1';
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId } }';
const DELIVERIES = '{ deliveries(first: 100) { edges { node { id eventId recipientId status messageId lastError bounce { status hard reportingMta } } } } }';
const STATUS = '{ relayStatus { reportMailbox { state since lastPolledAt lastSuccessAt lastError lastSetAside { reason subject } } } }';
const MAILBOX_SETTINGS = `mutation($input: UpdateReportMailboxSettingsInput!) { updateReportMailboxSettings(input: $input) {
  protocol host port security authMethod username passwordSet folder processedFolder asideFolder pollIntervalSeconds } }`;
let seq = 0;

describeIf(DOVECOT_AVAILABLE, NEEDS_DOVECOT)(`bounces read from a real IMAP mailbox (${DATABASE_KIND})`, () => {
  let dovecot: Dovecot;
  let sink: SmtpSink;
  let app: HeraldTestApp;
  let webhook: Server;
  const alerts: Array<{ body: any; signed: boolean }> = [];

  async function startApp(storage?: HeraldTestApp['storage']): Promise<HeraldTestApp> {
    // Every event mails the ten managers of Billing: no mail cap here.
    return HeraldTestApp.start(
      {
        DISPATCH_SWEEP_INTERVAL_MS: '100', SETTINGS_REFRESH_INTERVAL_MS: '200', MAIL_CAP_COUNT: '0',
        ALERT_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hooks/herald`, ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
      storage,
    );
  }

  /** Publishes an event of Billing (its ten managers are mailed); answers the delivery (id, Message-ID) of the mail `person` got. */
  async function mailTo(on: HeraldTestApp, person: string): Promise<{ id: string; messageId: string; eventId: string }> {
    const eventId = `imap-bounce-${process.pid}-${++seq}`;
    const res = await on.gql(
      PUBLISH,
      {
        input: {
          schemaVersion: 1, id: eventId, type: 'JOB_FAILED', occurredAt: '2026-11-24T09:10:00Z',
          application: { id: 'billing', name: 'Billing' }, job: { id: `job-${seq}`, kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:10:00Z' },
          error: { message: 'Out of memory' },
        },
      },
      on.token(Role.SERVICE, 'console'),
    );
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    const mail = await eventually(async () => {
      const got = sink.received.find((m) => m.parsed.headers.get('x-herald-event-id') === eventId && m.to[0] === `${person}@example.com`);
      expect(got).toBeDefined();
      return got!;
    });
    const delivery = await eventually(async () => {
      const found = (await deliveries(on)).find((d) => d.messageId === mail.parsed.messageId && d.status === 'SENT');
      expect(found).toBeDefined();
      return found!;
    });
    return { id: delivery.id, messageId: delivery.messageId, eventId };
  }

  const deliveries = async (on = app): Promise<any[]> => (await on.admin(DELIVERIES)).deliveries.edges.map((e: any) => e.node);
  const deliveryOf = async (id: string) => (await deliveries()).find((d) => d.id === id);
  const status = async (on = app) => (await on.admin(STATUS)).relayStatus.reportMailbox;
  const subjects = async (folder: string) => (await dovecot.messages(MAILBOX, folder)).map((m) => m.subject);
  const suspended = async () => (await app.admin('{ suspendedAddresses { edges { node { address status } } } }')).suspendedAddresses.edges.map((e: any) => e.node);

  beforeAll(async () => {
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const signed = req.headers['x-herald-signature'] === `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
        alerts.push({ body: JSON.parse(body), signed });
        res.end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    dovecot = await Dovecot.start({ [MAILBOX]: PASSWORD });
    sink = await new SmtpSink().start();
    app = await startApp();
    await app.admin('mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }', {
      input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: `Herald <${MAILBOX}>` },
    });
    // An admin with an address, for the summary of suspended addresses.
    await app.gql('{ me { id } }', {}, app.token(Role.ADMIN, 'root', { email: 'root@example.com', name: 'Root' }));
    await seedApplication(app, { id: 'billing', name: 'Billing' }, ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'henry', 'ivy', 'judy'].map((id) => ({ id })));
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
    await dovecot?.close();
    await new Promise((resolve) => webhook?.close(resolve));
  });

  it('is not configured by default: nothing is read, relayStatus says so', async () => {
    expect((await app.admin('{ reportMailboxSettings { protocol folder processedFolder asideFolder pollIntervalSeconds passwordSet } }')).reportMailboxSettings).toEqual({
      protocol: 'NONE', folder: 'INBOX', processedFolder: 'Herald/Processed', asideFolder: 'Herald/Unreadable', pollIntervalSeconds: 60, passwordSet: false,
    });
    expect((await status()).state).toBe('NOT_CONFIGURED');
  });

  it('refuses bad settings naming each field, and saves nothing', async () => {
    const res = await app.gql(MAILBOX_SETTINGS, { input: { protocol: 'IMAP', processedFolder: 'INBOX', pollIntervalSeconds: 0 } }, app.token(Role.ADMIN, 'admin'));
    expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    const fields = (res.errors?.[0].extensions.fields ?? []).map((f) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['pollIntervalSeconds']));
    const res2 = await app.gql(MAILBOX_SETTINGS, { input: { protocol: 'IMAP', processedFolder: 'INBOX' } }, app.token(Role.ADMIN, 'admin'));
    expect(res2.errors?.[0].extensions.fields?.map((f) => f.field).sort()).toEqual(['host', 'password', 'processedFolder', 'username']);
    const oauth2 = await app.gql(MAILBOX_SETTINGS, { input: { protocol: 'IMAP', host: '127.0.0.1', username: MAILBOX, authMethod: 'OAUTH2' } }, app.token(Role.ADMIN, 'admin'));
    expect(oauth2.errors?.[0].extensions.fields).toEqual([{ field: 'authMethod', message: "OAUTH2 uses the relay's OAuth2 client, but smtpSettings' authMethod is NONE" }]);
    expect((await app.admin('{ reportMailboxSettings { protocol } }')).reportMailboxSettings.protocol).toBe('NONE');
    const user = await app.gql('{ reportMailboxSettings { protocol } }', {}, app.token(Role.USER, 'alice'));
    expect(user.errors?.[0].extensions.code).toBe('FORBIDDEN');
  });

  it('reads the mailbox once set (the password never answered, an audit entry naming it only)', async () => {
    const { updateReportMailboxSettings } = await app.admin(MAILBOX_SETTINGS, {
      input: { protocol: 'IMAP', host: '127.0.0.1', port: dovecot.port, security: 'NONE', username: MAILBOX, password: PASSWORD, pollIntervalSeconds: 1 },
    });
    expect(updateReportMailboxSettings).toEqual({
      protocol: 'IMAP', host: '127.0.0.1', port: dovecot.port, security: 'NONE', authMethod: 'PASSWORD', username: MAILBOX, passwordSet: true,
      folder: 'INBOX', processedFolder: 'Herald/Processed', asideFolder: 'Herald/Unreadable', pollIntervalSeconds: 1,
    });
    await eventually(async () => expect(await status()).toMatchObject({ state: 'OK', lastError: null }));
    const { auditLog } = await app.admin('{ auditLog(filter: { kind: REPORT_MAILBOX }) { edges { node { fields { field secret after } } } } }');
    expect(JSON.stringify(auditLog)).not.toContain(PASSWORD);
    expect(auditLog.edges[0].node.fields).toContainEqual({ field: 'password', secret: true, after: null });
  });

  it("a real Postfix report (unknown user): the delivery BOUNCED, the address suspended, the report moved to Herald/Processed", async () => {
    const mail = await mailTo(app, 'alice');
    await dovecot.append(MAILBOX, reportAbout('postfix-unknown-local-user.eml', mail.messageId, 'alice@example.com'));
    await eventually(async () => expect((await deliveryOf(mail.id)).status).toBe('BOUNCED'));
    expect((await deliveryOf(mail.id)).bounce).toEqual({ status: '5.1.1', hard: true, reportingMta: 'mx.herald.test' });
    expect(await suspended()).toContainEqual({ address: 'alice@example.com', status: '5.1.1' });
    const me = (await app.gql('{ me { emailSuspension { reason } } }', {}, app.token(Role.USER, 'alice'))).data.me;
    expect(me.emailSuspension.reason).toBe('5.1.1 unknown user (unknown user: "alice"), reported by mx.herald.test');
    await eventually(async () => expect(await subjects('Herald/Processed')).toEqual(['Undelivered Mail Returned to Sender']));
    expect(await subjects('INBOX')).toEqual([]);

    // The next event does not mail it: CANCELLED with the reason; the others are mailed.
    const next = await mailTo(app, 'bob');
    const alices = await eventually(async () => {
      const found = (await deliveries()).find((d) => d.eventId === next.eventId && d.recipientId === 'alice');
      expect(found?.status).toBe('CANCELLED');
      return found;
    });
    expect(alices.lastError).toBe('address suspended after bounces (5.1.1 unknown user (unknown user: "alice"), reported by mx.herald.test)');
    expect(sink.received.some((m) => m.parsed.headers.get('x-herald-event-id') === next.eventId && m.to[0] === 'alice@example.com')).toBe(false);
  });

  it('reports of Exchange Online, Exchange Server and Gmail (DSN and text forms) are read the same way', async () => {
    const cases: Array<[string, string, string]> = [
      ['bob', 'exchange-online-unknown-recipient.eml', '5.1.10'],
      ['carol', 'exchange-legacy-text.eml', '5.1.1'],
      ['dave', 'gmail-address-not-found.eml', '5.1.1'],
      ['erin', 'gmail-legacy-text.eml', '5.1.1'],
      ['frank', 'postfix-mailbox-full.eml', '5.2.2'],
    ];
    const mails: Array<{ id: string; messageId: string }> = [];
    for (const [person] of cases) mails.push(await mailTo(app, person));
    // The reports arrive together (no poll meanwhile: one look after the change, then none for an hour), then Herald looks: one look, one summary.
    const changedAt = Date.now();
    await app.admin(MAILBOX_SETTINGS, { input: { pollIntervalSeconds: 3600 } });
    await eventually(async () => expect(new Date((await status()).lastPolledAt).getTime()).toBeGreaterThan(changedAt));
    for (const [i, [person, fixture]] of cases.entries()) await dovecot.append(MAILBOX, reportAbout(fixture, mails[i].messageId, `${person}@example.com`));
    await app.admin(MAILBOX_SETTINGS, { input: { pollIntervalSeconds: 1 } });
    for (const [i, [, , code]] of cases.entries()) {
      await eventually(async () => expect((await deliveryOf(mails[i].id)).bounce).toMatchObject({ status: code, hard: true }));
    }
    const addresses = (await suspended()).map((s: any) => s.address);
    expect(addresses).toEqual(expect.arrayContaining(['bob@example.com', 'carol@example.com', 'dave@example.com', 'erin@example.com']));
    expect(addresses).not.toContain('frank@example.com'); // 5.2.2: one hard bounce of BOUNCE_SUSPEND_AFTER (3)
    await eventually(async () => expect(await subjects('INBOX')).toEqual([]));

    // The admins: one summary of the four, not a mail per bounce; the webhook once, without addresses.
    const summaries = await eventually(async () => {
      const found = sink.received.filter((m) => m.to[0] === 'root@example.com' && m.parsed.subject === 'Herald: 4 addresses suspended after bounces');
      expect(found).toHaveLength(1);
      return found;
    });
    const text = summaries[0].parsed.text ?? '';
    for (const person of ['bob', 'carol', 'dave', 'erin']) expect(text).toContain(`- ${person}@example.com: `);
    expect(text).toContain('- bob@example.com: 5.1.10 — 550 5.1.10 RESOLVER.ADR.RecipientNotFound');
    expect(text).not.toContain('frank@example.com');
    expect(sink.received.filter((m) => m.to[0] === 'root@example.com').map((m) => m.parsed.subject)).toEqual([
      'Herald: 1 address suspended after bounces', // alice's, in the look before
      'Herald: 4 addresses suspended after bounces',
    ]);
    const calls = alerts.filter((a) => a.body.event === 'addresses.suspended');
    expect(calls.map((c) => ({ count: c.body.count, statuses: c.body.statuses, signed: c.signed }))).toEqual([
      { count: 1, statuses: { '5.1.1': 1 }, signed: true },
      { count: 4, statuses: { '5.1.10': 1, '5.1.1': 3 }, signed: true },
    ]);
    expect(JSON.stringify(calls)).not.toContain('@example.com');
  });

  it("an out-of-office reply and a delay notice are no bounces (moved, nothing changes); a person's mail stays in the inbox, unread", async () => {
    const mail = await mailTo(app, 'grace');
    await dovecot.append(MAILBOX, reportAbout('out-of-office-exchange.eml', mail.messageId));
    await dovecot.append(MAILBOX, reportAbout('exchange-delayed.eml', mail.messageId));
    await dovecot.append(MAILBOX, reportAbout('not-a-report.eml', mail.messageId));
    await eventually(async () => expect(await subjects('Herald/Processed')).toEqual(expect.arrayContaining(['Automatic reply: [billing] nightly-analysis failed', 'Delivery delayed:[billing] nightly-analysis failed'])));
    const inbox = await dovecot.messages(MAILBOX, 'INBOX');
    expect(inbox.map((m) => m.subject)).toEqual(['Re: [billing] nightly-analysis failed']);
    expect(inbox[0].flags.has('\\Seen')).toBe(false);
    expect((await deliveryOf(mail.id)).status).toBe('SENT');
    expect((await suspended()).map((s: any) => s.address)).not.toContain('grace@example.com');
    // Polls go on (every second) without reading it again: it stays, once.
    const before = (await status()).lastPolledAt;
    await eventually(async () => expect((await status()).lastPolledAt).not.toBe(before));
    expect(await subjects('INBOX')).toEqual(['Re: [billing] nightly-analysis failed']);
  });

  it('a malformed report (truncated, no Message-ID, too large) is moved aside with the reason, once, and never read again', async () => {
    const mail = await mailTo(app, 'henry');
    await dovecot.append(MAILBOX, reportAbout('malformed-truncated.eml', mail.messageId));
    await eventually(async () => expect((await status()).lastSetAside).toEqual({ reason: 'its message/delivery-status part has a recipient without an Action or a Status (truncated?)', subject: 'Undelivered Mail Returned to Sender' }));
    await dovecot.append(MAILBOX, reportAbout('malformed-no-message-id.eml', mail.messageId));
    await eventually(async () => expect((await status()).lastSetAside?.reason).toContain('no Message-ID of the returned message'));
    const huge = Buffer.concat([reportAbout('postfix-unknown-local-user.eml', mail.messageId), Buffer.alloc(MAX_REPORT_BYTES, 'x')]);
    await dovecot.append(MAILBOX, huge);
    await eventually(async () => expect((await status()).lastSetAside).toEqual({ reason: `larger than ${MAX_REPORT_BYTES} bytes (${huge.length}): not read`, subject: null }));
    await eventually(async () => expect((await dovecot.messages(MAILBOX, 'Herald/Unreadable')).length).toBe(3));
    expect((await deliveryOf(mail.id)).status).toBe('SENT');
    expect(await subjects('INBOX')).toEqual(['Re: [billing] nightly-analysis failed']);
    // Several polls later: still three, each once; the mailbox is fine.
    const polled = (await status()).lastPolledAt;
    await eventually(async () => expect((await status()).lastPolledAt).not.toBe(polled));
    expect((await dovecot.messages(MAILBOX, 'Herald/Unreadable')).length).toBe(3);
    expect((await status()).state).toBe('OK');
  });

  it('the mailbox down: relayStatus says DOWN, Herald keeps working, and reads what came meanwhile once it is back', async () => {
    await dovecot.stop();
    await eventually(async () => expect(await status()).toMatchObject({ state: 'DOWN', lastError: expect.stringContaining(`cannot reach the mailbox at 127.0.0.1:${dovecot.port}`) }));
    const mail = await mailTo(app, 'ivy'); // mail still goes out
    const health = await request(app.url).get('/health/ready');
    expect(health.status).toBe(200);
    await dovecot.restart();
    await dovecot.append(MAILBOX, reportAbout('gmail-address-not-found.eml', mail.messageId, 'ivy@example.com'));
    await eventually(async () => expect((await deliveryOf(mail.id)).status).toBe('BOUNCED'));
    await eventually(async () => expect((await status()).state).toBe('OK'));
  });

  it('the login refused: LOGIN_REFUSED (never the password), tried again until the password is right', async () => {
    dovecot.setPassword(MAILBOX, 'changed-on-the-server');
    await eventually(async () => expect((await status()).state).toBe('LOGIN_REFUSED'));
    const { lastError } = await status();
    expect(lastError).toContain(`refused the login of ${MAILBOX}`);
    expect(lastError).not.toContain(PASSWORD);
    await app.admin(MAILBOX_SETTINGS, { input: { password: 'changed-on-the-server' } });
    await eventually(async () => expect((await status()).state).toBe('OK'));
    dovecot.setPassword(MAILBOX, PASSWORD);
    await app.admin(MAILBOX_SETTINGS, { input: { password: PASSWORD } });
  });

  it('counts reports, bounces and suspensions in /metrics', async () => {
    const value = await scrape(app.url);
    expect(value('herald_bounce_reports_total', { kind: 'bounce' })).toBe(7);
    expect(value('herald_bounce_reports_total', { kind: 'unreadable' })).toBe(3);
    expect(value('herald_bounce_reports_total', { kind: 'auto_reply' })).toBe(1);
    expect(value('herald_bounce_reports_total', { kind: 'notice' })).toBe(1);
    expect(value('herald_bounce_reports_total', { kind: 'not_a_report' })).toBe(1);
    expect(value('herald_bounces_total', { class: 'hard' })).toBe(7);
    expect(value('herald_address_suspensions_total', { cause: 'unknown_user' })).toBe(6);
    expect(value('herald_report_mailbox_polls_total', { result: 'error' })).toBeGreaterThan(0);
  });

  describeIf(!!TEST_DATABASE_URL, NEEDS_POSTGRES)('two processes', () => {
    it('each report is handled once, by one of them', async () => {
      const second = await startApp(app.storage);
      try {
        const people = ['judy', 'alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'henry', 'ivy'];
        // Addresses taken back first, so that they are mailed.
        for (const p of people) await app.admin('mutation($a: String!) { liftAddressSuspension(address: $a) { address } }', { a: `${p}@example.com` }).catch(() => undefined);
        // Two events: twenty mails, one report each.
        const events = [(await mailTo(app, 'judy')).eventId, (await mailTo(app, 'judy')).eventId];
        const mails: Array<{ id: string; messageId: string }> = await eventually(async () => {
          const sent = (await deliveries()).filter((d) => events.includes(d.eventId) && d.status === 'SENT');
          expect(sent).toHaveLength(20);
          return sent;
        });
        const processedBefore = (await dovecot.messages(MAILBOX, 'Herald/Processed')).length;
        const read = async () => (await scrape(app.url))('herald_bounce_reports_total', { kind: 'bounce' }) + (await scrape(second.url))('herald_bounce_reports_total', { kind: 'bounce' });
        const readBefore = await read();
        for (const m of mails) await dovecot.append(MAILBOX, reportAbout('postfix-expired-soft.eml', m.messageId, `${(m as { recipientId?: string }).recipientId}@example.com`));
        for (const m of mails) await eventually(async () => expect((await deliveryOf(m.id)).status).toBe('BOUNCED'), 30_000);
        await eventually(async () => expect((await dovecot.messages(MAILBOX, 'Herald/Processed')).length).toBe(processedBefore + mails.length));
        // Each report was read by one process only, and both took part.
        expect((await read()) - readBefore).toBe(mails.length);
        expect((await scrape(second.url))('herald_bounce_reports_total', { kind: 'bounce' })).toBeGreaterThan(0);
        expect((await status()).state).toBe('OK');
        expect(await subjects('INBOX')).not.toContain('Undelivered Mail Returned to Sender');
      } finally {
        await second.close({ keepData: true });
      }
    });
  });
});
