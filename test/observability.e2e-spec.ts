import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter2 } from '@nestjs/event-emitter';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Role } from '../src/auth/role.enum';
import { RelayState, RelayStateChangedEvent } from '../src/smtp/relay-health/relay-state-changed.event';
import { SmtpCheckStep } from '../src/smtp/smtp-check-result.model';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { scrape } from './support/prometheus-text';
import { describeIf, NEEDS_SQLITE } from './support/skipped-suites';
import { SmtpSink } from './support/smtp-sink';

/**
 * What an operator sees: /metrics after real sends and failures, readiness and its
 * detail, the alert webhook and the admins' summary mail after a relay outage, and
 * retryDeliveries putting back exactly the FAILED deliveries a filter names.
 *
 * The relay circuit breaker (branch `circuit`) is not here yet: the relay's state
 * changes are announced in these tests by emitting its RelayStateChangedEvent, as
 * the circuit will; the failures themselves are real (a closed port, a 550).
 */
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const EVENT = 'query($id: ID!) { event(id: $id) { deliveries { id status attempts lastReply lastError createdAt } } }';
const RETRY_MANY = 'mutation($filter: RetryDeliveriesFilter!) { retryDeliveries(filter: $filter) }';
const WEBHOOK_SECRET = 'webhook-secret-of-the-tests';

let seq = 0;
function failedEvent(applicationId: string) {
  const n = ++seq;
  return {
    schemaVersion: 1,
    id: `obs-${process.pid}-${n}`,
    type: 'JOB_FAILED',
    occurredAt: '2026-11-24T09:42:30Z',
    application: { id: applicationId, name: `App ${applicationId}` },
    job: { id: `job-${n}`, kind: 'analysis' },
    error: { message: 'Out of memory' },
  };
}


interface WebhookCall {
  headers: IncomingHttpHeaders;
  body: string;
}

