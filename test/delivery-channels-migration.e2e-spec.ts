import { MIGRATIONS } from '../src/database/migrations';
import { DeliveryChannels1765000000002 } from '../src/database/migrations/1765000000002-delivery-channels';
import { runMigrations } from '../src/database/prepare-database';
import { DATABASE_KIND, HeraldTestApp, removeStorage, type TestStorage } from './support/herald-test-app';
import { openMigrationDatabase } from './support/migration-database';
import { eventually } from './support/people';
import { SmtpSink } from './support/smtp-sink';

/**
 * Migration 1765000000002 (a delivery and a digest entry name their channel and
 * their address on it) on a database with rows written as the code before it
 * wrote them: read back through GraphQL, sent by the dispatcher, and undone.
 */

const BEFORE = MIGRATIONS.slice(0, MIGRATIONS.indexOf(DeliveryChannels1765000000002));
const DELIVERY = 'id recipientId recipientEmail channel address status eventIds kind';
const EVENT = {
  schemaVersion: 1, id: 'evt-before-channels', type: 'VERSION_CREATED', occurredAt: '2026-11-21T08:00:00Z',
  application: { id: 'shop', name: 'Shop' }, version: { name: '2.0' },
};
const AT = '2026-11-21 08:00:00.500';
const WINDOW = { start: '2026-11-21 08:00:00.000', end: '2026-11-21 09:00:00.000' };

/** The database as the code before the migration wrote it: a sent and a pending delivery, a digest closed and one waiting. */
async function writeOldDatabase(storage: TestStorage): Promise<{ sent: number; pending: number; digest: number }> {
  const { db, insert } = await openMigrationDatabase(storage, BEFORE);
  try {
    expect(await runMigrations(db)).toEqual(BEFORE.map((m) => new m().name));
    await insert('notifications', { event_id: EVENT.id, event_type: EVENT.type, payload: JSON.stringify(EVENT), created_at: AT });
    await insert('job_events', { id: EVENT.id, received_at: AT, source: 'graphql' });
    // Whom the deliveries are for, managers of the application still: each delivery's reader is asked
    // again when it is sent, and one for nobody Herald knows would be cancelled.
    const shop = await insert('applications', { external_id: 'shop', name: 'Shop' });
    for (const person of ['ann', 'bob', 'cy', 'di']) {
      const user = await insert('users', { external_id: person, display_name: null, email: `${person}@example.com`, notifications_enabled: true });
      await insert('memberships', { application_id: shop, role: 'MANAGE', user_id: user });
    }
    const delivery = async (recipient: string, status: string, extra: Record<string, unknown> = {}) => {
      const id = await insert('deliveries', {
        event_type: EVENT.type, application_id: 'shop', recipient_id: recipient, recipient_email: `${recipient}@example.com`, recipient_name: null, recipient_locale: null,
        status, attempts: status === 'SENT' ? 1 : 0, next_attempt_at: AT, created_at: AT, updated_at: AT, ...extra,
      });
      await insert('delivery_events', { delivery_id: id, position: 0, event_id: EVENT.id });
      return id;
    };
    const sent = await delivery('ann', 'SENT', { message_id: '<herald.x.1@example.com>', last_reply: '250 OK', sent_at: AT });
    const pending = await delivery('bob', 'PENDING');
    const digest = await delivery('cy', 'SENT', { message_id: '<herald.x.3@example.com>', last_reply: '250 OK', sent_at: AT });
    await insert('digests', { recipient_id: 'cy', window_start: WINDOW.start, window_end: WINDOW.end, closer: 'old', kind: 'DIGEST', delivery_id: digest });
    await insert('digest_entries', {
      recipient_id: 'di', window_start: '2026-11-21 08:00:00.000', window_end: '2099-01-01 00:00:00.000', event_id: EVENT.id, event_type: EVENT.type, application_id: 'shop',
      recipient_email: 'di@example.com', recipient_name: 'Di', recipient_locale: 'fr', recipient_time_zone: 'Europe/Paris', kind: 'DIGEST',
    });
    return { sent, pending, digest };
  } finally {
    await db.destroy();
  }
}

