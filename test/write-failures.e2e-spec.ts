import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { describeIf, itIf, NEEDS_POSTGRES, NEEDS_SQLITE } from './support/skipped-suites';
import { SmtpSink } from './support/smtp-sink';

/**
 * Writes that fail: a full database (SQLite's max_page_count makes one "full" on
 * demand, without root or a tmpfs) and, on PostgreSQL, a statement that fails at
 * COMMIT (a deferred constraint trigger). An event is acknowledged only once its
 * transaction has committed; a failed write fails exactly the events it carried.
 * What was acknowledged must still be there after a restart, and be mailed once.
 */
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const EVENT = 'query($id: ID!) { event(id: $id) { id deliveries { recipientId status } } }';
const MANAGERS = Array.from({ length: 10 }, (_, i) => ({ id: `manager-${i}` }));

let seq = 0;
function failedEvent(applicationId: string, excerptBytes = 54_000) {
  const n = ++seq;
  return {
    schemaVersion: 1,
    id: `full-${process.pid}-${n}`,
    type: 'JOB_FAILED',
    occurredAt: '2026-11-24T09:42:30Z',
    application: { id: applicationId, name: 'Billing' },
    job: { id: `job-${n}`, kind: 'analysis' },
    error: { message: 'Out of memory', logExcerpt: `log line ${n}\n`.repeat(Math.ceil(excerptBytes / 12)).slice(0, excerptBytes) },
  };
}

interface Publication {
  id: string;
  acknowledged: boolean;
  code?: string;
}

async function publishAll(app: HeraldTestApp, events: ReturnType<typeof failedEvent>[]): Promise<Publication[]> {
  const token = app.token(Role.SERVICE, 'console');
  return Promise.all(
    events.map(async (e) => {
      const res = await app.gql(PUBLISH, { input: e }, token);
      return { id: e.id, acknowledged: !res.errors && res.data?.publishJobEvent?.eventId === e.id, code: res.errors?.[0]?.extensions.code };
    }),
  );
}

/** Every acknowledged event is in the log with one delivery per manager, each mailed exactly once; nothing else is mailed. */
async function expectExactlyAcknowledged(app: HeraldTestApp, sink: SmtpSink, published: Publication[]): Promise<void> {
  const acknowledged = published.filter((p) => p.acknowledged).map((p) => p.id);
  const refused = published.filter((p) => !p.acknowledged).map((p) => p.id);
  for (const id of acknowledged) {
    const { event } = await app.admin(EVENT, { id });
    expect({ id, deliveries: event?.deliveries.length }).toEqual({ id, deliveries: MANAGERS.length });
  }
  for (const id of refused) expect({ id, event: (await app.admin(EVENT, { id })).event }).toEqual({ id, event: null });
  // Every mail of every acknowledged event, not just one of each: the last ones may still be on their way.
  await eventually(async () => expect(sink.received.length).toBeGreaterThanOrEqual(acknowledged.length * MANAGERS.length), 30_000);
  expect(new Set(sink.received.map((m) => m.parsed.headers.get('x-herald-event-id')))).toEqual(new Set(acknowledged));
  const messageIds = sink.received.map((m) => m.parsed.messageId);
  expect(messageIds.length).toBe(new Set(messageIds).size); // none sent twice
  expect(sink.received.length).toBe(acknowledged.length * MANAGERS.length);
}

async function start(sink: SmtpSink, storage?: HeraldTestApp['storage']): Promise<HeraldTestApp> {
  const app = await HeraldTestApp.start({ DISPATCH_SWEEP_INTERVAL_MS: '100', DISPATCH_LEASE_MS: '2000', MAIL_CAP_COUNT: '0' }, storage);
  if (!storage) {
    await app.admin('mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }', {
      input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'herald@example.com', gatewayUri: 'https://console.example.com' },
    });
    await seedApplication(app, { id: 'app-full', name: 'Billing' }, MANAGERS);
    await seedApplication(app, { id: 'app-doomed', name: 'Doomed' }, MANAGERS);
  }
  return app;
}

