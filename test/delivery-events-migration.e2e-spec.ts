import { parseJobEvent } from '@herald/contracts';
import { Role } from '../src/auth/role.enum';
import { DeliveryEvents1764000000004 } from '../src/database/migrations/1764000000004-delivery-events';
import { MIGRATIONS } from '../src/database/migrations';
import { runMigrations } from '../src/database/prepare-database';
import { DATABASE_KIND, HeraldTestApp, removeStorage, type TestStorage } from './support/herald-test-app';
import { openMigrationDatabase } from './support/migration-database';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

/**
 * Migration 1764000000004 (a delivery refers to one or more events; the event is
 * stored once) on a database that already has events and deliveries: written as
 * the code before it wrote them, then read back through GraphQL and sent by the
 * dispatcher after the migration.
 */

const BEFORE = MIGRATIONS.slice(0, MIGRATIONS.indexOf(DeliveryEvents1764000000004));
const DELIVERY = 'id eventId eventIds eventType applicationId recipientId recipientEmail status attempts nextAttemptAt lastReply lastError messageId sentAt createdAt updatedAt';
const EVENT = `query($id: ID!) { event(id: $id) { id type schemaVersion application { id name } occurredAt receivedAt source recipients deliveries { ${DELIVERY} } } }`;
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';

const iso = (stored: string) => `${stored.replace(' ', 'T')}Z`;
const HOUR_AHEAD = new Date(Date.now() + 3_600_000).toISOString().replace('T', ' ').slice(0, 23);

/** The events as producers sent them. */
const EVENTS = {
  failed: {
    schemaVersion: 1, id: 'evt-old-failed', type: 'JOB_FAILED', occurredAt: '2026-11-20T10:15:00+01:00',
    application: { id: 'billing', name: 'Billing' },
    job: { id: 'job-7', kind: 'analysis' }, error: { message: 'Out of memory', step: 'scan' },
  },
  version: {
    schemaVersion: 1, id: 'evt-old-version', type: 'VERSION_CREATED', occurredAt: '2026-11-21T08:00:00Z',
    application: { id: 'shop', name: 'Shop' }, version: { name: '2.0' }, createdBy: { id: 'carol', name: 'Carol' },
  },
  quiet: { schemaVersion: 1, id: 'evt-old-quiet', type: 'APPLICATION_CREATED', occurredAt: '2026-11-22T12:00:00Z', application: { id: 'quiet', name: 'Quiet' } },
  stopped: {
    schemaVersion: 1, id: 'evt-old-stopped', type: 'JOB_STOPPED', occurredAt: '2026-11-23T16:30:00.250Z',
    application: { id: 'billing', name: 'Billing' }, job: { id: 'job-8', kind: 'snapshot' }, stoppedBy: { id: 'ann' },
  },
};

interface OldEvent { event: (typeof EVENTS)[keyof typeof EVENTS]; receivedAt: string; source: string }
const INBOX: OldEvent[] = [
  { event: EVENTS.failed, receivedAt: '2026-11-20 09:15:00.120', source: 'broker' },
  { event: EVENTS.version, receivedAt: '2026-11-21 08:00:00.500', source: 'graphql' },
  { event: EVENTS.quiet, receivedAt: '2026-11-22 12:00:01.000', source: 'emitter' },
  { event: EVENTS.stopped, receivedAt: '2026-11-23 16:30:01.000', source: 'graphql' },
];

/** Deliveries in every state the old code left them in (`stable`: the dispatcher leaves it as it is). */
const OLD_DELIVERIES = [
  { event: EVENTS.failed, recipient: 'ann', name: 'Ann', status: 'SENT', attempts: 1, next: '2026-11-20 09:15:00.130', lastReply: '250 2.0.0 OK', lastError: null, messageId: '<herald.a.1@example.com>', sentAt: '2026-11-20 09:15:00.400', stable: true },
  { event: EVENTS.failed, recipient: 'bob', name: null, status: 'FAILED', attempts: 3, next: '2026-11-20 09:20:00.000', lastReply: '550 5.1.1 unknown user', lastError: 'rejected', messageId: null, sentAt: null, stable: true },
  { event: EVENTS.version, recipient: 'carol', name: 'Carol', status: 'PENDING', attempts: 0, next: '2026-11-21 08:00:00.510', lastReply: null, lastError: null, messageId: null, sentAt: null, stable: false },
  { event: EVENTS.version, recipient: 'dan', name: null, status: 'WAITING', attempts: 0, next: '2026-11-21 08:00:00.510', lastReply: null, lastError: 'waiting: SMTP is not configured', messageId: null, sentAt: null, stable: false },
  { event: EVENTS.stopped, recipient: 'erin', name: 'Erin', status: 'RETRY', attempts: 2, next: HOUR_AHEAD, lastReply: '451 4.3.0 try later', lastError: 'busy', messageId: null, sentAt: null, stable: true },
];