describe(`migration 1765000000002, deliveries addressed by channel, on a database with rows (${DATABASE_KIND})`, () => {
  let sink: SmtpSink;
  let app: HeraldTestApp;
  let ids: { sent: number; pending: number; digest: number };
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

  it('makes every delivery an email one, its address the address it had, in the delivery log', async () => {
    const log = (await app.admin(`{ deliveries(first: 10) { edges { node { ${DELIVERY} } } } }`)).deliveries.edges.map((e: { node: object }) => e.node);
    expect(log).toEqual([
      { id: String(ids.digest), recipientId: 'cy', recipientEmail: 'cy@example.com', channel: 'email', address: 'cy@example.com', status: 'SENT', eventIds: [EVENT.id], kind: 'DIGEST' },
      expect.objectContaining({ id: String(ids.pending), recipientId: 'bob', recipientEmail: 'bob@example.com', channel: 'email', address: 'bob@example.com' }),
      { id: String(ids.sent), recipientId: 'ann', recipientEmail: 'ann@example.com', channel: 'email', address: 'ann@example.com', status: 'SENT', eventIds: [EVENT.id], kind: 'EVENT' },
    ]);
  });

  it('sends the delivery that was due, to the address it had', async () => {
    await eventually(async () => expect(sink.received.map((m) => m.to)).toEqual([['bob@example.com']]));
    expect(sink.received[0].parsed.headers.get('x-herald-delivery-id')).toBe(String(ids.pending));
  });

  it('keeps the digest entry waiting with its channel and address, and the closed window as an email one', async () => {
    const { db, table } = await openMigrationDatabase(storage, []);
    try {
      expect(await db.query(`SELECT channel, address, recipient_time_zone FROM ${table('digest_entries')}`)).toEqual([{ channel: 'email', address: 'di@example.com', recipient_time_zone: 'Europe/Paris' }]);
      expect(await db.query(`SELECT recipient_id, channel FROM ${table('digests')}`)).toEqual([{ recipient_id: 'cy', channel: 'email' }]);
    } finally {
      await db.destroy();
    }
  });
});

describe(`migration 1765000000002 undone (${DATABASE_KIND})`, () => {
  it('gives the tables their columns back as they were, and drops what only another channel could hold', async () => {
    const storage = HeraldTestApp.freshStorage();
    await writeOldDatabase(storage);
    const { db, table, insert } = await openMigrationDatabase(storage, [...BEFORE, DeliveryChannels1765000000002]);
    try {
      const read = async () => ({
        deliveries: await db.query(`SELECT * FROM ${table('deliveries')} ORDER BY id`),
        entries: await db.query(`SELECT * FROM ${table('digest_entries')} ORDER BY id`),
        digests: await db.query(`SELECT * FROM ${table('digests')} ORDER BY id`),
        events: await db.query(`SELECT * FROM ${table('delivery_events')} ORDER BY delivery_id, position`),
      });
      const before = await read();
      expect(await runMigrations(db)).toEqual(['DeliveryChannels1765000000002']);
      // What only the new tables can hold: a delivery, a closed window and a waiting entry of another channel.
      const other = await insert('deliveries', {
        event_type: EVENT.type, application_id: 'shop', recipient_id: 'ann', channel: 'memory', address: 'memory:ann', status: 'SENT', attempts: 1, next_attempt_at: AT, created_at: AT, updated_at: AT,
      });
      await insert('delivery_events', { delivery_id: other, position: 0, event_id: EVENT.id });
      await insert('digests', { recipient_id: 'cy', window_start: WINDOW.start, window_end: WINDOW.end, closer: 'new', kind: 'DIGEST', channel: 'memory', delivery_id: other });
      await insert('digest_entries', {
        recipient_id: 'di', window_start: '2026-11-21 08:00:00.000', window_end: '2099-01-01 00:00:00.000', event_id: EVENT.id, event_type: EVENT.type, application_id: 'shop',
        channel: 'memory', address: 'memory:di', recipient_name: 'Di', recipient_locale: 'fr', recipient_time_zone: 'Europe/Paris', kind: 'DIGEST',
      });
      await db.undoLastMigration({ transaction: 'each' });
      expect(await read()).toEqual(before);
      // One closed window per person, end and kind again.
      await expect(insert('digests', { recipient_id: 'cy', window_start: WINDOW.start, window_end: WINDOW.end, closer: 'again', kind: 'DIGEST', delivery_id: null })).rejects.toThrow(/unique|UNIQUE/);
    } finally {
      await db.destroy();
      await removeStorage(storage);
    }
  });
});
