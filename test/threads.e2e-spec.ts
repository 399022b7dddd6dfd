import { Role } from '../src/auth/role.enum';
import { ManualClock } from '../src/clock/manual-clock';
import { readThreadIndex } from '../src/email/mail-thread';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { type ReceivedMail, SmtpSink } from './support/smtp-sink';

const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';

let seq = 0;
const at = (minute: number) => new Date(Date.UTC(2026, 10, 24, 9, minute)).toISOString();
function jobEvent(type: 'JOB_FAILED' | 'JOB_SUCCEEDED', applicationId: string, jobId: string, minute: number, kind = 'analysis') {
  return {
    schemaVersion: 1,
    id: `thread-${process.pid}-${++seq}`,
    type,
    occurredAt: at(minute),
    application: { id: applicationId, name: `Billing ${applicationId}` },
    job: { id: jobId, kind },
    ...(type === 'JOB_FAILED' ? { error: { message: 'Out of memory', step: 'Run analyzer' } } : {}),
  };
}
const newVersion = (applicationId: string, minute: number) => ({
  schemaVersion: 1,
  id: `thread-${process.pid}-${++seq}`,
  type: 'VERSION_CREATED',
  occurredAt: at(minute),
  application: { id: applicationId, name: `Billing ${applicationId}` },
  version: { name: 'v2' },
});

/** A header of a received mail as it came, unfolded. */
const header = (mail: ReceivedMail, key: string): string => {
  const head = String(mail.raw).split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  return new RegExp(`^${key}: (.*)$`, 'im').exec(head)?.[1] ?? '';
};
const ids = (value: string) => value.match(/<[^>]+>/g) ?? [];

/**
 * One conversation per application and job kind, as the mails arrive: the five
 * mails of a week (failed, still failing, fixed, succeeded, a new version) carry
 * References down from the application's root, the job kind's, and their job's;
 * Thread-Topic and Thread-Index (Outlook) name one conversation per job kind;
 * List-Id one list per application.
 */