/** Writes the database as the code before the migration did: schema, inbox, notifications, deliveries. */
async function writeOldDatabase(storage: TestStorage): Promise<number[]> {
  const { db, insert } = await openMigrationDatabase(storage, BEFORE);
  try {
    expect(await runMigrations(db)).toEqual(BEFORE.map((m) => new m().name));
    for (const { event, receivedAt, source } of INBOX) {
      const parsed = parseJobEvent(event);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
      await insert('notifications', { event_id: event.id, event_type: event.type, payload: JSON.stringify(parsed.event), created_at: receivedAt });
      await insert('job_events', {
        id: event.id, type: event.type, schema_version: 1, application_id: event.application.id, application_name: event.application.name,
        occurred_at: new Date(event.occurredAt).toISOString().replace('T', ' ').slice(0, 23), received_at: receivedAt, source,
        recipients: OLD_DELIVERIES.filter((d) => d.event === event).length,
      });
    }
    // The people and applications the deliveries are for, managers still: each delivery's reader
    // is asked again when it is sent, and a delivery to nobody Herald knows would be cancelled.
    const applications = new Map<string, number>();
    for (const { event } of INBOX) {
      if (!applications.has(event.application.id)) applications.set(event.application.id, await insert('applications', { external_id: event.application.id, name: event.application.name }));
    }
    for (const d of OLD_DELIVERIES) {
      const user = await insert('users', { external_id: d.recipient, display_name: d.name, email: `${d.recipient}@example.com`, notifications_enabled: true });
      await insert('memberships', { application_id: applications.get(d.event.application.id), role: 'MANAGE', user_id: user });
    }
    const ids: number[] = [];
    for (const d of OLD_DELIVERIES) {
      const at = INBOX.find((i) => i.event === d.event)!.receivedAt;
      ids.push(
        await insert('deliveries', {
          event_id: d.event.id, event_type: d.event.type, application_id: d.event.application.id, recipient_id: d.recipient,
          recipient_email: `${d.recipient}@example.com`, recipient_name: d.name, recipient_locale: null, status: d.status, attempts: d.attempts,
          next_attempt_at: d.next, last_reply: d.lastReply, last_error: d.lastError, message_id: d.messageId, sent_at: d.sentAt, created_at: at, updated_at: d.sentAt ?? at,
        }),
      );
    }
    return ids;
  } finally {
    await db.destroy();
  }
}

