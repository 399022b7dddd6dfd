import { Role } from '../src/auth/role.enum';
import { ManualClock } from '../src/clock/manual-clock';
import { Digests } from '../src/notifications/digests/digests';
import { DATABASE_KIND, HeraldTestApp, TEST_DATABASE_URL } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { scrape } from './support/prometheus-text';
import { SmtpSink } from './support/smtp-sink';

const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const DELIVERIES = 'query($f: DeliveryFilter) { deliveries(filter: $f, first: 50) { totalCount edges { node { id kind eventIds status messageId } } } }';
const EVENT = 'query($id: ID!) { event(id: $id) { deliveries { id kind recipientId } audience { userId outcome deliveryId digestWindowEnd detail } } }';
const PREVIEW = 'query($t: JobEventType!, $a: ID!) { recipientsPreview(eventType: $t, applicationId: $a) { userId timing when capSummaryAt } }';

const CAP = 5;
const WINDOW_MS = 600_000;
/** Where the apps' clock (one ManualClock, shared) starts: ann's cap window runs from here to 09:10. */
const START = Date.UTC(2026, 10, 24, 9, 0);
let seq = 0;
const failed = (applicationId: string) => {
  const at = new Date(START - 60_000).toISOString();
  return {
    schemaVersion: 1,
    id: `cap-e2e-${process.pid}-${++seq}`,
    type: 'JOB_FAILED',
    occurredAt: at,
    application: { id: applicationId, name: 'Billing' },
    job: { id: `job-${seq}`, kind: 'analysis', startedAt: at, endedAt: at },
    error: { message: 'Out of memory', step: 'Run analyzer' },
  };
};

/**
 * The mail cap through the API, as an admin sees it (MAIL_CAP_COUNT=5 per 10
 * minutes): the mails, the summary, the delivery log, recipientsPreview and
 * /metrics. The apps run on a ManualClock that the test moves to the window's
 * end, so that what is asserted before the end is still before it however slow
 * the machine. On PostgreSQL two Herald apps share the database (and the clock)
 * and the events are published to both at once: the count is shared, and one
 * summary leaves.
 */
