import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

const UPDATE = 'mutation($input: UpdateApplicationNotificationDefaultsInput!) { updateApplicationNotificationDefaults(input: $input) { applicationId defaults { eventType frequency digestHour } } }';
const PREVIEW = 'query($t: JobEventType!, $a: ID!) { recipientsPreview(eventType: $t, applicationId: $a) { userId frequency rule timing } }';
const SET_PREF = 'mutation($input: SetNotificationPreferenceInput!) { setNotificationPreference(input: $input) { id } }';
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId deliveries } }';
const EVENT = 'query($id: ID!) { event(id: $id) { audience { userId outcome frequency detail } } }';
const AUDIT = '{ auditLog(filter: { kind: APPLICATION_DEFAULTS }) { edges { node { target actorId fields { field before after } } } } }';

let seq = 0;
const event = (type: 'JOB_FAILED' | 'JOB_SUCCEEDED') => {
  const at = '2026-11-24T09:10:00Z';
  return {
    schemaVersion: 1,
    id: `defaults-${process.pid}-${++seq}`,
    type,
    occurredAt: at,
    application: { id: 'ledger', name: 'Ledger' },
    job: { id: `job-${seq}`, kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: at },
    ...(type === 'JOB_FAILED' && { error: { message: 'Out of memory' } }),
  };
};

/**
 * Defaults per application (issue 27): an ADMIN sets what an application's
 * managers get of each type until they choose; a person's own choice always
 * wins; recipientsPreview says which rule decided. Through GraphQL and the mails
 * a real SMTP server receives.
 */
describe(`notification defaults per application (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const publish = async (type: 'JOB_FAILED' | 'JOB_SUCCEEDED') => {
    const res = await app.gql(PUBLISH, { input: event(type) }, app.token(Role.SERVICE, 'console'));
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!.publishJobEvent as { eventId: string; deliveries: number };
  };
  const preview = async (t: string) => ((await app.admin(PREVIEW, { t, a: 'ledger' })).recipientsPreview as Array<Record<string, string>>).map((r) => [r.userId, r.frequency, r.rule]);

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({ DISPATCH_SWEEP_INTERVAL_MS: '100' });
    await app.admin('mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }', {
      input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>' },
    });
    await seedApplication(app, { id: 'ledger', name: 'Ledger' }, [{ id: 'ann' }, { id: 'bob' }, { id: 'cy' }]);
  });
  afterAll(async () => {
    await app?.close();
    await sink?.stop();
  });

  it("a person's own choice beats the application's default; recipientsPreview says which rule decided; the audit log records the change", async () => {
    expect(await preview('JOB_SUCCEEDED')).toEqual([
      ['ann', 'IMMEDIATELY', 'TYPE_DEFAULT'],
      ['bob', 'IMMEDIATELY', 'TYPE_DEFAULT'],
      ['cy', 'IMMEDIATELY', 'TYPE_DEFAULT'],
    ]);
    const set = await app.admin(UPDATE, { input: { applicationId: 'ledger', defaults: [{ eventType: 'JOB_SUCCEEDED', frequency: 'NEVER' }, { eventType: 'JOB_FAILED', frequency: 'DIGEST_DAILY', digestHour: 7 }] } });
    expect(set.updateApplicationNotificationDefaults).toEqual({
      applicationId: 'ledger',
      defaults: [
        { eventType: 'JOB_FAILED', frequency: 'DIGEST_DAILY', digestHour: 7 },
        { eventType: 'JOB_SUCCEEDED', frequency: 'NEVER', digestHour: null },
      ],
    });
    // bob wants successes everywhere; cy wants successes of ledger, and failures at once.
    const ok = async (person: string, input: Record<string, unknown>) => expect((await app.gql(SET_PREF, { input }, app.token(Role.USER, person))).errors).toBeUndefined();
    await ok('bob', { eventType: 'JOB_SUCCEEDED', enabled: true });
    await ok('cy', { eventType: 'JOB_SUCCEEDED', applicationId: 'ledger', enabled: true });
    await ok('cy', { eventType: 'JOB_FAILED', frequency: 'IMMEDIATELY' });

    expect(await preview('JOB_SUCCEEDED')).toEqual([
      ['bob', 'IMMEDIATELY', 'PERSON_GLOBAL'],
      ['cy', 'IMMEDIATELY', 'PERSON_APPLICATION'],
    ]);
    expect(await preview('JOB_FAILED')).toEqual([
      ['ann', 'DIGEST_DAILY', 'APPLICATION_DEFAULT'],
      ['bob', 'DIGEST_DAILY', 'APPLICATION_DEFAULT'],
      ['cy', 'IMMEDIATELY', 'PERSON_GLOBAL'],
    ]);

    const success = await publish('JOB_SUCCEEDED');
    expect(success.deliveries).toBe(2);
    await eventually(async () => expect(sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === success.eventId).flatMap((m) => m.to).sort()).toEqual(['bob@example.com', 'cy@example.com']));
    const annSaw = ((await app.admin(EVENT, { id: success.eventId })).event.audience as Array<Record<string, string>>).find((m) => m.userId === 'ann');
    expect(annSaw).toMatchObject({ outcome: 'NOT_RECEIVING', frequency: 'NEVER', detail: 'no mail: this type is off by default for this application (its notification defaults), and they have not chosen otherwise (their settings now)' });

    const failure = await publish('JOB_FAILED');
    expect(failure.deliveries).toBe(1); // cy's, at once; ann's and bob's wait for their daily digest
    await eventually(async () => expect(sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === failure.eventId).flatMap((m) => m.to)).toEqual(['cy@example.com']));

    const audit = (await app.admin(AUDIT)).auditLog.edges.map((e: { node: unknown }) => e.node);
    expect(audit).toEqual([
      {
        target: 'ledger',
        actorId: 'admin',
        fields: [
          { field: 'JOB_SUCCEEDED', before: null, after: 'NEVER' },
          { field: 'JOB_FAILED', before: null, after: 'DIGEST_DAILY at 7' },
        ],
      },
    ]);
  });

  it('only an ADMIN sets defaults; bad input names its field and changes nothing; a null frequency forgets the default', async () => {
    const input = { applicationId: 'ledger', defaults: [{ eventType: 'JOB_SUCCEEDED', frequency: null }] };
    expect((await app.gql(UPDATE, { input }, app.token(Role.USER, 'ann'))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const bad = await app.gql(UPDATE, { input: { applicationId: 'ledger', defaults: [{ eventType: 'JOB_FAILED', frequency: 'DIGEST_DAILY', digestHour: 24 }] } }, app.token(Role.ADMIN, 'admin'));
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field: 'defaults.0.digestHour' })] });
    const badApp = await app.gql(UPDATE, { input: { ...input, applicationId: 'led ger\r\n' } }, app.token(Role.ADMIN, 'admin'));
    expect(badApp.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field: 'applicationId' })] });
    expect((await app.gql(UPDATE, { input: { ...input, applicationId: 'nope' } }, app.token(Role.ADMIN, 'admin'))).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const forgot = await app.admin(UPDATE, { input });
    expect(forgot.updateApplicationNotificationDefaults.defaults).toEqual([{ eventType: 'JOB_FAILED', frequency: 'DIGEST_DAILY', digestHour: 7 }]);
    expect((await preview('JOB_SUCCEEDED')).find(([id]) => id === 'ann')).toEqual(['ann', 'IMMEDIATELY', 'TYPE_DEFAULT']);
  });
});
