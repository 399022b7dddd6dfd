import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { type ReceivedMail, SmtpSink } from './support/smtp-sink';

const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const EVENT = 'query($id: ID!) { event(id: $id) { type deliveries { eventType recipientId } } }';

let seq = 0;
/** A job outcome of the analysis of `applicationId`, happening `minute` minutes after 09:00. */
function outcome(type: 'JOB_FAILED' | 'JOB_SUCCEEDED', applicationId: string, minute: number) {
  const occurredAt = new Date(Date.UTC(2026, 10, 24, 9, minute)).toISOString();
  return {
    schemaVersion: 1,
    id: `history-${process.pid}-${++seq}`,
    type,
    occurredAt,
    application: { id: applicationId, name: `App ${applicationId}` },
    job: { id: `job-${seq}`, kind: 'analysis', startedAt: occurredAt, endedAt: occurredAt },
    ...(type === 'JOB_FAILED' ? { error: { message: 'Out of memory', step: 'Run analyzer' } } : {}),
  };
}

/**
 * The job outcome history as a manager sees it in the mails: "still failing" with
 * the count and the first failure, and a success after failures delivered as
 * JOB_RECOVERED ("fixed") — in the order the events happened, not the order they came.
 */
describe(`job outcome history in the mails (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const publish = async (e: ReturnType<typeof outcome>) => {
    const res = await app.gql(PUBLISH, { input: e }, app.token(Role.SERVICE, 'console'));
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  };
  /** The mails `person` got about these events, in the events' order (one each, waited for). */
  const mailsAbout = (person: string, events: Array<{ id: string }>) =>
    eventually(async () => {
      const mine = sink.received.filter((m) => m.to.includes(`${person}@example.com`));
      return events.map((e) => {
        const mail = mine.find((m) => m.parsed.headers.get('x-herald-event-id') === e.id);
        if (!mail) throw new Error(`no mail to ${person} about ${e.id} yet`);
        return mail;
      });
    });
  const subjects = (mails: ReceivedMail[]) => mails.map((m) => m.parsed.subject);

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start();
    await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>' } });
    for (const id of ['hist-1', 'hist-2', 'hist-3', 'hist-4', 'hist-5', 'hist-6', 'hist-7']) await seedApplication(app, { id, name: `App ${id}` }, [{ id: `${id}-ann` }]);
  });
  afterAll(async () => {
    await app.close();
    await sink.stop();
  });

  it('five failures then a success: one failed, four still failing (n-th in a row, first on …), one fixed after 5 failures', async () => {
    const events = [0, 1, 2, 3, 4].map((m) => outcome('JOB_FAILED', 'hist-1', m));
    events.push(outcome('JOB_SUCCEEDED', 'hist-1', 5));
    for (const e of events) await publish(e);
    const mails = await mailsAbout('hist-1-ann', events);
    expect(subjects(mails)).toEqual([
      '[App hist-1] Analysis failed: Run analyzer',
      '[App hist-1] Analysis still failing (2nd failure in a row): Run analyzer',
      '[App hist-1] Analysis still failing (3rd failure in a row): Run analyzer',
      '[App hist-1] Analysis still failing (4th failure in a row): Run analyzer',
      '[App hist-1] Analysis still failing (5th failure in a row): Run analyzer',
      '[App hist-1] Analysis fixed after 5 failures',
    ]);
    expect(mails[0].parsed.text).not.toContain('Still failing');
    expect(mails[4].parsed.text).toMatch(/Still failing: the 5th failure in a row, the first on Nov 24, 2026, 9:00\sAM UTC\./);
    expect(mails[4].parsed.html).toMatch(/the 5th failure in a row, the first on Nov 24, 2026, 9:00\sAM UTC/);
    expect(mails[5].parsed.text).toMatch(/fixed after 5 failures, failing since Nov 24, 2026, 9:00\sAM UTC/);
    // The delivery log: the event is a JOB_SUCCEEDED, its mail a JOB_RECOVERED.
    const log = (await app.admin(EVENT, { id: events[5].id })).event;
    expect(log).toEqual({ type: 'JOB_SUCCEEDED', deliveries: [{ eventType: 'JOB_RECOVERED', recipientId: 'hist-1-ann' }] });
  });

  it('a failure that comes late, older than a success already recorded, makes no wrong "fixed" and no "still failing"', async () => {
    const failed = outcome('JOB_FAILED', 'hist-2', 10);
    const succeeded = outcome('JOB_SUCCEEDED', 'hist-2', 20);
    const late = outcome('JOB_FAILED', 'hist-2', 15); // happened before the success, arrives after it
    const next = outcome('JOB_SUCCEEDED', 'hist-2', 30);
    for (const e of [failed, succeeded, late, next]) await publish(e);
    expect(subjects(await mailsAbout('hist-2-ann', [failed, succeeded, late, next]))).toEqual([
      '[App hist-2] Analysis failed: Run analyzer',
      '[App hist-2] Analysis fixed after 1 failure',
      '[App hist-2] Analysis failed: Run analyzer',
      '[App hist-2] Analysis succeeded', // the late failure did not start a new row
    ]);
  });

  it('a success that comes before the failures it followed is no fix; failures counted in the order they happened', async () => {
    const succeeded = outcome('JOB_SUCCEEDED', 'hist-3', 50);
    const earlier = [outcome('JOB_FAILED', 'hist-3', 40), outcome('JOB_FAILED', 'hist-3', 45)];
    const later = outcome('JOB_FAILED', 'hist-3', 55);
    for (const e of [succeeded, ...earlier, later]) await publish(e);
    expect(subjects(await mailsAbout('hist-3-ann', [succeeded, ...earlier, later]))).toEqual([
      '[App hist-3] Analysis succeeded',
      '[App hist-3] Analysis failed: Run analyzer',
      '[App hist-3] Analysis failed: Run analyzer',
      '[App hist-3] Analysis failed: Run analyzer', // first of a new row, after the success
    ]);
  });

  it('a success that comes late between two failures ends their row: the failure after it is the 2nd since it, not the 3rd, and no fix', async () => {
    // Happened: failed 9:01, succeeded 9:02, failed 9:03, failed 9:04, succeeded 9:05. Arrive: 9:01, 9:03, 9:02, 9:04, 9:05.
    const [f1, s2, f3, f4, s5] = [outcome('JOB_FAILED', 'hist-4', 1), outcome('JOB_SUCCEEDED', 'hist-4', 2), outcome('JOB_FAILED', 'hist-4', 3), outcome('JOB_FAILED', 'hist-4', 4), outcome('JOB_SUCCEEDED', 'hist-4', 5)];
    const arrival = [f1, f3, s2, f4, s5];
    for (const e of arrival) await publish(e);
    const mails = await mailsAbout('hist-4-ann', arrival);
    expect(subjects(mails)).toEqual([
      '[App hist-4] Analysis failed: Run analyzer',
      '[App hist-4] Analysis still failing (2nd failure in a row): Run analyzer', // as far as Herald knew then
      '[App hist-4] Analysis succeeded', // late, and a failure after it is known: no fix
      '[App hist-4] Analysis still failing (2nd failure in a row): Run analyzer', // 9:03 and 9:04, after the success of 9:02
      '[App hist-4] Analysis fixed after 2 failures',
    ]);
    expect(mails[3].parsed.text).toMatch(/Still failing: the 2nd failure in a row, the first on Nov 24, 2026, 9:03\sAM UTC\./);
    expect(mails[4].parsed.text).toMatch(/fixed after 2 failures, failing since Nov 24, 2026, 9:03\sAM UTC/);
    expect((await app.admin(EVENT, { id: s2.id })).event).toEqual({ type: 'JOB_SUCCEEDED', deliveries: [{ eventType: 'JOB_SUCCEEDED', recipientId: 'hist-4-ann' }] });
  });

  it('a failure that comes late within a row of failures takes its place in it: counted where it happened', async () => {
    // Happened: failed 9:01, 9:02, 9:03, 9:04, succeeded 9:05. Arrive: 9:01, 9:03, 9:02, 9:04, 9:05.
    const [f1, f2, f3, f4, s5] = [1, 2, 3, 4].map((m) => outcome('JOB_FAILED', 'hist-5', m)).concat(outcome('JOB_SUCCEEDED', 'hist-5', 5));
    const arrival = [f1, f3, f2, f4, s5];
    for (const e of arrival) await publish(e);
    const mails = await mailsAbout('hist-5-ann', arrival);
    expect(subjects(mails)).toEqual([
      '[App hist-5] Analysis failed: Run analyzer',
      '[App hist-5] Analysis still failing (2nd failure in a row): Run analyzer',
      '[App hist-5] Analysis still failing (2nd failure in a row): Run analyzer', // 9:02: the 2nd, after 9:01
      '[App hist-5] Analysis still failing (4th failure in a row): Run analyzer',
      '[App hist-5] Analysis fixed after 4 failures',
    ]);
    expect(mails[2].parsed.text).toMatch(/the 2nd failure in a row, the first on Nov 24, 2026, 9:01\sAM UTC\./);
  });

  it('a success that comes late after a fix already mailed is no second fix', async () => {
    // Happened: failed 9:10, succeeded 9:20, succeeded 9:30, failed 9:40. Arrive: 9:10, 9:30, 9:20, 9:40.
    const [f10, s20, s30, f40] = [outcome('JOB_FAILED', 'hist-6', 10), outcome('JOB_SUCCEEDED', 'hist-6', 20), outcome('JOB_SUCCEEDED', 'hist-6', 30), outcome('JOB_FAILED', 'hist-6', 40)];
    const arrival = [f10, s30, s20, f40];
    for (const e of arrival) await publish(e);
    expect(subjects(await mailsAbout('hist-6-ann', arrival))).toEqual([
      '[App hist-6] Analysis failed: Run analyzer',
      '[App hist-6] Analysis fixed after 1 failure',
      '[App hist-6] Analysis succeeded',
      '[App hist-6] Analysis failed: Run analyzer', // a new row
    ]);
  });

  it('outcomes at the same instant count in the order they came, and each is remembered', async () => {
    const [failed, fixed, again] = [outcome('JOB_FAILED', 'hist-7', 50), outcome('JOB_SUCCEEDED', 'hist-7', 50), outcome('JOB_SUCCEEDED', 'hist-7', 51)];
    for (const e of [failed, fixed, again]) await publish(e);
    expect(subjects(await mailsAbout('hist-7-ann', [failed, fixed, again]))).toEqual([
      '[App hist-7] Analysis failed: Run analyzer',
      '[App hist-7] Analysis fixed after 1 failure',
      '[App hist-7] Analysis succeeded', // fixed once, not twice
    ]);
  });

  it('JOB_RECOVERED is a type of the API that producers cannot publish', async () => {
    const res = await app.gql(PUBLISH, { input: { ...outcome('JOB_SUCCEEDED', 'hist-1', 59), type: 'JOB_RECOVERED' } }, app.token(Role.SERVICE, 'console'));
    expect(res.errors?.[0].message).toMatch(/type/);
    expect(JSON.stringify(res.errors)).not.toContain('Internal');
  });
});
