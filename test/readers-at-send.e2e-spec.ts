import { DataSource, In } from 'typeorm';
import { Role } from '../src/auth/role.enum';
import { Digests } from '../src/notifications/digests/digests';
import { DigestEntryEntity } from '../src/notifications/entities/digest-entry.entity';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { scrape } from './support/prometheus-text';
import { closedPort, SmtpSink } from './support/smtp-sink';

const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { deliveries } }';
const REVOKE = 'mutation($input: MembershipInput!) { revokeMembership(input: $input) { role } }';
const PROFILE = 'mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { id } }';
const SET_PREF = 'mutation($input: SetNotificationPreferenceInput!) { setNotificationPreference(input: $input) { id } }';
const EVENT =
  'query($id: ID!) { event(id: $id) { deliveries { id kind recipientId recipientEmail status attempts lastError } audience { userId outcome reason deliveryId deliveryStatus detail } } }';
const DELIVERIES = 'query($f: DeliveryFilter) { deliveries(filter: $f, first: 50) { totalCount edges { node { id kind eventIds recipientId recipientEmail status attempts lastError } } } }';
const RETRY = 'mutation($input: RetryDeliveryInput!) { retryDelivery(input: $input) { id status } }';

interface Delivery {
  id: string;
  kind: string;
  eventIds?: string[];
  recipientId: string;
  recipientEmail: string;
  status: string;
  attempts: number;
  lastError: string | null;
}
interface AudienceMember {
  userId: string;
  outcome: string;
  reason: string | null;
  deliveryId: string | null;
  deliveryStatus: string | null;
  detail: string;
}

/** Fast schedules: an outage longer than a probe's backoff takes well under a second. */
const FAST = { DISPATCH_SWEEP_INTERVAL_MS: '50', RELAY_PROBE_MIN_MS: '50', RELAY_PROBE_MAX_MS: '200' };

