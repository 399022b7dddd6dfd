import { Role } from '../src/auth/role.enum';
import { ManualClock } from '../src/clock/manual-clock';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const UPDATE_SMTP = 'mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }';
const SET_PREF = 'mutation($input: SetNotificationPreferenceInput!) { setNotificationPreference(input: $input) { preferences { eventType enabled frequency digestHour applicationOverrides { applicationId enabled frequency digestHour } } } }';
const EVENT = 'query($id: ID!) { event(id: $id) { deliveries { eventType recipientId } } }';
const AUDIENCE = 'query($id: ID!) { event(id: $id) { audience { userId outcome reason frequency deliveryId deliveryStatus digestWindowEnd detail } } }';
const PREVIEW = 'query($t: JobEventType!, $a: ID!) { recipientsPreview(eventType: $t, applicationId: $a) { userId frequency timing when digestWindowStart digestWindowEnd } }';

let seq = 0;
function outcome(type: 'JOB_FAILED' | 'JOB_SUCCEEDED', applicationId: string, minute: number) {
  const occurredAt = new Date(Date.UTC(2026, 10, 24, 9, minute)).toISOString();
  return {
    schemaVersion: 1,
    id: `freq-${process.pid}-${++seq}`,
    type,
    occurredAt,
    application: { id: applicationId, name: `App ${applicationId}` },
    job: { id: `job-${seq}`, kind: 'analysis', startedAt: occurredAt, endedAt: occurredAt },
    ...(type === 'JOB_FAILED' ? { error: { message: 'Out of memory', step: 'Run analyzer' } } : {}),
  };
}

/** The app's time (a ManualClock: the hour never turns during a test): half an hour after the events. */
const NOW = Date.UTC(2026, 10, 24, 9, 30);