describe(`observability (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  let webhook: Server;
  const calls: WebhookCall[] = [];

  const smtp = (port: number) => ({ host: '127.0.0.1', port, security: 'NONE', authEnabled: false, sender: 'herald@example.com', gatewayUri: 'https://console.example.com' });
  const publish = async (e: object) => {
    const res = await app.gql(PUBLISH, { input: e }, app.token(Role.SERVICE, 'console'));
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  };
  const deliveriesOf = async (eventId: string) => (await app.admin(EVENT, { id: eventId })).event.deliveries as Array<Record<string, any>>;
  const announce = (state: RelayState, previous: RelayState, since: Date, waiting = 0) =>
    app.app.get(EventEmitter2).emit(
      RelayStateChangedEvent.NAME,
      new RelayStateChangedEvent(state, previous, since, { step: SmtpCheckStep.CONNECT, reply: null, description: 'connect ECONNREFUSED 127.0.0.1', at: since }, waiting),
    );

  /** While set, bob's mailbox answers 450 (a failure of one recipient: the circuit stays closed). */
  let bobBusy = false;

  beforeAll(async () => {
    sink = await new SmtpSink({
      rejectRecipient: (address) =>
        address.startsWith('doomed') ? { code: 550, message: '5.1.1 no such user' } : bobBusy && address.startsWith('bob') ? { code: 450, message: '4.2.1 mailbox busy' } : undefined,
    }).start();
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        calls.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    app = await HeraldTestApp.start({
      DISPATCH_SWEEP_INTERVAL_MS: '100',
      DISPATCH_MAX_ATTEMPTS: '1',
      ALERT_AFTER_MS: '1000',
      ALERT_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hooks/herald`,
      ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    await app.admin(UPDATE_SMTP, { input: smtp(sink.port) });
    await seedApplication(app, { id: 'app-ok', name: 'Billing' }, [{ id: 'ann' }, { id: 'doomed' }]);
    await seedApplication(app, { id: 'app-far', name: 'Reports' }, [{ id: 'bob' }]);
  });

  afterAll(async () => {
    await app?.close();
    await sink?.stop();
    await new Promise((resolve) => webhook?.close(resolve));
  });

  it('counts events, sends and refused recipients on /metrics; retryDeliveries sends again exactly the FAILED ones its filter names, each keeping its history', async () => {
    const before = await scrape(app.url);
    expect(before('herald_process_cpu_user_seconds_total')).toBeGreaterThan(0); // Node's default metrics
    expect(before('herald_events_received_total')).toBe(0);

    // Through a working relay: one mail sent, one refused with 550.
    const ok = failedEvent('app-ok');
    await publish(ok);
    await eventually(async () => expect((await deliveriesOf(ok.id)).map((d) => d.status).sort()).toEqual(['FAILED', 'SENT']));

    // A recipient the relay refuses for now (450): FAILED with that reply (one attempt allowed).
    // (A relay that refuses connections makes deliveries wait instead: test/relay-circuit.e2e-spec.ts.)
    bobBusy = true;
    const far = [failedEvent('app-far'), failedEvent('app-far')];
    for (const e of far) await publish(e);
    for (const e of far) await eventually(async () => expect((await deliveriesOf(e.id)).map((d) => d.status)).toEqual(['FAILED']));

    const metrics = await scrape(app.url);
    expect(metrics('herald_events_received_total', { type: 'JOB_FAILED', way_in: 'graphql' })).toBe(3);
    expect(metrics('herald_deliveries_total', { status: 'SENT', channel: 'email' })).toBe(1);
    expect(metrics('herald_deliveries_total', { status: 'FAILED', channel: 'email' })).toBe(3);
    expect(metrics('herald_send_attempts_total', { outcome: 'sent', reply_class: '2xx', channel: 'email' })).toBe(1);
    expect(metrics('herald_send_attempts_total', { outcome: 'failed', reply_class: '5xx', channel: 'email' })).toBe(1);
    expect(metrics('herald_send_attempts_total', { outcome: 'failed', reply_class: '4xx', channel: 'email' })).toBe(2);
    expect(metrics('herald_send_duration_seconds_count', { channel: 'email' })).toBe(4);
    expect(metrics('herald_event_accepted_to_sent_seconds_count', { channel: 'email' })).toBe(1);
    expect(metrics('herald_deliveries_queued')).toBe(0);
    expect(metrics('herald_delivery_oldest_queued_age_seconds')).toBe(0);

    // Bob's mailbox works again: only app-far's FAILED deliveries go back; the 550 stays FAILED.
    bobBusy = false;
    const farBefore = await deliveriesOf(far[0].id);
    expect((await app.admin(RETRY_MANY, { filter: { applicationId: 'app-far' } })).retryDeliveries).toBe(2);
    for (const e of far) await eventually(async () => expect((await deliveriesOf(e.id)).map((d) => d.status)).toEqual(['SENT']));
    const farAfter = await deliveriesOf(far[0].id);
    expect(farAfter.map((d) => [d.id, d.createdAt, d.attempts])).toEqual(farBefore.map((d) => [d.id, d.createdAt, 1])); // the same delivery, its history kept
    expect((await deliveriesOf(ok.id)).map((d) => d.status).sort()).toEqual(['FAILED', 'SENT']);
    expect(sink.received.filter((m) => m.to[0] === 'bob@example.com')).toHaveLength(2);

    // By reply code: the 550 is tried again (and refused again); nothing else matches.
    expect((await app.admin(RETRY_MANY, { filter: { replyCode: '4xx' } })).retryDeliveries).toBe(0); // bob's were sent
    expect((await app.admin(RETRY_MANY, { filter: { replyCode: '550', eventId: ok.id } })).retryDeliveries).toBe(1);
    await eventually(async () => expect(sink.refused.filter((r) => r.to.startsWith('doomed'))).toHaveLength(2));
    await eventually(async () => expect((await deliveriesOf(ok.id)).map((d) => d.status).sort()).toEqual(['FAILED', 'SENT']));

    const after = await scrape(app.url);
    expect(after('herald_deliveries_total', { status: 'SENT' })).toBe(3);
    expect(after('herald_deliveries_total', { status: 'FAILED' })).toBe(4);
  });

  it('refuses a bad filter naming the field, and a non-ADMIN caller', async () => {
    const bad = await app.gql(RETRY_MANY, { filter: { replyCode: '2500' } }, app.token(Role.ADMIN, 'admin'));
    expect(bad.errors?.[0].extensions.fields).toEqual([expect.objectContaining({ field: 'filter.replyCode' })]);
    const user = await app.gql(RETRY_MANY, { filter: {} }, app.token(Role.USER, 'ann'));
    expect(user.errors?.[0].extensions.code).toBe('FORBIDDEN');
  });

  it('reports the relay on readiness and /metrics, calls the signed webhook, and mails the admins one summary after a long outage', async () => {
    // Admins are known from their tokens: one with an email, one without; a USER with an email is no admin.
    await app.gql('{ me { id } }', {}, app.token(Role.ADMIN, 'boss', { email: 'boss@example.com', name: 'The Boss' }));
    await app.gql('{ me { id } }', {}, app.token(Role.ADMIN, 'nomail'));

    const live = await request(app.url).get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body.status).toBe('ok');

    const brokeAt = new Date(Date.now() - 5_000);
    announce(RelayState.DOWN, RelayState.OK, brokeAt, 3);
    const ready = await request(app.url).get('/health/ready');
    expect(ready.status).toBe(200); // events are still accepted
    expect(ready.body.status).toBe('degraded');
    expect(ready.body.details.database).toMatchObject({ status: 'up', state: 'up', writeProbe: 'ok' });
    expect(ready.body.details.broker).toMatchObject({ status: 'up', state: 'off' });
    // The state as announced; the deliveries waiting counted now (none wait here: the announcement's 3 was of its moment).
    expect(ready.body.details.relay).toMatchObject({ status: 'degraded', state: 'DOWN', waiting: 0, lastFailure: { step: 'CONNECT', reply: null } });
    const down = await scrape(app.url);
    expect(down('herald_relay_state', { state: 'DOWN' })).toBe(1);
    expect(down('herald_relay_state', { state: 'OK' })).toBe(0);

    await eventually(async () => expect(calls).toHaveLength(1));
    announce(RelayState.OK, RelayState.DOWN, new Date(), 3);
    await eventually(async () => expect(calls).toHaveLength(2));
    for (const call of calls) {
      expect(call.headers['content-type']).toBe('application/json');
      expect(call.headers['x-herald-signature']).toBe(`sha256=${createHmac('sha256', WEBHOOK_SECRET).update(call.body).digest('hex')}`);
    }
    expect(JSON.parse(calls[0].body)).toMatchObject({ event: 'relay.down', state: 'DOWN', since: brokeAt.toISOString(), waiting: 3, lastFailure: { step: 'CONNECT' } });
    expect(JSON.parse(calls[1].body)).toMatchObject({ event: 'relay.up', state: 'OK', previous: 'DOWN', downForSeconds: expect.any(Number) });

    const summary = await eventually(async () => {
      const mails = sink.received.filter((m) => m.parsed.subject?.startsWith('Herald: the mail relay was down'));
      expect(mails).toHaveLength(1);
      return mails[0];
    });
    expect(summary.to).toEqual(['boss@example.com']);
    expect(summary.parsed.subject).toMatch(/^Herald: the mail relay was down for \d+ s; it works again$/);
    expect(summary.parsed.text).toContain(`stopped taking mail at ${brokeAt.toISOString()}, at the CONNECT step`);
    expect(summary.parsed.text).toContain('3 mails waited for it meanwhile. They have now gone out');
    expect((await request(app.url).get('/health/ready')).body.details.relay).toMatchObject({ status: 'up', state: 'OK' });

    // A short outage (under ALERT_AFTER_MS): the webhook hears of it, the admins are not mailed.
    announce(RelayState.DOWN, RelayState.OK, new Date());
    announce(RelayState.OK, RelayState.DOWN, new Date());
    await eventually(async () => expect(calls).toHaveLength(4));
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.received.filter((m) => m.parsed.subject?.startsWith('Herald: the mail relay was down'))).toHaveLength(1);
  });

  it('/metrics can ask for a bearer token, or be off', async () => {
    const guarded = await HeraldTestApp.start({ METRICS_TOKEN: 'a-scrape-token-of-the-tests' });
    try {
      expect((await request(guarded.url).get('/metrics')).status).toBe(401);
      expect((await request(guarded.url).get('/metrics').set('authorization', 'Bearer wrong')).status).toBe(401);
      const res = await request(guarded.url).get('/metrics').set('authorization', 'Bearer a-scrape-token-of-the-tests');
      expect(res.status).toBe(200);
      expect(res.text).toContain('herald_events_received_total');
    } finally {
      await guarded.close();
    }
    const off = await HeraldTestApp.start({ METRICS_ENABLED: 'false' });
    try {
      expect((await request(off.url).get('/metrics')).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describeIf(DATABASE_KIND === 'sqlite', NEEDS_SQLITE)('readiness when the database cannot write (SQLite, max_page_count)', () => {
  let app: HeraldTestApp;

  beforeAll(async () => {
    app = await HeraldTestApp.start();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('answers 503 with the database full, keeps /health/live at 200 and /health as before, and is ready again once it can write', async () => {
    const dataSource = app.app.get(DataSource);
    const pageCount = Number(Object.values((await dataSource.query('PRAGMA page_count'))[0])[0]);
    await dataSource.query(`PRAGMA max_page_count = ${pageCount + 4}`);
    try {
      const ready = await eventually(async () => {
        const res = await request(app.url).get('/health/ready');
        expect(res.status).toBe(503);
        return res;
      });
      expect(ready.body.status).toBe('error');
      expect(ready.body.error.database).toMatchObject({ status: 'down', state: 'full', writeProbe: 'failed' });
      expect(ready.body.error.database.reason).toMatch(/SQLITE_FULL/);
      expect((await request(app.url).get('/health/live')).status).toBe(200);
      const legacy = await request(app.url).get('/health');
      expect(legacy.status).toBe(503);
      expect(legacy.body).toMatchObject({ status: 'error', database: 'full' });
    } finally {
      await dataSource.query('PRAGMA max_page_count = 1073741823');
    }
    await eventually(async () => expect((await request(app.url).get('/health/ready')).status).toBe(200));
  });
});