describe(`mail cap (${DATABASE_KIND})`, () => {
  let sink: SmtpSink;
  const apps: HeraldTestApp[] = [];
  const clock = new ManualClock(START);
  // The clock jumps minutes at a time: the dispatcher's and the settings' periodic timers stay out of the way.
  const env = { MAIL_CAP_COUNT: String(CAP), MAIL_CAP_WINDOW_MS: String(WINDOW_MS), DISPATCH_SWEEP_INTERVAL_MS: '3600000', SETTINGS_REFRESH_INTERVAL_MS: '3600000' };
  const mailsTo = (person: string) => sink.received.filter((m) => m.to.includes(`${person}@example.com`));
  /** Closes, in every process, the windows ended by the clock's time; resolves once no process is still closing one. */
  const sweepAll = async () => (await Promise.all(apps.map((a) => a.app.get(Digests).sweep()))).reduce((a, b) => a + b, 0);

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    const first = await HeraldTestApp.start(env, undefined, { clock });
    apps.push(first);
    await first.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>' } });
    await seedApplication(first, { id: 'cap-billing', name: 'Billing' }, [{ id: 'cap-ann' }, { id: 'cap-bob' }]);
    if (TEST_DATABASE_URL) apps.push(await HeraldTestApp.start(env, first.storage, { clock }));
  });
  afterAll(async () => {
    for (const app of apps.slice(1).reverse()) await app.close({ keepData: true });
    await apps[0]?.close();
    await sink.stop();
  });

  it('beyond the cap, the rest of the window is one summary mail; the log, the preview and /metrics say so', async () => {
    const [app] = apps;
    // bob wants no failure mails: only ann is capped.
    await app.gql('mutation($input: SetNotificationPreferenceInput!) { setNotificationPreference(input: $input) { id } }', { input: { eventType: 'JOB_FAILED', enabled: false } }, app.token(Role.USER, 'cap-bob'));
    const events = Array.from({ length: 12 }, () => failed('cap-billing'));
    const planned = await Promise.all(
      events.map(async (e, i) => {
        const res = await apps[i % apps.length].gql(PUBLISH, { input: e }, app.token(Role.SERVICE, 'console'));
        if (res.errors) throw new Error(JSON.stringify(res.errors));
        return (res.data as { publishJobEvent: { deliveries: number } }).publishJobEvent.deliveries;
      }),
    );
    // publishJobEvent counts the mails it planned: 5 in all, the other 7 events are folded.
    expect(planned.reduce((a, b) => a + b, 0)).toBe(CAP);
    await eventually(async () => expect(mailsTo('cap-ann')).toHaveLength(CAP));

    // Before the window ends: a folded event waits in ann's summary, and the preview says a mail now would too.
    const foldedIds = events.map((e) => e.id).filter((id) => !mailsTo('cap-ann').some((m) => m.parsed.headers.get('x-herald-event-id') === id));
    expect(foldedIds).toHaveLength(12 - CAP);
    const pending = (await app.admin(EVENT, { id: foldedIds[0] })).event;
    expect(pending.deliveries).toEqual([]);
    const annPending = pending.audience.find((m: { userId: string }) => m.userId === 'cap-ann');
    expect(annPending).toEqual({ userId: 'cap-ann', outcome: 'CAP_SUMMARY_PENDING', deliveryId: null, digestWindowEnd: expect.any(String), detail: expect.stringMatching(/^folded by the mail cap/) });
    expect(annPending.digestWindowEnd).toBe('2026-11-24T09:10:00.000Z'); // the window opened with her first mail, at 09:00
    const preview = (await app.admin(PREVIEW, { t: 'JOB_FAILED', a: 'cap-billing' })).recipientsPreview;
    expect(preview).toEqual([{ userId: 'cap-ann', timing: 'CAP_SUMMARY', when: expect.stringMatching(/^in the cap summary at 2026-11-24 09:10 UTC: they had 5 mails/), capSummaryAt: annPending.digestWindowEnd }]);
    // Each mail is dated when it was written (the apps' clock).
    expect(mailsTo('cap-ann').map((m) => m.parsed.date)).toEqual(Array(CAP).fill(new Date(START)));

    // A millisecond before the window's end, no process has a summary to write.
    clock.advance(WINDOW_MS - 1);
    expect(await sweepAll()).toBe(0);
    expect(mailsTo('cap-ann')).toHaveLength(CAP);

    // At the window's end (the folding process's timer sweeps): exactly one summary with the 7 others (however many processes folded them).
    clock.advance(1);
    const summary = await eventually(async () => {
      const mine = mailsTo('cap-ann');
      expect(mine).toHaveLength(CAP + 1);
      return mine.find((m) => m.parsed.subject === '7 more events for Billing')!;
    });
    expect(summary.parsed.text).toContain('7 more events for Billing: 7 failed');
    expect(summary.parsed.date).toEqual(new Date(START + WINDOW_MS));
    // Every process has closed what it could: still one summary.
    expect(await sweepAll()).toBe(0);

    const log = (await app.admin(DELIVERIES, { f: { recipientId: 'cap-ann' } })).deliveries;
    expect(log.totalCount).toBe(CAP + 1);
    const summaries = log.edges.map((e: { node: Record<string, unknown> }) => e.node).filter((d: { kind: string }) => d.kind === 'CAP_SUMMARY');
    expect(summaries).toHaveLength(1);
    expect([...summaries[0].eventIds].sort()).toEqual([...foldedIds].sort());
    expect(summaries[0].id).toBe(summary.parsed.headers.get('x-herald-delivery-id'));
    // The folded event, asked about again: it went in that mail, nothing waits any more.
    const after = (await app.admin(EVENT, { id: foldedIds[0] })).event;
    expect(after.deliveries).toEqual([{ id: summaries[0].id, kind: 'CAP_SUMMARY', recipientId: 'cap-ann' }]);
    expect(after.audience.find((m: { userId: string }) => m.userId === 'cap-ann')).toMatchObject({ outcome: 'IN_CAP_SUMMARY', deliveryId: summaries[0].id, digestWindowEnd: null });

    // /metrics, summed over the processes.
    let folded = 0;
    let written = 0;
    for (const a of apps) {
      const metrics = await scrape(a.url);
      folded += metrics('herald_cap_folded_events_total');
      written += metrics('herald_cap_summaries_total');
    }
    expect(folded).toBe(12 - CAP);
    expect(written).toBe(1);
  });

  it('refuses a cap that is not a number, naming the variable', async () => {
    await expect(HeraldTestApp.start({ MAIL_CAP_COUNT: 'lots' })).rejects.toThrow(/MAIL_CAP_COUNT/);
    await expect(HeraldTestApp.start({ MAIL_CAP_WINDOW_MS: '-1' })).rejects.toThrow(/MAIL_CAP_WINDOW_MS/);
  });
});
