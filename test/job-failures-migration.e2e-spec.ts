import { Role } from '../src/auth/role.enum';
import { JobFailures1764000000015 } from '../src/database/migrations/1764000000015-job-failures';
import { MIGRATIONS } from '../src/database/migrations';
import { runMigrations } from '../src/database/prepare-database';
import { DATABASE_KIND, HeraldTestApp, removeStorage, type TestStorage } from './support/herald-test-app';
import { openMigrationDatabase } from './support/migration-database';
import { eventually, seedApplication } from './support/people';
import { type ReceivedMail, SmtpSink } from './support/smtp-sink';

/**
 * Migration 1764000000015 (the failures of the current row, each at its time) on
 * a database whose job_outcomes the code before it wrote: the rows go on, counted
 * as before, through the mails of the events published after it.
 */

const BEFORE = MIGRATIONS.slice(0, MIGRATIONS.indexOf(JobFailures1764000000015));
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId } }';

/** job_outcomes as the code before wrote them: analysis failing 3 times in a row since 9:00, snapshot fine since 9:20. */
async function writeOldDatabase(storage: TestStorage): Promise<void> {
  const { db, table, params } = await openMigrationDatabase(storage, BEFORE);
  try {
    expect(await runMigrations(db)).toEqual(BEFORE.map((m) => new m().name));
    const insert = `INSERT INTO ${table('job_outcomes')} (application_id, job_kind, last_outcome, last_occurred_at, failures_in_row, first_failure_at) VALUES (${params(6)})`;
    await db.query(insert, ['mig-app', 'analysis', 'FAILED', '2026-11-24T09:30:00.000Z', 3, '2026-11-24T09:00:00.000Z']);
    await db.query(insert, ['mig-app', 'snapshot', 'SUCCEEDED', '2026-11-24T09:20:00.000Z', 0, null]);
  } finally {
    await db.destroy();
  }
}

let seq = 0;
const outcome = (type: 'JOB_FAILED' | 'JOB_SUCCEEDED', kind: string, minute: number) => ({
  schemaVersion: 1,
  id: `mig-${process.pid}-${++seq}`,
  type,
  occurredAt: new Date(Date.UTC(2026, 10, 24, 9, minute)).toISOString(),
  application: { id: 'mig-app', name: 'Migrated' },
  job: { id: `job-${seq}`, kind },
  ...(type === 'JOB_FAILED' ? { error: { message: 'Out of memory' } } : {}),
});

describe(`migration 1764000000015, the failures of a row each at its time, on a database with outcomes (${DATABASE_KIND})`, () => {
  let sink: SmtpSink;
  let app: HeraldTestApp;
  const storage = HeraldTestApp.freshStorage();

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    await writeOldDatabase(storage);
    app = await HeraldTestApp.start(sink.relayEnv(), storage);
    await seedApplication(app, { id: 'mig-app', name: 'Migrated' }, [{ id: 'mig-ann' }]);
  });
  afterAll(async () => {
    await app?.close();
    if (!app) await removeStorage(storage);
    await sink.stop();
  });

  const mailAbout = (id: string): Promise<ReceivedMail> =>
    eventually(async () => {
      const mail = sink.received.find((m) => m.parsed.headers.get('x-herald-event-id') === id);
      if (!mail) throw new Error(`no mail about ${id} yet`);
      return mail;
    });
  const publish = async (e: ReturnType<typeof outcome>) => {
    const res = await app.gql(PUBLISH, { input: e }, app.token(Role.SERVICE, 'console'));
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return (await mailAbout(e.id)).parsed;
  };

  it('goes on with a row of failures recorded before: a late failure takes its place in it, the next is the 5th, the fix after 5 since 9:00', async () => {
    // The 3 failures from before are at 9:00, 9:00 (its time was not kept) and 9:30.
    const late = await publish(outcome('JOB_FAILED', 'analysis', 20));
    expect(late.subject).toBe('[Migrated] Analysis still failing (3rd failure in a row)');
    const failed = await publish(outcome('JOB_FAILED', 'analysis', 40));
    expect(failed.subject).toBe('[Migrated] Analysis still failing (5th failure in a row)');
    expect(failed.text).toMatch(/the 5th failure in a row, the first on Nov 24, 2026, 9:00\sAM UTC\./);
    const fixed = await publish(outcome('JOB_SUCCEEDED', 'analysis', 50));
    expect(fixed.subject).toBe('[Migrated] Analysis fixed after 5 failures');
  });

  it('keeps a success recorded before as the latest: a success older than it is no fix, a failure after it starts a row', async () => {
    expect((await publish(outcome('JOB_SUCCEEDED', 'snapshot', 10))).subject).toBe('[Migrated] Snapshot succeeded');
    expect((await publish(outcome('JOB_FAILED', 'snapshot', 15))).subject).toBe('[Migrated] Snapshot failed'); // before the success of 9:20
    expect((await publish(outcome('JOB_FAILED', 'snapshot', 30))).subject).toBe('[Migrated] Snapshot failed');
    expect((await publish(outcome('JOB_FAILED', 'snapshot', 35))).subject).toBe('[Migrated] Snapshot still failing (2nd failure in a row)');
  });
});
