import { Role } from '../src/auth/role.enum';
import { ManualClock } from '../src/clock/manual-clock';
import { Digests } from '../src/notifications/digests/digests';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const PROFILE = 'mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { id } }';
const QUIET = 'enabled start end weekends timeZone breakThrough source';
const SET_MINE = `mutation($input: SetMyQuietHoursInput!) { setMyQuietHours(input: $input) { ${QUIET} } }`;
const RESET_MINE = `mutation { resetMyQuietHours { ${QUIET} } }`;
const ME = `query { me { quietHours { ${QUIET} } } }`;
const DEFAULTS = `query($applicationId: ID) { quietHoursDefaults(applicationId: $applicationId) { ${QUIET} } }`;
const UPDATE_DEFAULTS = `mutation($input: UpdateQuietHoursDefaultsInput!) { updateQuietHoursDefaults(input: $input) { ${QUIET} } }`;
const AUDIENCE = 'query($id: ID!) { event(id: $id) { audience { userId outcome digestWindowEnd detail } } }';
const AUDIT = 'query { auditLog(filter: { kind: QUIET_HOURS }) { edges { node { kind target actorId fields { field before after } } } } }';

let seq = 0;
function jobEvent(type: 'JOB_FAILED' | 'JOB_SUCCEEDED', applicationId: string, at: number, kind = 'analysis') {
  return {
    schemaVersion: 1,
    id: `quiet-${process.pid}-${++seq}`,
    type,
    occurredAt: new Date(at).toISOString(),
    application: { id: applicationId, name: `App ${applicationId}` },
    job: { id: `job-${seq}`, kind },
    ...(type === 'JOB_FAILED' ? { error: { message: 'Out of memory', step: 'Run analyzer' } } : {}),
  };
}

/** The clock moves by hours: the periodic work that the test does itself (sweeps) or does not need (re-reading settings) runs hourly. */
const QUIET_ENV = { DISPATCH_SWEEP_INTERVAL_MS: '3600000', SETTINGS_REFRESH_INTERVAL_MS: '3600000' };

/**
 * Quiet hours as people see them: set through GraphQL, a success at 23:00 held and a
 * failure let through, the held mail received at 07:00 in the person's zone — on the
 * night the clocks go forward and on the night they go back (Europe/Paris) — folded
 * into one mail when the night held several, and still there after a restart.
 */