/** How often, per person and type, as a manager sees it: in the mails, in `me`, and in the admin's preview. */
describe(`notification frequency (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const clock = new ManualClock(NOW);
  const publish = async (e: ReturnType<typeof outcome>): Promise<number> => {
    const res = await app.gql(PUBLISH, { input: e }, app.token(Role.SERVICE, 'console'));
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return (res.data as { publishJobEvent: { deliveries: number } }).publishJobEvent.deliveries;
  };
  const setPref = async (person: string, input: Record<string, unknown>) => {
    const res = await app.gql(SET_PREF, { input }, app.token(Role.USER, person));
    return res;
  };
  const mailsTo = (person: string) => sink.received.filter((m) => m.to.includes(`${person}@example.com`));

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({}, undefined, { clock });
    await app.admin(UPDATE_SMTP, { input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>' } });
    await seedApplication(app, { id: 'freq-1', name: 'App freq-1' }, [{ id: 'freq-ann' }, { id: 'freq-bob' }, { id: 'freq-cy' }]);
    await seedApplication(app, { id: 'freq-2', name: 'App freq-2' }, [{ id: 'freq-dee' }]);
  });
  afterAll(async () => {
    await app.close();
    await sink.stop();
  });

  it('FIRST_AND_FIXED: five failures then a success give one failed and one fixed mail; IMMEDIATELY gives all six; NEVER none', async () => {
    expect((await setPref('freq-ann', { eventType: 'JOB_FAILED', frequency: 'FIRST_AND_FIXED' })).errors).toBeUndefined();
    expect((await setPref('freq-cy', { eventType: 'JOB_FAILED', applicationId: 'freq-1', frequency: 'NEVER' })).errors).toBeUndefined();
    expect((await setPref('freq-cy', { eventType: 'JOB_RECOVERED', frequency: 'NEVER' })).errors).toBeUndefined();
    const events = [0, 1, 2, 3, 4].map((m) => outcome('JOB_FAILED', 'freq-1', m));
    events.push(outcome('JOB_SUCCEEDED', 'freq-1', 5));
    const planned = [];
    for (const e of events) planned.push(await publish(e));
    expect(planned).toEqual([2, 1, 1, 1, 1, 2]);
    await eventually(async () => expect(mailsTo('freq-bob')).toHaveLength(6));
    const ann = await eventually(async () => {
      const mine = mailsTo('freq-ann');
      expect(mine).toHaveLength(2);
      return mine;
    });
    expect(ann.map((m) => m.parsed.subject).sort()).toEqual(['[App freq-1] Analysis failed: Run analyzer', '[App freq-1] Analysis fixed after 5 failures']);
    expect(mailsTo('freq-cy')).toEqual([]);
    // The delivery log agrees: the 2nd failure went to bob only.
    expect((await app.admin(EVENT, { id: events[1].id })).event.deliveries).toEqual([{ eventType: 'JOB_FAILED', recipientId: 'freq-bob' }]);
    // And says why ann and cy got none.
    const audience = await eventually(async () => {
      const members = (await app.admin(AUDIENCE, { id: events[1].id })).event.audience as Array<Record<string, unknown>>;
      expect(members.find((m) => m.userId === 'freq-bob')?.deliveryStatus).toBe('SENT');
      return members;
    });
    expect(audience).toEqual([
      expect.objectContaining({ userId: 'freq-bob', outcome: 'MAILED', frequency: 'IMMEDIATELY', deliveryId: expect.any(String), detail: expect.stringMatching(/^mail \d+, SENT$/) }),
      expect.objectContaining({ userId: 'freq-ann', outcome: 'FIRST_AND_FIXED_SKIPPED', reason: null, frequency: 'FIRST_AND_FIXED', deliveryId: null, detail: expect.stringMatching(/failure 2 in a row/) }),
      expect.objectContaining({ userId: 'freq-cy', outcome: 'NOT_RECEIVING', reason: 'OPTED_OUT', frequency: 'NEVER', deliveryId: null }),
    ]);
  });

  it('event(id).audience: why each manager did or did not get a mail (digest pending, notifications off, no address)', async () => {
    await seedApplication(app, { id: 'freq-3', name: 'App freq-3' }, [{ id: 'freq-gus' }, { id: 'freq-hal' }, { id: 'freq-ivy', notificationsEnabled: false }, { id: 'freq-jo', email: null }]);
    expect((await setPref('freq-gus', { eventType: 'JOB_FAILED', frequency: 'DIGEST_HOURLY' })).errors).toBeUndefined();
    const failed = outcome('JOB_FAILED', 'freq-3', 0);
    expect(await publish(failed)).toBe(1);
    const audience = (await app.admin(AUDIENCE, { id: failed.id })).event.audience as Array<Record<string, unknown>>;
    expect(audience.map((m) => [m.userId, m.outcome, m.reason])).toEqual([
      ['freq-hal', 'MAILED', null],
      ['freq-gus', 'DIGEST_PENDING', null],
      ['freq-ivy', 'NOT_RECEIVING', 'NOTIFICATIONS_OFF'],
      ['freq-jo', 'NOT_RECEIVING', 'NO_EMAIL'],
    ]);
    const gus = audience[1];
    expect(gus.frequency).toBe('DIGEST_HOURLY');
    expect(gus.digestWindowEnd).toBe('2026-11-24T10:00:00.000Z'); // the end of the hour under way on the app's clock
    expect(gus.detail).toMatch(/^waiting for their digest, which leaves at /);
    // Someone who became a manager after the event: no mail, and the log says so rather than guessing.
    await app.gql('mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { id } }', { input: { email: 'freq-kim@example.com', notificationsEnabled: true } }, app.token(Role.USER, 'freq-kim'));
    const grant = await app.gql('mutation($input: MembershipInput!) { grantMembership(input: $input) { role } }', { input: { userId: 'freq-kim', applicationId: 'freq-3' } }, app.token(Role.SERVICE, 'console'));
    expect(grant.errors).toBeUndefined();
    const later = (await app.admin(AUDIENCE, { id: failed.id })).event.audience as Array<Record<string, unknown>>;
    expect(later.find((m) => m.userId === 'freq-kim')).toMatchObject({ outcome: 'NOT_PLANNED', reason: null });
    // Only an admin reads it.
    const asUser = await app.gql(AUDIENCE, { id: failed.id }, app.token(Role.USER, 'freq-hal'));
    expect(asUser.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('me shows the frequency, globally and per application; enabled alone still means IMMEDIATELY or NEVER', async () => {
    const res = await setPref('freq-dee', { eventType: 'JOB_FAILED', frequency: 'DIGEST_DAILY', digestHour: 7 });
    await setPref('freq-dee', { eventType: 'JOB_FAILED', applicationId: 'freq-2', frequency: 'DIGEST_HOURLY' });
    const again = await setPref('freq-dee', { eventType: 'JOB_STOPPED', enabled: false });
    expect(res.errors).toBeUndefined();
    const prefs = (again.data as { setNotificationPreference: { preferences: Array<Record<string, unknown>> } }).setNotificationPreference.preferences;
    expect(prefs.find((p) => p.eventType === 'JOB_FAILED')).toEqual({
      eventType: 'JOB_FAILED', enabled: true, frequency: 'DIGEST_DAILY', digestHour: 7,
      applicationOverrides: [{ applicationId: 'freq-2', enabled: true, frequency: 'DIGEST_HOURLY', digestHour: null }],
    });
    expect(prefs.find((p) => p.eventType === 'JOB_STOPPED')).toMatchObject({ enabled: false, frequency: 'NEVER' });
    expect(prefs.find((p) => p.eventType === 'JOB_SUCCEEDED')).toMatchObject({ enabled: true, frequency: 'IMMEDIATELY', digestHour: null });
  });

  it('recipientsPreview says when each person would get it', async () => {
    const preview = (await app.admin(PREVIEW, { t: 'JOB_FAILED', a: 'freq-1' })).recipientsPreview as Array<Record<string, unknown>>;
    expect(preview.map((r) => [r.userId, r.frequency, r.timing])).toEqual([
      ['freq-ann', 'FIRST_AND_FIXED', 'FIRST_FAILURE_ONLY'],
      ['freq-bob', 'IMMEDIATELY', 'NOW'],
    ]);
    expect(preview[1]).toMatchObject({ when: 'now', digestWindowStart: null, digestWindowEnd: null });
    const hourly = ((await app.admin(PREVIEW, { t: 'JOB_FAILED', a: 'freq-2' })).recipientsPreview as Array<Record<string, string>>)[0];
    expect(hourly).toEqual({ userId: 'freq-dee', frequency: 'DIGEST_HOURLY', timing: 'IN_DIGEST', when: 'in the hourly digest of 2026-11-24 09:00–10:00 UTC', digestWindowStart: '2026-11-24T09:00:00.000Z', digestWindowEnd: '2026-11-24T10:00:00.000Z' });
  });

  it('refuses a contradiction or a choice that means nothing, naming the field, and changes nothing', async () => {
    const contradiction = await setPref('freq-bob', { eventType: 'JOB_FAILED', enabled: false, frequency: 'DIGEST_HOURLY' });
    expect(contradiction.errors?.[0].message).toMatch(/enabled/);
    const wrongType = await setPref('freq-bob', { eventType: 'JOB_SUCCEEDED', frequency: 'FIRST_AND_FIXED' });
    expect(wrongType.errors?.[0].message).toMatch(/frequency: FIRST_AND_FIXED is for JOB_FAILED only/);
    const hourWithoutDaily = await setPref('freq-bob', { eventType: 'JOB_FAILED', frequency: 'DIGEST_HOURLY', digestHour: 3 });
    expect(hourWithoutDaily.errors?.[0].message).toMatch(/digestHour/);
    const badHour = await setPref('freq-bob', { eventType: 'JOB_FAILED', frequency: 'DIGEST_DAILY', digestHour: 24 });
    expect(badHour.errors?.[0].message).toMatch(/digestHour/);
    const me = await app.gql('{ me { preferences { eventType frequency } } }', {}, app.token(Role.USER, 'freq-bob'));
    expect((me.data as { me: { preferences: Array<{ eventType: string; frequency: string }> } }).me.preferences.every((p) => p.frequency === 'IMMEDIATELY')).toBe(true);
  });

  /**
   * The hour under way, at instants where it is easy to get wrong: its end on the
   * next date, and an hour that a change of summer time shortens on the wall clock.
   * In the person's zone, else the admin's default, else UTC. Each on an app whose
   * clock stands at that instant.
   */
  describe.each([
    {
      at: '2026-11-24T23:59:30Z, the last half-minute of a UTC day',
      now: Date.UTC(2026, 10, 24, 23, 59, 30),
      utc: ['2026-11-24 23:00 – 2026-11-25 00:00 UTC', '2026-11-24T23:00:00.000Z'],
      // Kolkata is 5 h 30 ahead: its clock hours start at half past in UTC.
      kolkata: ['2026-11-25 05:00–06:00 GMT+5:30', '2026-11-24T23:30:00.000Z'],
      paris: ['2026-11-25 00:00–01:00 CET', '2026-11-24T23:00:00.000Z'],
    },
    {
      at: '2026-03-29T00:59:30Z, 01:59:30 in Paris, where the next minute is 03:00 CEST',
      now: Date.UTC(2026, 2, 29, 0, 59, 30),
      utc: ['2026-03-29 00:00–01:00 UTC', '2026-03-29T00:00:00.000Z'],
      kolkata: ['2026-03-29 06:00–07:00 GMT+5:30', '2026-03-29T00:30:00.000Z'],
      paris: ['2026-03-29 01:00 CET – 2026-03-29 03:00 CEST', '2026-03-29T00:00:00.000Z'],
    },
  ])("recipientsPreview's hourly window at $at", ({ now, utc, kolkata, paris }) => {
    let at: HeraldTestApp;
    const PROFILE = 'mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { id } }';
    const DEFAULTS = 'mutation($input: UpdateMailDefaultsInput!) { updateMailDefaults(input: $input) { timeZone } }';
    const preview = async () => ((await at.admin(PREVIEW, { t: 'JOB_FAILED', a: 'freq-h' })).recipientsPreview as Array<Record<string, string>>)[0];
    const window = ([when, start]: string[]) => ({
      when: `in the hourly digest of ${when}`,
      digestWindowStart: start,
      digestWindowEnd: new Date(Date.parse(start) + 3_600_000).toISOString(),
    });
    const zone = async (timeZone: string | null) => expect((await at.gql(PROFILE, { input: { timeZone } }, at.token(Role.USER, 'freq-hh'))).errors).toBeUndefined();

    beforeAll(async () => {
      at = await HeraldTestApp.start({}, undefined, { clock: new ManualClock(now) });
      await seedApplication(at, { id: 'freq-h', name: 'App freq-h' }, [{ id: 'freq-hh' }]);
      expect((await at.gql(SET_PREF, { input: { eventType: 'JOB_FAILED', frequency: 'DIGEST_HOURLY' } }, at.token(Role.USER, 'freq-hh'))).errors).toBeUndefined();
    });
    afterAll(() => at?.close());

    it('in UTC when neither the person nor the admin chose a zone', async () => {
      expect(await preview()).toMatchObject({ userId: 'freq-hh', timing: 'IN_DIGEST', ...window(utc) });
    });

    it("in the person's zone", async () => {
      await zone('Asia/Kolkata');
      expect(await preview()).toMatchObject(window(kolkata));
      await zone('Europe/Paris');
      expect(await preview()).toMatchObject(window(paris));
      await zone(null);
    });

    it("in the admin's default zone, for a person without one", async () => {
      await at.admin(DEFAULTS, { input: { timeZone: 'Asia/Kolkata' } });
      try {
        expect(await preview()).toMatchObject(window(kolkata));
      } finally {
        await at.admin(DEFAULTS, { input: { timeZone: null } });
      }
    });
  });
});
