import request from 'supertest';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { SmtpSink } from './support/smtp-sink';

/**
 * publishJobEvents: several events in one request, each answered on its own —
 * accepted, duplicate, or refused with its invalid fields — and one bad event does
 * not keep the others from being recorded and mailed. The batch is bounded
 * (GRAPHQL_MAX_BATCH_EVENTS, the parser's token limit, the body limit).
 */
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId duplicate deliveries } }';
const PUBLISH_MANY = 'mutation($inputs: [PublishJobEventInput!]!) { publishJobEvents(inputs: $inputs) { index result { eventId duplicate deliveries } problems { field message } } }';
const EVENT = 'query($id: ID!) { event(id: $id) { id } }';
const MAX_BATCH = 5;

let seq = 0;
function event(extra: Record<string, unknown> = {}) {
  return {
    schemaVersion: 1,
    id: `batch-${process.pid}-${++seq}`,
    type: 'JOB_SUCCEEDED',
    occurredAt: '2026-11-24T09:42:30Z',
    application: { id: 'batch-app', name: 'Batch' },
    job: { id: `job-${seq}`, kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:42:30Z' },
    ...extra,
  };
}

describe(`publishJobEvents (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  const service = () => app.token(Role.SERVICE, 'console');
  const mailsOf = (eventId: string) => sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === eventId);
  const stored = async (id: string) => (await app.admin(EVENT, { id })).event;

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({ GRAPHQL_MAX_BATCH_EVENTS: String(MAX_BATCH) });
    await app.admin('mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }', {
      input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>', gatewayUri: 'https://console.example.com/aip' },
    });
    await seedApplication(app, { id: 'batch-app', name: 'Batch' }, [{ id: 'ann' }]);
  });
  afterAll(async () => {
    await app.close();
    await sink.stop();
  });

  it('answers each event on its own: accepted, duplicate, refused with its fields; the valid ones are mailed', async () => {
    const seen = event();
    expect((await app.gql(PUBLISH, { input: seen }, service())).data.publishJobEvent).toMatchObject({ duplicate: false, deliveries: 1 });
    const first = event();
    const invalid = event({ occurredAt: 'yesterday', application: { id: '', name: 'Batch' } });
    const last = event();

    const res = await app.gql(PUBLISH_MANY, { inputs: [first, seen, invalid, last] }, service());

    expect(res.errors).toBeUndefined();
    const outcomes = res.data.publishJobEvents;
    expect(outcomes).toEqual([
      { index: 0, result: { eventId: first.id, duplicate: false, deliveries: 1 }, problems: [] },
      { index: 1, result: { eventId: seen.id, duplicate: true, deliveries: 0 }, problems: [] },
      { index: 2, result: null, problems: expect.arrayContaining([expect.objectContaining({ field: 'occurredAt' }), expect.objectContaining({ field: 'application.id' })]) },
      { index: 3, result: { eventId: last.id, duplicate: false, deliveries: 1 }, problems: [] },
    ]);
    expect(outcomes[2].problems).toHaveLength(2);
    await eventually(async () => {
      expect(mailsOf(first.id).map((m) => m.to)).toEqual([['ann@example.com']]);
      expect(mailsOf(last.id).map((m) => m.to)).toEqual([['ann@example.com']]);
    });
    expect(await stored(invalid.id)).toBeNull();
    expect(mailsOf(seen.id)).toHaveLength(1); // the duplicate sent nothing again
  });

  it(`refuses a batch of more than GRAPHQL_MAX_BATCH_EVENTS (${MAX_BATCH}) events, naming inputs, and records none of them`, async () => {
    const events = Array.from({ length: MAX_BATCH + 1 }, () => event());
    const res = await app.gql(PUBLISH_MANY, { inputs: events }, service());
    expect(res.data).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', fields: [{ field: 'inputs', message: expect.stringMatching(/at most 5 events/) }] } });
    for (const e of events) expect(await stored(e.id)).toBeNull();
  });

  it('bounds a huge batch written in the document by the token limit, and one in the variables by the body limit', async () => {
    const literal = (e: ReturnType<typeof event>) =>
      `{ schemaVersion: 1, id: "${e.id}", type: JOB_SUCCEEDED, occurredAt: "${e.occurredAt}", application: { id: "batch-app", name: "Batch" }, job: { id: "j", kind: "k", startedAt: "${e.job.startedAt}", endedAt: "${e.job.endedAt}" } }`;
    const inline = `mutation { publishJobEvents(inputs: [${Array.from({ length: 100 }, () => literal(event())).join(', ')}]) { index } }`;
    const parsed = await request(app.url).post('/graphql').set('authorization', `Bearer ${service()}`).send({ query: inline });
    expect(parsed.status).toBe(400);
    expect(parsed.body.errors[0]).toMatchObject({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } });

    const huge = Array.from({ length: 20_000 }, () => event());
    const big = await request(app.url).post('/graphql').set('authorization', `Bearer ${service()}`).send({ query: PUBLISH_MANY, variables: { inputs: huge } });
    expect(big.status).toBe(413);
    expect(await stored(huge[0].id)).toBeNull();
  });
});