describeIf(DATABASE_KIND === 'sqlite', NEEDS_SQLITE)('a full database (SQLite, max_page_count)', () => {
  let sink: SmtpSink;
  let app: HeraldTestApp;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await start(sink);
  });
  afterAll(async () => {
    await app?.close();
    await sink.stop();
  });

  const pages = async (pragma: string) => Number(Object.values((await app.app.get(DataSource).query(`PRAGMA ${pragma}`))[0])[0]);

  it('acknowledges only what it committed, says so on /health, and loses nothing acknowledged across a restart', async () => {
    const dataSource = app.app.get(DataSource);
    // Room for a few events: the rest of the burst finds the database full.
    await dataSource.query(`PRAGMA max_page_count = ${(await pages('page_count')) + 120}`);
    const logged: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (logged.push(String(chunk)), true));
    const published = await publishAll(app, Array.from({ length: 80 }, () => failedEvent('app-full')));
    const acknowledged = published.filter((p) => p.acknowledged);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.length).toBeLessThan(published.length);
    for (const p of published.filter((x) => !x.acknowledged)) expect(p.code).toBe('SERVICE_UNAVAILABLE');

    const unhealthy = await request(app.url).get('/health');
    expect(unhealthy.status).toBe(503);
    expect(unhealthy.body).toMatchObject({ status: 'error', database: 'full' });
    write.mockRestore();
    // Said once, clearly, whatever the number of failed writes; and no event's contents in the log.
    expect(logged.filter((line) => line.includes('the database is full'))).toHaveLength(1);
    expect(logged.join('')).not.toContain('log line');

    // Space again: Herald heals by itself, and takes events again.
    await dataSource.query('PRAGMA max_page_count = 1073741823');
    await eventually(async () => expect((await request(app.url).get('/health')).body).toMatchObject({ status: 'ok', database: 'up' }));

    // Then a statement that fails on its own (SQLite rolls back just that statement):
    // the transaction around it must still end, or what follows is never committed.
    await dataSource.query(`CREATE TRIGGER refuse_doomed BEFORE INSERT ON notifications WHEN json_extract(NEW.payload, '$.application.id') = 'app-doomed'
                            BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    const after = await publishAll(app, Array.from({ length: 12 }, (_, i) => failedEvent(i % 3 === 0 ? 'app-doomed' : 'app-full', 100)));
    after.forEach((p, i) => expect({ i, acknowledged: p.acknowledged }).toEqual({ i, acknowledged: i % 3 !== 0 }));

    // What was acknowledged is on disk: a new process over the same file sees it all.
    const mails = (acknowledged.length + 8) * MANAGERS.length;
    await eventually(async () => expect(sink.received.length).toBe(mails), 30_000);
    await app.close({ keepData: true });
    app = await start(sink, app.storage);
    await expectExactlyAcknowledged(app, sink, [...published, ...after]);
  });
  it('keeps the outcomes of mails sent while the database is full, and writes them once it is not: nothing is sent twice', async () => {
    const dataSource = app.app.get(DataSource);
    const before = sink.received.length;
    sink.dataDelayMs = 200; // mails in flight when the database fills
    const published = await publishAll(app, Array.from({ length: 6 }, () => failedEvent('app-full', 100)));
    expect(published.every((p) => p.acknowledged)).toBe(true);
    await dataSource.query(`PRAGMA max_page_count = ${await pages('page_count')}`);
    // Full for longer than a claim lasts: outcomes cannot be written (their rows would
    // need pages), and the claims of what they record run out meanwhile.
    await new Promise((r) => setTimeout(r, 2500));
    expect(sink.received.length).toBeLessThan(before + 60); // workers wait for their outcomes before sending more
    await dataSource.query('PRAGMA max_page_count = 1073741823');
    sink.dataDelayMs = 0;
    await eventually(async () => expect(sink.received.length).toBe(before + 60), 30_000);
    for (const { id } of published) {
      await eventually(async () => {
        const { event } = await app.admin('query($id: ID!) { event(id: $id) { deliveries { status attempts } } }', { id });
        expect(event.deliveries.every((d: { status: string; attempts: number }) => d.status === 'SENT' && d.attempts === 1)).toBe(true);
      }, 30_000);
    }
    await new Promise((r) => setTimeout(r, 2500)); // past the short lease: nothing is claimed and sent again
    const messageIds = sink.received.map((m) => m.parsed.messageId);
    expect(messageIds.length).toBe(new Set(messageIds).size);
  });
});

itIf(DATABASE_KIND === 'sqlite', NEEDS_SQLITE)('names the database file it cannot open', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-unopenable-'));
  try {
    // A directory where the file should be: "unable to open database file", even for root.
    await expect(HeraldTestApp.start({ SQLITE_PATH: dir })).rejects.toThrow(`cannot open the SQLite database ${dir}: unable to open database file`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describeIf(DATABASE_KIND === 'postgres', NEEDS_POSTGRES)('a transaction that fails at COMMIT (PostgreSQL)', () => {
  let sink: SmtpSink;
  let app: HeraldTestApp;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await start(sink);
    // A deferred constraint trigger: the inserts succeed, the COMMIT of a transaction
    // that recorded an event of app-doomed fails.
    const schema = app.storage.schema;
    await app.app.get(DataSource).query(`
      CREATE FUNCTION "${schema}".refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (NEW.payload::json #>> '{application,id}') = 'app-doomed' THEN RAISE EXCEPTION 'refused at commit'; END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER refuse_doomed AFTER INSERT ON "${schema}".notifications
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse_doomed();`);
  });
  afterAll(async () => {
    await app?.close();
    await sink.stop();
  });

  it('fails exactly the events of the failed commit; their neighbours in the same group are acknowledged and mailed once', async () => {
    const events = Array.from({ length: 30 }, (_, i) => failedEvent(i % 3 === 0 ? 'app-doomed' : 'app-full', 2000));
    const published = await publishAll(app, events);
    published.forEach((p, i) => expect({ i, acknowledged: p.acknowledged }).toEqual({ i, acknowledged: i % 3 !== 0 }));
    await app.close({ keepData: true });
    app = await start(sink, app.storage);
    await expectExactlyAcknowledged(app, sink, published);
  });
});