let seq = 0;
const failed = (applicationId: string) => {
  const at = new Date().toISOString();
  return {
    schemaVersion: 1,
    id: `readers-${process.pid}-${++seq}`,
    type: 'JOB_FAILED',
    occurredAt: at,
    application: { id: applicationId, name: `App ${applicationId}` },
    job: { id: `job-${seq}`, kind: 'analysis', startedAt: at, endedAt: at },
    error: { message: 'Out of memory', step: 'Run analyzer' },
  };
};
const relayAt = (port: number) => ({ host: '127.0.0.1', port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>' });

/**
 * Who gets a mail is checked again when it is sent (and when a digest or a cap
 * summary closes), not only when the event is planned: a person who lost the
 * application, switched notifications or the type off, or has no address any
 * more gets nothing, and the delivery log and event(id)'s audience say
 * CANCELLED with the reason; a person who changed their address gets the mail
 * at the new one. Real SMTP servers, the real app, through GraphQL.
 */
describe(`who gets a mail is decided when it is sent (${DATABASE_KIND})`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const start = async (env: Record<string, string> = {}) => {
    const app = await HeraldTestApp.start({ ...FAST, ...env });
    cleanups.push(() => app.close());
    return app;
  };
  const sinkAt = async (port = 0) => {
    const sink = await new SmtpSink().start(port);
    cleanups.push(() => sink.stop());
    return sink;
  };
  const publish = async (app: HeraldTestApp, event: ReturnType<typeof failed>) => {
    const res = await app.gql(PUBLISH, { input: event }, app.token(Role.SERVICE, 'console'));
    expect(res.errors).toBeUndefined();
    return res.data.publishJobEvent.deliveries as number;
  };
  const as = async (app: HeraldTestApp, person: string, query: string, input: Record<string, unknown>) => {
    const res = await app.gql(query, { input }, app.token(Role.USER, person));
    expect(res.errors).toBeUndefined();
  };
  const revoke = async (app: HeraldTestApp, userId: string, applicationId: string) => {
    const res = await app.gql(REVOKE, { input: { userId, applicationId, role: 'MANAGE' } }, app.token(Role.SERVICE, 'console'));
    expect(res.errors).toBeUndefined();
  };
  const eventOf = async (app: HeraldTestApp, id: string) => (await app.admin(EVENT, { id })).event as { deliveries: Delivery[]; audience: AudienceMember[] };
  const byPerson = <T extends { recipientId?: string; userId?: string }>(rows: T[]) => new Map(rows.map((r) => [r.recipientId ?? r.userId!, r]));

  it('the relay down, then people change: once it is back, only those who still read the application get the mail, at their address now', async () => {
    const port = await closedPort();
    const app = await start();
    await app.admin(UPDATE_SMTP, { input: relayAt(port) });
    const people = ['rd-keep', 'rd-revoked', 'rd-off', 'rd-typeoff', 'rd-global', 'rd-moved', 'rd-noemail'];
    await seedApplication(app, { id: 'rd-app', name: 'Billing' }, people.map((id) => ({ id })));
    await seedApplication(app, { id: 'rd-other', name: 'Reports' }, [{ id: 'rd-revoked' }]); // still manages another application
    const event = failed('rd-app');
    expect(await publish(app, event)).toBe(people.length);
    await eventually(async () => {
      const { deliveries } = await eventOf(app, event.id);
      expect(deliveries.map((d) => d.status)).toEqual(people.map(() => 'WAITING'));
    });

    // While the relay is down.
    await revoke(app, 'rd-revoked', 'rd-app');
    await as(app, 'rd-off', PROFILE, { notificationsEnabled: false });
    await as(app, 'rd-typeoff', SET_PREF, { eventType: 'JOB_FAILED', applicationId: 'rd-app', enabled: false });
    await as(app, 'rd-global', SET_PREF, { eventType: 'JOB_FAILED', frequency: 'NEVER' });
    await as(app, 'rd-moved', PROFILE, { email: 'rd-moved.new@example.net' });
    await as(app, 'rd-noemail', PROFILE, { email: null });

    const relay = await sinkAt(port);
    await eventually(async () => {
      const { deliveries } = await eventOf(app, event.id);
      expect(deliveries.filter((d) => !['SENT', 'CANCELLED'].includes(d.status))).toEqual([]);
    });
    // The mails: the one who kept everything, and the one who moved, at the new address; nobody else.
    expect(relay.received.map((m) => m.to.join()).sort()).toEqual(['rd-keep@example.com', 'rd-moved.new@example.net']);

    const { deliveries, audience } = await eventOf(app, event.id);
    const mails = byPerson(deliveries);
    expect(mails.get('rd-keep')).toMatchObject({ status: 'SENT', attempts: 1, recipientEmail: 'rd-keep@example.com' });
    expect(mails.get('rd-moved')).toMatchObject({ status: 'SENT', attempts: 1, recipientEmail: 'rd-moved.new@example.net' });
    const cancelled = {
      'rd-revoked': 'no longer a manager of rd-app',
      'rd-off': 'notifications switched off',
      'rd-typeoff': 'JOB_FAILED switched off for rd-app',
      'rd-global': 'JOB_FAILED switched off for every application',
      'rd-noemail': 'no email address',
    };
    for (const [person, reason] of Object.entries(cancelled)) {
      expect(mails.get(person)).toMatchObject({ status: 'CANCELLED', attempts: 0, lastError: reason });
    }

    // event(id)'s audience says the same, person by person.
    const members = byPerson(audience);
    expect(members.get('rd-keep')).toMatchObject({ outcome: 'MAILED', deliveryStatus: 'SENT' });
    for (const [person, reason] of Object.entries(cancelled)) {
      const id = mails.get(person)!.id;
      expect(members.get(person)).toMatchObject({ outcome: 'CANCELLED', deliveryId: id, deliveryStatus: 'CANCELLED', detail: `mail ${id} cancelled before it was sent: ${reason}` });
    }

    // The delivery log finds them by status; a CANCELLED delivery is final: retryDelivery refuses it, saying why.
    const log = (await app.admin(DELIVERIES, { f: { status: 'CANCELLED' } })).deliveries;
    expect(log.totalCount).toBe(5);
    const retry = await app.gql(RETRY, { input: { id: mails.get('rd-revoked')!.id } }, app.token(Role.ADMIN, 'admin'));
    expect(retry.errors?.[0].extensions.code).toBe('CONFLICT');
    expect(retry.errors?.[0].message).toBe(
      `Delivery ${mails.get('rd-revoked')!.id} is CANCELLED (no longer a manager of rd-app): its person no longer receives it, so it is not sent again; only a FAILED one can be retried`,
    );
    expect((await eventOf(app, event.id)).deliveries.find((d) => d.recipientId === 'rd-revoked')!.status).toBe('CANCELLED');

    // Not failures: /metrics counts them as CANCELLED, none FAILED.
    const metrics = await scrape(app.url);
    expect(metrics('herald_deliveries_total', { status: 'CANCELLED' })).toBe(5);
    expect(metrics('herald_deliveries_total', { status: 'FAILED' })).toBe(0);
    expect(metrics('herald_deliveries_total', { status: 'SENT' })).toBe(2);
  });

  it('SMTP not configured, then people change: once it is, the same check before the mails go', async () => {
    const app = await start();
    await seedApplication(app, { id: 'nc-app', name: 'Billing' }, [{ id: 'nc-keep' }, { id: 'nc-revoked' }, { id: 'nc-moved' }]);
    const event = failed('nc-app');
    expect(await publish(app, event)).toBe(3);
    await eventually(async () => {
      const { deliveries } = await eventOf(app, event.id);
      expect(deliveries.map((d) => [d.status, d.lastError])).toEqual(deliveries.map(() => ['WAITING', expect.stringMatching(/SMTP is not configured/)]));
    });
    await revoke(app, 'nc-revoked', 'nc-app');
    await as(app, 'nc-moved', PROFILE, { email: 'nc-moved.new@example.net' });

    const relay = await sinkAt();
    await app.admin(UPDATE_SMTP, { input: relayAt(relay.port) });
    await eventually(async () => {
      const { deliveries } = await eventOf(app, event.id);
      expect(deliveries.map((d) => [d.recipientId, d.status, d.lastError])).toEqual([
        ['nc-keep', 'SENT', null],
        ['nc-revoked', 'CANCELLED', 'no longer a manager of nc-app'],
        ['nc-moved', 'SENT', null],
      ]);
    });
    expect(relay.received.map((m) => m.to.join()).sort()).toEqual(['nc-keep@example.com', 'nc-moved.new@example.net']);
  });

  it("a digest leaves out what its person no longer reads, goes to their address now, and is CANCELLED when nothing is left", async () => {
    const relay = await sinkAt();
    const app = await start();
    await app.admin(UPDATE_SMTP, { input: relayAt(relay.port) });
    await seedApplication(app, { id: 'dg-a', name: 'Billing' }, [{ id: 'dg-ann' }, { id: 'dg-bob' }]);
    await seedApplication(app, { id: 'dg-b', name: 'Reports' }, [{ id: 'dg-ann' }]);
    for (const person of ['dg-ann', 'dg-bob']) await as(app, person, SET_PREF, { eventType: 'JOB_FAILED', frequency: 'DIGEST_HOURLY' });
    const [inA, inB] = [failed('dg-a'), failed('dg-b')];
    expect(await publish(app, inA)).toBe(0); // both wait for their digest
    expect(await publish(app, inB)).toBe(0);

    await revoke(app, 'dg-ann', 'dg-a'); // ann keeps dg-b
    await as(app, 'dg-ann', PROFILE, { email: 'dg-ann.new@example.net' });
    await as(app, 'dg-bob', PROFILE, { notificationsEnabled: false }); // bob's digest would list dg-a's event only

    // The hour ends: the windows are moved into the past (rather than waiting an hour), and closed as the minute's sweep would.
    const entries = app.app.get(DataSource).getRepository(DigestEntryEntity);
    const past = Date.now() - 60_000;
    await entries.update({ recipientId: In(['dg-ann', 'dg-bob']) }, { windowStart: new Date(past - 3_600_000), windowEnd: new Date(past) });
    expect(await app.app.get(Digests).sweep()).toBe(2);

    const [digest] = await relay.waitFor(1);
    expect(digest.to).toEqual(['dg-ann.new@example.net']);
    expect(digest.parsed.subject).toBe('Your Herald digest: 1 event in 1 application');
    expect(digest.parsed.text).toContain('(dg-b)');
    expect(digest.parsed.text).not.toContain('(dg-a)');

    const ann = await eventually(async () => {
      const log = (await app.admin(DELIVERIES, { f: { recipientId: 'dg-ann' } })).deliveries.edges.map((e: { node: Delivery }) => e.node) as Delivery[];
      expect(log.map((d) => `${d.kind} ${d.status}`).sort()).toEqual(['DIGEST SENT', 'EVENT CANCELLED']);
      return log;
    });
    const annDigest = ann.find((d) => d.kind === 'DIGEST')!;
    expect(annDigest).toMatchObject({ eventIds: [inB.id], recipientEmail: 'dg-ann.new@example.net' });
    const annLeftOut = ann.find((d) => d.kind === 'EVENT')!;
    expect(annLeftOut).toMatchObject({ eventIds: [inA.id], status: 'CANCELLED', attempts: 0, lastError: 'no longer a manager of dg-a' });

    const bob = (await app.admin(DELIVERIES, { f: { recipientId: 'dg-bob' } })).deliveries.edges.map((e: { node: Delivery }) => e.node) as Delivery[];
    expect(bob).toEqual([expect.objectContaining({ kind: 'DIGEST', eventIds: [inA.id], status: 'CANCELLED', attempts: 0, lastError: 'notifications switched off' })]);
    expect(relay.received).toHaveLength(1);

    // event(id)'s audience: ann and bob were each to have dg-a's event in a digest; neither got it, and it says why.
    const members = byPerson((await eventOf(app, inA.id)).audience);
    expect(members.get('dg-ann')).toMatchObject({ outcome: 'CANCELLED', deliveryId: annLeftOut.id, deliveryStatus: 'CANCELLED', detail: `mail ${annLeftOut.id} cancelled before it was sent: no longer a manager of dg-a` });
    expect(members.get('dg-bob')).toMatchObject({ outcome: 'CANCELLED', deliveryStatus: 'CANCELLED', detail: expect.stringMatching(/^digest mail \d+ cancelled before it was sent: notifications switched off$/) });
    expect(byPerson((await eventOf(app, inB.id)).audience).get('dg-ann')).toMatchObject({ outcome: 'IN_DIGEST', deliveryId: annDigest.id, deliveryStatus: 'SENT' });
  });

  it("a cap summary whose person lost the application by the window's end is not sent: CANCELLED, with the reason", async () => {
    const relay = await sinkAt();
    const app = await start({ MAIL_CAP_COUNT: '1', MAIL_CAP_WINDOW_MS: '5000' });
    await app.admin(UPDATE_SMTP, { input: relayAt(relay.port) });
    await seedApplication(app, { id: 'cs-app', name: 'Billing' }, [{ id: 'cs-ann' }]);
    const events = [failed('cs-app'), failed('cs-app'), failed('cs-app')];
    // The first is mailed (or, if the revocation comes first, cancelled); the two others wait for the window's summary.
    expect([await publish(app, events[0]), await publish(app, events[1]), await publish(app, events[2])]).toEqual([1, 0, 0]);
    await revoke(app, 'cs-ann', 'cs-app');

    const summary = await eventually(async () => {
      const log = (await app.admin(DELIVERIES, { f: { recipientId: 'cs-ann' } })).deliveries.edges.map((e: { node: Delivery }) => e.node) as Delivery[];
      const found = log.find((d) => d.kind === 'CAP_SUMMARY');
      expect(found).toBeDefined();
      return found!;
    }, 20_000);
    expect(summary).toMatchObject({ status: 'CANCELLED', attempts: 0, lastError: 'no longer a manager of cs-app', eventIds: [events[2].id, events[1].id] });
    await new Promise((r) => setTimeout(r, 300));
    expect(relay.received.filter((m) => m.parsed.headers.get('x-herald-event-id') !== events[0].id)).toEqual([]); // no summary
    expect(byPerson((await eventOf(app, events[1].id)).audience).get('cs-ann')).toMatchObject({ outcome: 'CANCELLED', deliveryId: summary.id, deliveryStatus: 'CANCELLED' });
  }, 30_000);
});