describe(`mail threads (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const clock = new ManualClock(Date.UTC(2026, 10, 24, 10));
  const publish = async (e: object) => {
    const res = await app.gql(PUBLISH, { input: e }, app.token(Role.SERVICE, 'console'));
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    clock.advance(60_000); // a minute between mails: each its own Thread-Index time
  };
  const mailsAbout = (person: string, events: Array<{ id: string }>) =>
    eventually(async () =>
      events.map((e) => {
        const mail = sink.received.find((m) => m.to.includes(`${person}@example.com`) && m.parsed.headers.get('x-herald-event-id') === e.id);
        if (!mail) throw new Error(`no mail to ${person} about ${e.id} yet`);
        return mail;
      }),
    );

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({}, undefined, { clock });
    await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>' } });
    for (const id of ['thr-1', 'thr-2']) await seedApplication(app, { id, name: `Billing ${id}` }, [{ id: `${id}-ann` }, { id: `${id}-bob` }]);
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it('failed, still failing, fixed, succeeded, a new version: one chain of References; Thread-Topic and Thread-Index per job kind', async () => {
    const events = [
      jobEvent('JOB_FAILED', 'thr-1', 'job-1', 0),
      jobEvent('JOB_FAILED', 'thr-1', 'job-2', 1),
      jobEvent('JOB_SUCCEEDED', 'thr-1', 'job-3', 2),
      jobEvent('JOB_SUCCEEDED', 'thr-1', 'job-4', 3),
      newVersion('thr-1', 4),
    ];
    for (const e of events) await publish(e);
    const mails = await mailsAbout('thr-1-ann', events);
    expect(mails.map((m) => m.parsed.subject)).toEqual([
      '[Billing thr-1] Analysis failed: Run analyzer',
      '[Billing thr-1] Analysis still failing (2nd failure in a row): Run analyzer',
      '[Billing thr-1] Analysis fixed after 2 failures',
      '[Billing thr-1] Analysis succeeded',
      '[Billing thr-1] New version v2',
    ]);
    const refs = mails.map((m) => ids(header(m, 'References')));
    const [appRoot, kindRoot] = refs[0];
    expect(appRoot).toMatch(/^<herald\.thread\.[0-9a-f]{32}@example\.com>$/);
    // Every mail descends from the application's root; the job mails from the job kind's too, then their job's.
    for (const [i, r] of refs.slice(0, 4).entries()) {
      expect(r).toHaveLength(3);
      expect(r.slice(0, 2)).toEqual([appRoot, kindRoot]);
      expect(header(mails[i], 'In-Reply-To')).toBe(r[2]);
      expect(r).not.toContain(mails[i].parsed.messageId); // a root no mail carries: each mail is its own
    }
    expect(new Set(refs.slice(0, 4).map((r) => r[2])).size).toBe(4); // four jobs, four branches
    expect(refs[4]).toEqual([appRoot, expect.stringMatching(/^<herald\.thread\.[0-9a-f]{32}@example\.com>$/)]);
    expect(refs[4][1]).not.toBe(kindRoot);
    expect(header(mails[4], 'In-Reply-To')).toBe(refs[4][1]);
    // Outlook: the same topic and the same 22-byte header for the job kind's mails, a response level each, in order.
    expect(mails.map((m) => header(m, 'Thread-Topic'))).toEqual([...Array(4).fill('Billing thr-1: analysis'), 'Billing thr-1']);
    const indexes = mails.map((m) => header(m, 'Thread-Index'));
    const raw = indexes.map((v) => Buffer.from(v, 'base64'));
    for (const bytes of raw) expect(bytes).toHaveLength(27);
    for (const bytes of raw.slice(1, 4)) expect(bytes.subarray(0, 22).equals(raw[0].subarray(0, 22))).toBe(true);
    expect(raw[4].subarray(6, 22).equals(raw[0].subarray(6, 22))).toBe(false); // the new version: the application's own conversation
    const read = indexes.map(readThreadIndex);
    const sent = mails.map((m) => m.parsed.date!.getTime());
    for (const [i, r] of read.entries()) expect(Math.abs(r.headerTime + r.levels[0] - sent[i])).toBeLessThan(1000); // the level is the time it was sent
    // One list per application.
    const lists = mails.map((m) => header(m, 'List-Id'));
    expect(new Set(lists).size).toBe(1);
    expect(lists[0]).toMatch(/^Billing thr-1 <thr-1\.[0-9a-z]+\.notifications\.example\.com>/);
    // Another reader of the same application gets the same conversation (no state per person).
    const bobs = await mailsAbout('thr-1-bob', events);
    expect(bobs.map((m) => header(m, 'References'))).toEqual(mails.map((m) => header(m, 'References')));
    expect(bobs.map((m) => header(m, 'Thread-Index').slice(0, 28))).toEqual(indexes.map((v) => v.slice(0, 28)));
  });

  it('another application, or another job kind, is another conversation and (application) another list', async () => {
    const first = await mailsAbout('thr-1-ann', [{ id: `thread-${process.pid}-1` }]);
    const events = [jobEvent('JOB_FAILED', 'thr-2', 'job-1', 10), jobEvent('JOB_FAILED', 'thr-1', 'snap-1', 11, 'snapshot')];
    for (const e of events) await publish(e);
    const [other] = await mailsAbout('thr-2-ann', [events[0]]);
    const [snapshot] = await mailsAbout('thr-1-ann', [events[1]]);
    const [appRoot, kindRoot] = ids(header(first[0], 'References'));
    expect(ids(header(other, 'References'))).not.toContain(appRoot);
    expect(header(other, 'List-Id')).not.toBe(header(first[0], 'List-Id'));
    expect(ids(header(snapshot, 'References'))[0]).toBe(appRoot);
    expect(ids(header(snapshot, 'References'))[1]).not.toBe(kindRoot);
    expect(header(snapshot, 'Thread-Topic')).toBe('Billing thr-1: snapshot');
    expect(header(snapshot, 'List-Id')).toBe(header(first[0], 'List-Id'));
  });
});
