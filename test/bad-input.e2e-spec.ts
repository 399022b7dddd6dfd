import { Role } from '../src/auth/role.enum';
import { InvalidJobEventError, JobEventIngestionService } from '../src/job-events/ingestion/job-event-ingestion.service';
import { DATABASE_KIND, type GraphqlResponse, HeraldTestApp } from './support/herald-test-app';
import { seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';
import { capturingOutput } from './support/captured-output';

/**
 * Bad text in every text field of every way in — each GraphQL mutation and
 * argument, the wire format over GraphQL and in-process — is refused with
 * BAD_USER_INPUT naming the field, stores nothing, sends nothing, and is not
 * logged. The cases are generated from two tables: the fields (what kind of text
 * each one is) and, per kind, the bad values.
 */

/** What a field holds, which decides the bad values tried in it. */
type Kind = 'id' | 'recipientId' | 'line' | 'text' | 'excerpt' | 'host' | 'address' | 'mailbox' | 'deliveryId';

/** A bad value, made from a marker (to find it in the log) and the field's maximum length. */
type Bad = [name: string, make: (marker: string, max: number) => string];

const CONTROLS: Bad[] = [
  ['NUL', (m) => `${m}\u0000x`],
  ['ESC (another C0 control)', (m) => `${m}\u001b[2Jx`],
  ['DEL', (m) => `${m}\u007fx`],
  ['a C1 control (CSI)', (m) => `${m}\u009b2Jx`],
];
/** Line breaks to Unicode: in an id, white space. */
const UNICODE_BREAKS: Bad[] = [
  ['the line separator U+2028', (m) => `${m}\u2028x`],
  ['the paragraph separator U+2029', (m) => `${m}\u2029x`],
];
/** Bidirectional overrides and isolates, which reorder what is shown: x RLO gnp.exe reads xexe.png. */
const BIDI: Bad[] = [
  ['a bidi override (RLO)', (m) => `${m}\u202egnp.exe`],
  ['a bidi isolate (RLI … PDI)', (m) => `${m}\u2067x\u2069`],
];
const LINE_BREAKS: Bad[] = [['CR/LF', (m) => `${m}\r\nBcc: victim@y.test`]];
const OVER_LONG: Bad[] = [['over-long', (m, max) => m + 'x'.repeat(max)]];
const ADDRESS_TRICKS: Bad[] = [
  ['two addresses, space-separated', (m) => `${m}@x.test victim@y.test`],
  ['a list', (m) => `${m}@x.test, victim@y.test`],
  ['an address as display name', (m) => `"victim@y.test" <${m}@x.test>`],
  ['a group', (m) => `team: ${m}@x.test, victim@y.test;`],
  ['NUL in an address', (m) => `${m}@x.test\u0000victim@y.test`],
  ['CR/LF in an address', (m) => `${m}@x.test\r\nBcc: victim@y.test`],
  ['a percent route', (m) => `victim%${m}.test@x.test`],
  ['a bidi override in an address', (m) => `${m}\u202e@x.test`],
  ['a bidi mark in an address', (m) => `${m}\u200f@x.test`],
  ['a C1 control in an address', (m) => `${m}\u0085@x.test`],
];

const BAD_VALUES: Record<Kind, Bad[]> = {
  id: [...CONTROLS, ...LINE_BREAKS, ...UNICODE_BREAKS, ...BIDI, ['white space', (m) => `${m} x`], ...OVER_LONG],
  // A recipient id is a person's id or an audience source's `<source> <id>`: one space after a source name, no other white space.
  recipientId: [...CONTROLS, ...LINE_BREAKS, ...UNICODE_BREAKS, ...BIDI, ['white space', (m) => `${m} x y`], ['a tab', (m) => `subscriber\t${m}`], ...OVER_LONG],
  line: [...CONTROLS, ...LINE_BREAKS, ...UNICODE_BREAKS, ...BIDI, ['tab', (m) => `${m}\tx`], ...OVER_LONG],
  text: [...CONTROLS, ...OVER_LONG], // tab and line breaks are allowed in multi-line text
  excerpt: CONTROLS, // a log excerpt over its limit is shortened to its end, not refused (large-events.e2e-spec.ts)
  host: [...CONTROLS, ...LINE_BREAKS, ...OVER_LONG],
  address: [...ADDRESS_TRICKS, ['a display name', (m) => `Name <${m}@x.test>`], ...OVER_LONG],
  mailbox: [...ADDRESS_TRICKS, ['a bidi override in the display name', (m) => `Herald\u202e${m} <h@x.test>`], ...OVER_LONG],
  deliveryId: [...CONTROLS, ...LINE_BREAKS],
};

/** A text field of the API: how to send a value in it, and the field the error must name. */
interface Field {
  operation: string;
  field: string;
  kind: Kind;
  max: number;
  send: (app: HeraldTestApp, value: string) => Promise<GraphqlResponse>;
}

const APP = { id: 'bad-app', name: 'Bad input' };

/** A mutation taking `input`, with `value` at `path` of a valid input. */
function mutation(name: string, inputType: string, selection: string, valid: Record<string, unknown> | undefined, fields: Array<[string, Kind, number]>): Field[] {
  const query = `mutation($input: ${inputType}) { ${name}(input: $input) ${selection} }`;
  return fields.map(([path, kind, max]) => ({
    operation: name,
    field: path,
    kind,
    max,
    send: (app, value) => app.gql(query, { input: withValue(valid ?? {}, path, value) }, app.token(Role.ADMIN, 'admin')),
  }));
}

/** A query's argument (`args` builds the variables). */
function argument(name: string, query: string, field: string, kind: Kind, max: number, args: (value: string) => Record<string, unknown>): Field {
  return { operation: name, field, kind, max, send: (app, value) => app.gql(query, args(value), app.token(Role.ADMIN, 'admin')) };
}

/** A copy of `object` with `value` at the dotted `path`. */
function withValue(object: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(object) as Record<string, any>;
  const keys = path.split('.');
  const last = keys.pop()!;
  let at = copy;
  for (const key of keys) at = at[key] ??= {};
  at[last] = value;
  return copy;
}

const SMTP_FIELDS: Array<[string, Kind, number]> = [
  ['host', 'host', 253],
  ['sender', 'mailbox', 320],
  ['username', 'line', 255],
  ['password', 'line', 1024],
  ['caCertificate', 'text', 65_536],
  ['gatewayUri', 'line', 2048],
  ['oauth2ClientId', 'line', 1024],
  ['oauth2TenantId', 'line', 255],
];
const PROFILE_FIELDS: Array<[string, Kind, number]> = [
  ['email', 'address', 320],
  ['locale', 'line', 35],
  ['displayName', 'line', 255],
];

/** Valid events of each shape, to put one bad value in. */
const occurredAt = '2026-11-24T10:00:00Z';
const job = { id: 'job-1', kind: 'analysis' };
let eventSeq = 0;
/** The (valid) ids of the events the cases build: none may be recorded. */
const eventIds: string[] = [];
const nextId = () => (eventIds.push(`bad-${++eventSeq}`), `bad-${eventSeq}`);
const EVENTS = {
  failed: () => ({ schemaVersion: 1, id: nextId(), type: 'JOB_FAILED', occurredAt, application: APP, job, error: { message: 'boom', step: 'Run', logExcerpt: 'l1' } }),
  stopped: () => ({ schemaVersion: 1, id: nextId(), type: 'JOB_STOPPED', occurredAt, application: APP, job, stoppedBy: { id: 'bob', name: 'Bob' } }),
  version: () => ({ schemaVersion: 1, id: nextId(), type: 'VERSION_CREATED', occurredAt, application: APP, version: { name: 'v1', id: 'v-1' }, createdBy: { id: 'ann', name: 'Ann' } }),
  created: () => ({ schemaVersion: 2, id: nextId(), type: 'APPLICATION_CREATED', occurredAt, application: APP, managers: [{ id: 'mia', name: 'Mia', email: 'mia@example.com' }] }),
};
/** Every text field of the wire format, in an event of a type that has it. */
const WIRE_FIELDS: Array<[keyof typeof EVENTS, string, Kind, number]> = [
  ['failed', 'id', 'id', 128],
  ['failed', 'application.id', 'id', 255],
  ['failed', 'application.name', 'line', 255],
  ['failed', 'job.id', 'id', 255],
  ['failed', 'job.kind', 'line', 64],
  ['failed', 'error.message', 'text', 10_000],
  ['failed', 'error.step', 'line', 255],
  ['failed', 'error.logExcerpt', 'excerpt', 65_536],
  ['stopped', 'stoppedBy.id', 'id', 255],
  ['stopped', 'stoppedBy.name', 'line', 255],
  ['version', 'version.name', 'line', 255],
  ['version', 'version.id', 'id', 255],
  ['version', 'createdBy.id', 'id', 255],
  ['version', 'createdBy.name', 'line', 255],
  ['created', 'managers.0.id', 'id', 255],
  ['created', 'managers.0.name', 'line', 255],
  ['created', 'managers.0.email', 'address', 320],
];

const FIELDS: Field[] = [
  ...mutation('updateSmtpSettings', 'UpdateSmtpSettingsInput!', '{ host }', undefined, SMTP_FIELDS),
  ...mutation('verifySmtpSettings', 'UpdateSmtpSettingsInput', '{ ok }', undefined, SMTP_FIELDS),
  ...mutation('sendTestEmail', 'SendTestEmailInput!', '{ ok }', undefined, [['to', 'address', 320]]),
  ...mutation('updateMyProfile', 'UpdateMyProfileInput!', '{ id }', undefined, PROFILE_FIELDS),
  ...mutation('updateUser', 'UpdateUserInput!', '{ id }', { userId: 'pat' }, [['userId', 'id', 255], ...PROFILE_FIELDS]),
  ...mutation('setNotificationPreference', 'SetNotificationPreferenceInput!', '{ id }', { eventType: 'JOB_FAILED', enabled: false }, [['applicationId', 'id', 255]]),
  ...mutation('createApplication', 'CreateApplicationInput!', '{ id }', { id: 'new-app', name: 'New' }, [['id', 'id', 255], ['name', 'line', 255]]),
  ...mutation('updateApplication', 'UpdateApplicationInput!', '{ id }', APP, [['id', 'id', 255], ['name', 'line', 255]]),
  ...mutation('deleteApplication', 'DeleteApplicationInput!', '{ id }', {}, [['id', 'id', 255]]),
  ...mutation('grantMembership', 'MembershipInput!', '{ role }', { userId: 'pat', applicationId: APP.id }, [['userId', 'id', 255], ['applicationId', 'id', 255]]),
  ...mutation('revokeMembership', 'MembershipInput!', '{ role }', { userId: 'pat', applicationId: APP.id }, [['userId', 'id', 255], ['applicationId', 'id', 255]]),
  ...mutation('retryDelivery', 'RetryDeliveryInput!', '{ id }', {}, [['id', 'deliveryId', 15]]),
  ...WIRE_FIELDS.map(([shape, path, kind, max]) => ({
    operation: `publishJobEvent (${EVENTS[shape]().type})`,
    field: path,
    kind,
    max,
    send: (app: HeraldTestApp, value: string) =>
      app.gql('mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId } }', { input: withValue(EVENTS[shape](), path, value) }, app.token(Role.SERVICE, 'console')),
  })),
  argument('deliveries', 'query($f: DeliveryFilter) { deliveries(filter: $f) { totalCount } }', 'filter.applicationId', 'id', 255, (v) => ({ f: { applicationId: v } })),
  argument('deliveries', 'query($f: DeliveryFilter) { deliveries(filter: $f) { totalCount } }', 'filter.recipientId', 'recipientId', 255, (v) => ({ f: { recipientId: v } })),
  argument('applications', 'query($s: String) { applications(search: $s) { totalCount } }', 'search', 'line', 255, (v) => ({ s: v })),
  argument('users', 'query($s: String) { users(search: $s) { totalCount } }', 'search', 'line', 255, (v) => ({ s: v })),
  argument('recipientsPreview', 'query($a: ID!) { recipientsPreview(eventType: JOB_FAILED, applicationId: $a) { userId } }', 'applicationId', 'id', 255, (v) => ({ a: v })),
];

/** Everything a bad input could have changed, read back through the API. */
const STATE = `{
  smtpSettings { host port sender username passwordSet caCertificate gatewayUri updatedAt }
  applications(first: 100) { totalCount edges { node { id name } } }
  users(first: 100) { totalCount edges { node { id email displayName locale notificationsEnabled updatedAt
    memberships { role application { id } } preferences { eventType enabled applicationOverrides { enabled } } } } }
  deliveries(first: 1) { totalCount }
}`;

/** Everything written to stdout and stderr (where Nest's logger writes) while `run` runs; kept from the console. */
/** One case per field and bad value of its kind. */
const cases = <F extends { field: string; kind: Kind; max: number }>(fields: F[]) =>
  fields.flatMap((f) => BAD_VALUES[f.kind].map(([bad, make]) => ({ ...f, bad, make })));

describe(`bad input in every text field (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  let before: unknown;
  let marker = 0;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({
      ...sink.relayEnv('herald@example.com'),
      SMTP_CHECK_RATE_LIMIT: '10000',
      LOG_LEVEL: 'verbose', // everything Herald logs is searched for the bad values
    });
    await seedApplication(app, APP, [{ id: 'pat' }]);
    await app.gql('{ me { id } }', {}, app.token(Role.ADMIN, 'admin')); // the admin, as a person, exists before the cases
    before = await app.admin(STATE);
  });
  afterAll(async () => {
    await app.close();
    await sink.stop();
  });

  afterEach(async () => {
    expect(await app.admin(STATE)).toEqual(before); // nothing stored
    for (const id of eventIds.splice(0)) expect((await app.admin('query($id: ID!) { event(id: $id) { id } }', { id })).event).toBeNull();
    expect(sink.received).toHaveLength(0); // nothing sent
  });

  it.each(cases(FIELDS))('$operation refuses $bad in $field', async ({ field, max, make, send }) => {
    const value = make(`zq${++marker}v`, max);
    const { result, log } = await capturingOutput(() => send(app, value));
    // Nothing answered: no data, or (a nullable mutation) its field null.
    expect(Object.values(result.data ?? {}).every((v) => v === null)).toBe(true);
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    expect(result.errors![0].extensions.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(JSON.stringify(result)).not.toContain(JSON.stringify(value).slice(1, -1)); // the answer does not echo it
    expect(log).not.toContain(value);
  });

  it.each(cases(WIRE_FIELDS.map(([shape, field, kind, max]) => ({ operation: shape, field, kind, max }))))(
    'the in-process way in refuses $bad in $field',
    async ({ operation, field, max, make }) => {
      const value = make(`zq${++marker}v`, max);
      const event = withValue(EVENTS[operation as keyof typeof EVENTS](), field, value);
      const { result, log } = await capturingOutput(() => app.app.get(JobEventIngestionService).ingest(event, 'emitter').catch((e: unknown) => e));
      expect(result).toBeInstanceOf(InvalidJobEventError);
      expect((result as InvalidJobEventError).problems).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect((result as Error).message).not.toContain(value);
      expect(log).not.toContain(value);
    },
  );

  it('sends nothing later either', async () => {
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.received).toHaveLength(0);
  });
});