describe(`quiet hours (${DATABASE_KIND})`, () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await new SmtpSink().start();
  });
  afterAll(async () => {
    await sink?.stop();
  });
  const mailsTo = (person: string) => sink.received.filter((m) => m.to.includes(`${person}@example.com`));

  /** An app on a ManualClock at `start`, with ann (Europe/Paris, quiet 20:00–07:00) and bob (no quiet hours) managing two applications. */
  async function startApp(start: number, prefix: string) {
    const clock = new ManualClock(start);
    const app = await HeraldTestApp.start(QUIET_ENV, undefined, { clock });
    await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>' } });
    for (const id of [`${prefix}-1`, `${prefix}-2`]) await seedApplication(app, { id, name: `App ${id}` }, [{ id: `${prefix}-ann` }, { id: `${prefix}-bob` }]);
    const ann = app.token(Role.USER, `${prefix}-ann`);
    expect((await app.gql(PROFILE, { input: { timeZone: 'Europe/Paris' } }, ann)).errors).toBeUndefined();
    const set = await app.gql(SET_MINE, { input: { enabled: true, start: '20:00', end: '07:00' } }, ann);
    expect(set.data.setMyQuietHours).toEqual({ enabled: true, start: '20:00', end: '07:00', weekends: false, timeZone: null, breakThrough: ['JOB_FAILED'], source: 'USER' });
    const publish = async (e: ReturnType<typeof jobEvent>) => {
      const res = await app.gql(PUBLISH, { input: e }, app.token(Role.SERVICE, 'console'));
      if (res.errors) throw new Error(JSON.stringify(res.errors));
    };
    /** Moves the clock to `at` and closes what ended by then, as the periodic sweep would. */
    const moveTo = async (at: number) => {
      clock.advance(at - clock.now());
      await app.app.get(Digests).sweep();
    };
    return { app, clock, publish, moveTo };
  }

  it('spring forward (2026-03-29): a success at 23:00 CET held, a failure let through; both held successes in one mail at 07:00 CEST (05:00 UTC)', async () => {
    const eve = Date.UTC(2026, 2, 28, 22); // Sat 23:00 CET
    const { app, publish, moveTo } = await startApp(eve, 'qs');
    try {
      const success = jobEvent('JOB_SUCCEEDED', 'qs-1', eve);
      await publish(success);
      const failure = jobEvent('JOB_FAILED', 'qs-2', eve + 5 * 60_000);
      await publish(failure);
      await eventually(async () => expect(mailsTo('qs-bob')).toHaveLength(2));
      // The failure breaks through; the success waits.
      const ann = await eventually(async () => {
        const mine = mailsTo('qs-ann');
        expect(mine).toHaveLength(1);
        return mine;
      });
      expect(ann[0].parsed.subject).toBe('[App qs-2] Analysis failed: Run analyzer');
      const audience = (await app.admin(AUDIENCE, { id: success.id })).event.audience as Array<Record<string, unknown>>;
      expect(audience.find((m) => m.userId === 'qs-ann')).toMatchObject({ outcome: 'QUIET_HOURS_PENDING', digestWindowEnd: '2026-03-29T05:00:00.000Z', detail: expect.stringMatching(/quiet hours/) });
      // Another success in the night (02:30 CET does not exist: 01:30 UTC is 03:30 CEST).
      await moveTo(Date.UTC(2026, 2, 29, 1, 30));
      await publish(jobEvent('JOB_SUCCEEDED', 'qs-2', Date.UTC(2026, 2, 29, 1, 30), 'snapshot'));
      await eventually(async () => expect(mailsTo('qs-bob')).toHaveLength(3));
      // 06:59:59 CEST: still quiet (at 06:00 CET, had the clocks not changed, it would have ended).
      await moveTo(Date.UTC(2026, 2, 29, 5) - 1000);
      expect(mailsTo('qs-ann')).toHaveLength(1);
      await moveTo(Date.UTC(2026, 2, 29, 5));
      const morning = await eventually(async () => {
        const mine = mailsTo('qs-ann');
        expect(mine).toHaveLength(2);
        return mine[1];
      });
      expect(morning.parsed.subject).toBe('Your Herald digest: 2 events in 2 applications');
      expect(morning.parsed.date).toEqual(new Date(Date.UTC(2026, 2, 29, 5)));
      expect(morning.parsed.text).toContain('App qs-1');
      expect(morning.parsed.text).toContain('App qs-2');
    } finally {
      await app.close();
    }
  });

  it('fall back (2026-10-25): a success at 23:00 CEST held across a restart, received alone at 07:00 CET (06:00 UTC)', async () => {
    const eve = Date.UTC(2026, 9, 24, 21); // Sat 23:00 CEST
    const first = await startApp(eve, 'qa');
    const success = jobEvent('JOB_SUCCEEDED', 'qa-1', eve);
    let restarted: HeraldTestApp | undefined;
    try {
      await first.publish(success);
      const failure = jobEvent('JOB_FAILED', 'qa-2', eve + 60_000);
      await first.publish(failure);
      await eventually(async () => expect(mailsTo('qa-ann').map((m) => m.parsed.subject)).toEqual(['[App qa-2] Analysis failed: Run analyzer']));
      await first.app.close({ keepData: true });
      // Another process, later in the night, on the same database: the held mail is waiting there.
      const clock = new ManualClock(Date.UTC(2026, 9, 25, 1, 30)); // 02:30 CET, the second time round
      restarted = await HeraldTestApp.start(QUIET_ENV, first.app.storage, { clock });
      const moveTo = async (at: number) => {
        clock.advance(at - clock.now());
        await restarted!.app.get(Digests).sweep();
      };
      await moveTo(Date.UTC(2026, 9, 25, 5)); // 06:00 CET: 07:00 had the clocks not changed; still quiet
      expect(mailsTo('qa-ann')).toHaveLength(1);
      await moveTo(Date.UTC(2026, 9, 25, 6));
      const morning = await eventually(async () => {
        const mine = mailsTo('qa-ann');
        expect(mine).toHaveLength(2);
        return mine[1];
      });
      // One held mail goes as its own mail, as it would have at 23:00.
      expect(morning.parsed.subject).toBe('[App qa-1] Analysis succeeded');
      expect(morning.parsed.headers.get('x-herald-event-id')).toBe(success.id);
      expect(morning.parsed.date).toEqual(new Date(Date.UTC(2026, 9, 25, 6)));
      // Nothing left, nothing twice.
      await moveTo(Date.UTC(2026, 9, 25, 7));
      expect(mailsTo('qa-ann')).toHaveLength(2);
    } finally {
      await (restarted ?? first.app).close();
    }
  });

  it('GraphQL: bad times and zones refused naming the field, nothing changed; defaults for an application and everyone, audited; your own wins, reset goes back', async () => {
    const { app } = await startApp(Date.UTC(2026, 10, 24, 12), 'qg');
    try {
      const ann = app.token(Role.USER, 'qg-ann');
      const bad = async (input: Record<string, unknown>) => (await app.gql(SET_MINE, { input }, ann)).errors?.[0].extensions;
      expect(await bad({ enabled: true, start: '25:00' })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'start', message: expect.stringMatching(/HH:MM/) }] });
      expect(await bad({ enabled: true, end: '7:00' })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'end' }] });
      expect(await bad({ enabled: true, start: '08:00', end: '08:00' })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'end', message: expect.stringMatching(/differ from start/) }] });
      expect(await bad({ enabled: true, timeZone: 'Mars/Olympus' })).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'timeZone' }] });
      expect(await bad({ enabled: true, breakThrough: ['NOT_A_TYPE'] })).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect((await app.gql(ME, {}, ann)).data.me.quietHours).toMatchObject({ enabled: true, start: '20:00', end: '07:00', source: 'USER' });

      // Defaults: ADMIN only.
      expect((await app.gql(UPDATE_DEFAULTS, { input: { enabled: true } }, ann)).errors?.[0].extensions.code).toBe('FORBIDDEN');
      const everyone = await app.admin(UPDATE_DEFAULTS, { input: { enabled: true, start: '22:00', end: '06:30', weekends: true, breakThrough: ['JOB_FAILED', 'JOB_STOPPED'] } });
      expect(everyone.updateQuietHoursDefaults).toEqual({ enabled: true, start: '22:00', end: '06:30', weekends: true, timeZone: null, breakThrough: ['JOB_FAILED', 'JOB_STOPPED'], source: 'INSTALLATION' });
      await app.admin(UPDATE_DEFAULTS, { input: { applicationId: 'qg-1', enabled: false } });
      expect((await app.admin(DEFAULTS, { applicationId: 'qg-1' })).quietHoursDefaults).toMatchObject({ enabled: false, source: 'APPLICATION' });
      expect((await app.admin(DEFAULTS, { applicationId: 'qg-2' })).quietHoursDefaults).toMatchObject({ enabled: false, source: 'NONE' }); // none set
      const missing = await app.gql(UPDATE_DEFAULTS, { input: { applicationId: 'nope', enabled: true } }, app.token(Role.ADMIN, 'admin'));
      expect(missing.errors?.[0].extensions.code).toBe('NOT_FOUND');
      const audit = (await app.admin(AUDIT)).auditLog.edges.map((e: { node: unknown }) => e.node);
      expect(audit[1]).toMatchObject({ kind: 'QUIET_HOURS', target: 'quietHours', actorId: 'admin', fields: expect.arrayContaining([{ field: 'start', before: null, after: '22:00' }]) });
      expect(audit[0]).toMatchObject({ kind: 'QUIET_HOURS', target: 'quietHours[qg-1]' });

      // ann's own wins; reset, she has the installation's.
      expect((await app.gql(RESET_MINE, {}, ann)).data.resetMyQuietHours).toMatchObject({ start: '22:00', end: '06:30', weekends: true, source: 'INSTALLATION' });
      // bob, without his own, has the installation's in `me` too.
      expect((await app.gql(ME, {}, app.token(Role.USER, 'qg-bob'))).data.me.quietHours.source).toBe('INSTALLATION');
    } finally {
      await app.close();
    }
  });
});