describe(`migration 1764000000004, deliveries that refer to events, on a database with rows (${DATABASE_KIND})`, () => {
  let sink: SmtpSink;
  let app: HeraldTestApp;
  let ids: number[];
  const storage = HeraldTestApp.freshStorage();

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    ids = await writeOldDatabase(storage);
    app = await HeraldTestApp.start(
      { ...sink.relayEnv(), DISPATCH_SWEEP_INTERVAL_MS: '100' },
      storage,
    );
  });
  afterAll(async () => {
    await app?.close();
    if (!app) await removeStorage(storage);
    await sink.stop();
  });

  /** A delivery as the log must show it: every field as the old code wrote it. */
  const asLogged = (d: (typeof OLD_DELIVERIES)[number], id: number) => {
    const at = INBOX.find((i) => i.event === d.event)!.receivedAt;
    return {
      id: String(id), eventId: d.event.id, eventIds: [d.event.id], eventType: d.event.type, applicationId: d.event.application.id,
      recipientId: d.recipient, recipientEmail: `${d.recipient}@example.com`, status: d.status, attempts: d.attempts,
      nextAttemptAt: d.status === 'RETRY' || d.status === 'PENDING' ? iso(d.next) : null, lastReply: d.lastReply, lastError: d.lastError,
      messageId: d.messageId, sentAt: d.sentAt && iso(d.sentAt), createdAt: iso(at), updatedAt: iso(d.sentAt ?? at),
    };
  };

  it('keeps every delivery, field for field, in the delivery log', async () => {
    const log = (await app.admin(`{ deliveries(first: 100) { totalCount edges { node { ${DELIVERY} } } } }`)).deliveries;
    expect(log.totalCount).toBe(OLD_DELIVERIES.length);
    expect(log.edges.map((e: { node: { id: string } }) => Number(e.node.id))).toEqual([...ids].reverse());
    const shown = new Map<string, unknown>(log.edges.map((e: { node: { id: string } }) => [e.node.id, e.node]));
    OLD_DELIVERIES.forEach((d, i) => {
      if (d.stable) expect(shown.get(String(ids[i]))).toEqual(asLogged(d, ids[i]));
      else expect(shown.get(String(ids[i]))).toMatchObject({ eventId: d.event.id, eventIds: [d.event.id], recipientId: d.recipient, eventType: d.event.type });
    });
    // The filters see the old rows too.
    const count = async (filter: string) => (await app.admin(`{ deliveries(filter: ${filter}) { totalCount } }`)).deliveries.totalCount;
    expect(await count('{ eventType: JOB_FAILED }')).toBe(2);
    expect(await count('{ applicationId: "billing" }')).toBe(3);
    expect(await count('{ recipientId: "erin", status: RETRY }')).toBe(1);
    expect(await count('{ from: "2026-11-21T00:00:00Z", to: "2026-11-22T00:00:00Z" }')).toBe(2);
    const own = await app.gql('{ deliveries { totalCount edges { node { eventId recipientId } } } }', {}, app.token(Role.USER, 'erin'));
    expect(own.data?.deliveries).toEqual({ totalCount: 1, edges: [{ node: { eventId: EVENTS.stopped.id, recipientId: 'erin' } }] });
  });

  it('keeps every event, with its deliveries, as event(id) showed it', async () => {
    for (const { event, receivedAt, source } of INBOX) {
      const mine = OLD_DELIVERIES.map((d, i) => ({ d, id: ids[i] })).filter(({ d }) => d.event === event);
      const shown = (await app.admin(EVENT, { id: event.id })).event;
      expect(shown).toMatchObject({
        id: event.id, type: event.type, schemaVersion: 1, application: event.application, occurredAt: new Date(event.occurredAt).toISOString(),
        receivedAt: iso(receivedAt), source, recipients: mine.length,
      });
      expect(shown.deliveries.map((d: { id: string }) => Number(d.id))).toEqual(mine.map(({ id }) => id));
      mine.forEach(({ d, id }, i) => d.stable && expect(shown.deliveries[i]).toEqual(asLogged(d, id)));
    }
  });

  it('sends the deliveries that were due, as the old code would have: the same event, the same delivery id', async () => {
    const due = OLD_DELIVERIES.map((d, i) => ({ d, id: ids[i] })).filter(({ d }) => d.status === 'PENDING' || d.status === 'WAITING');
    await eventually(async () => expect(sink.received).toHaveLength(due.length));
    for (const { d, id } of due) {
      const mail = sink.received.find((m) => m.to[0] === `${d.recipient}@example.com`)!;
      expect(mail.parsed.headers.get('x-herald-event-id')).toBe(d.event.id);
      expect(mail.parsed.headers.get('x-herald-delivery-id')).toBe(String(id));
      expect(mail.parsed.subject).toBe('[Shop] New version 2.0');
    }
    await eventually(async () =>
      expect((await app.admin(EVENT, { id: EVENTS.version.id })).event.deliveries.map((d: { status: string; attempts: number }) => [d.status, d.attempts])).toEqual([
        ['SENT', 1],
        ['SENT', 1],
      ]),
    );
  });

  it('retries an old FAILED delivery, and plans new events after the old ones', async () => {
    const bob = ids[OLD_DELIVERIES.findIndex((d) => d.recipient === 'bob')];
    await app.admin('mutation($input: RetryDeliveryInput!) { retryDelivery(input: $input) { id } }', { input: { id: String(bob) } });
    await eventually(async () => expect(sink.received.find((m) => m.to[0] === 'bob@example.com')?.parsed.headers.get('x-herald-event-id')).toBe(EVENTS.failed.id));

    await seedApplication(app, { id: 'fresh', name: 'Fresh' }, [{ id: 'gina' }]);
    const fresh = { ...EVENTS.quiet, id: 'evt-new', type: 'JOB_SUCCEEDED', application: { id: 'fresh', name: 'Fresh' }, job: { id: 'job-9', kind: 'analysis' } };
    expect((await app.gql(PUBLISH, { input: fresh }, app.token(Role.SERVICE, 'console'))).data?.publishJobEvent).toEqual({ eventId: 'evt-new', deliveries: 1 });
    const [delivery] = (await app.admin(EVENT, { id: 'evt-new' })).event.deliveries;
    expect(Number(delivery.id)).toBeGreaterThan(Math.max(...ids));
    await eventually(async () => expect(sink.received.find((m) => m.to[0] === 'gina@example.com')?.parsed.headers.get('x-herald-delivery-id')).toBe(delivery.id));
  });
});

describe(`migration 1764000000004 undone (${DATABASE_KIND})`, () => {
  it('gives every delivery its event back, and the inbox its columns, as they were', async () => {
    const storage = HeraldTestApp.freshStorage();
    await writeOldDatabase(storage);
    // Up to this migration only: the ones after it are not what is undone here.
    const { db, table } = await openMigrationDatabase(storage, [...BEFORE, DeliveryEvents1764000000004]);
    try {
      const read = async () => ({
        inbox: await db.query(`SELECT * FROM ${table('job_events')} ORDER BY id`),
        deliveries: await db.query(`SELECT * FROM ${table('deliveries')} ORDER BY id`),
      });
      const before = await read();
      // 0004 and every later migration run; undoing them all, last first, undoes 0004 last.
      const ran = await runMigrations(db);
      expect(ran[0]).toBe('DeliveryEvents1764000000004');
      for (let i = 0; i < ran.length; i++) await db.undoLastMigration({ transaction: 'each' });
      expect(await read()).toEqual(before);
    } finally {
      await db.destroy();
      await removeStorage(storage);
    }
  });
});
