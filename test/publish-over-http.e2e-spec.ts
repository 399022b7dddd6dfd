import { createRequire } from 'node:module';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';
import { scrape } from './support/prometheus-text';
import { SmtpSink } from './support/smtp-sink';

/**
 * POST /events: one event of the wire format as a JSON body, as curl or a CI job
 * sends it — the same token, roles, body limit and validation as publishJobEvent,
 * answered in plain HTTP (202, 400 naming the fields, 401, 403, 413, 415) — or an
 * array of events, each answered on its own as by publishJobEvents.
 */
const EVENT = 'query($id: ID!) { event(id: $id) { id } }';
const BODY_LIMIT = 16 * 1024;
const MAX_BATCH = 3;

let seq = 0;
function event(extra: Record<string, unknown> = {}) {
  return {
    schemaVersion: 1,
    id: `http-${process.pid}-${++seq}`,
    type: 'JOB_SUCCEEDED',
    occurredAt: '2026-11-24T09:42:30Z',
    application: { id: 'http-app', name: 'Billing' },
    job: { id: `job-${seq}`, kind: 'analysis', startedAt: '2026-11-24T09:00:00Z', endedAt: '2026-11-24T09:42:30Z' },
    ...extra,
  };
}

describe(`POST /events (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let sink: SmtpSink;
  let service: string;
  const mailsOf = (eventId: string) => sink.received.filter((m) => m.parsed.headers.get('x-herald-event-id') === eventId);
  const stored = async (id: string) => (await app.admin(EVENT, { id })).event;

  /** A POST as curl would send it; `body` is sent as is when a string; `token: ''` sends none. */
  async function post(body: unknown, { token = service, contentType = 'application/json' } = {}) {
    const headers: Record<string, string> = { 'content-type': contentType };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${app.url}/events`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: JSON.parse(text) };
  }

  beforeAll(async () => {
    sink = await new SmtpSink().start();
    app = await HeraldTestApp.start({ HTTP_BODY_LIMIT: String(BODY_LIMIT), GRAPHQL_MAX_BATCH_EVENTS: String(MAX_BATCH) });
    service = app.token(Role.SERVICE, 'ci');
    await app.admin('mutation($input: UpdateSmtpSettingsInput!) { updateSmtpSettings(input: $input) { configured } }', {
      input: { host: '127.0.0.1', port: sink.port, security: 'NONE', authEnabled: false, sender: 'Herald <herald@example.com>', gatewayUri: 'https://console.example.com/aip' },
    });
    await seedApplication(app, { id: 'http-app', name: 'Billing' }, [{ id: 'ann' }]);
  });
  afterAll(async () => {
    await app.close();
    await sink.stop();
  });

  it('accepts an event: 202 with what was done, and the mail arrives; the same id again answers duplicate and sends nothing', async () => {
    const accepted = event();
    const res = await post(accepted);
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({ eventId: accepted.id, duplicate: false, deliveries: 1 });
    // Express's weak ETag, as its own generator writes it (bootstrap.ts's weakETag).
    const { wetag } = createRequire(__filename)('express/lib/utils') as { wetag: (body: string) => string };
    expect(res.headers.get('etag')).toBe(wetag(res.text));
    await eventually(async () => expect(mailsOf(accepted.id).map((m) => m.to)).toEqual([['ann@example.com']]));

    const again = await post(accepted);
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ eventId: accepted.id, duplicate: true, deliveries: 0 });
    expect(mailsOf(accepted.id)).toHaveLength(1);
    // Counted once, as come in over HTTP.
    expect((await scrape(app.url))('herald_events_received_total', { type: 'JOB_SUCCEEDED', way_in: 'http' })).toBe(1);
  });

  it('takes an ADMIN token too', async () => {
    const res = await post(event(), { token: app.token(Role.ADMIN, 'admin') });
    expect(res.status).toBe(202);
  });

  it('refuses an invalid event with 400, naming each field and never its value, and records nothing', async () => {
    const invalid = event({
      occurredAt: 'yesterday',
      application: { id: 'http-app', name: 'Bill\r\ning' },
      job: { id: 'x'.repeat(256), kind: 'ana\u0000lysis' },
      colour: 'blue',
    });
    const res = await post(invalid);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(res.body.problems.map((p: { field: string }) => p.field).sort()).toEqual(['application.name', 'colour', 'job.id', 'job.kind', 'occurredAt']);
    expect(res.body.message).toContain('occurredAt: must be a valid ISO 8601 date string');
    expect(res.text).not.toContain('x'.repeat(256));
    expect(res.text).not.toContain('yesterday');
    expect(await stored(invalid.id)).toBeNull();
  });

  it('refuses a list where one object is expected (two applications, none, a job in a list) with 400 naming the field, and records and sends nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ application: [{ id: 'http-app', name: 'Billing' }, { id: 'other-app', name: 'Other' }] }, 'application'],
      [{ application: [] }, 'application'],
      [{ job: [{ id: 'job-list', kind: 'analysis' }] }, 'job'],
    ];
    for (const [extra, field] of cases) {
      const invalid = event(extra);
      const res = await post(invalid);
      expect({ field, status: res.status, problems: res.body.problems }).toEqual({ field, status: 400, problems: [{ field, message: 'must be an object' }] });
      expect(await stored(invalid.id)).toBeNull();
      expect(mailsOf(invalid.id)).toEqual([]);
    }
  });

  it('counts lengths in code points, as PostgreSQL does: an id or a name whose letters each carry a variation selector is refused when over its limit', async () => {
    const invalid = event({ id: 'e\ufe0f'.repeat(128), application: { id: 'http-app', name: '\u2764\ufe0f'.repeat(255) } });
    const res = await post(invalid);
    expect(res.status).toBe(400);
    expect(res.body.problems).toEqual([
      { field: 'id', message: 'must be shorter than or equal to 128 characters' },
      { field: 'application.name', message: 'must be shorter than or equal to 255 characters' },
    ]);
    // Within the limits it is taken, on either database (an application of no one: nobody is mailed).
    const taken = event({ id: `${'e\ufe0f'.repeat(60)}-${seq}`, application: { id: 'http-hearts', name: '\u2764\ufe0f'.repeat(127) } });
    expect((await post(taken)).status).toBe(202);
    expect(await stored(taken.id)).toEqual({ id: taken.id });
  });

  /** Each event (the test's event with `extra`) is refused with 400, the one problem `message` on `field`, and not recorded. */
  async function expectRefused(cases: Array<[Record<string, unknown>, string]>, message: string): Promise<void> {
    for (const [extra, field] of cases) {
      const invalid = event(extra);
      const res = await post(invalid);
      expect({ field, status: res.status, problems: res.body.problems }).toEqual({ field, status: 400, problems: [{ field, message }] });
      expect(await stored(invalid.id)).toBeNull();
    }
  }

  it('refuses a time that is ISO 8601 but that Herald cannot read (a week date, a basic form) with 400 naming the field, and records nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ occurredAt: '2026-W48-2' }, 'occurredAt'],
      [{ occurredAt: '20261124T094230Z' }, 'occurredAt'],
      [{ job: { id: 'job-week', kind: 'analysis', endedAt: '2026-W48-2' } }, 'job.endedAt'],
    ];
    await expectRefused(cases, 'must be a valid ISO 8601 date string');
  });

  it('refuses a time of day without its time zone with 400 naming the field, and records nothing: another host would read it as another instant', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ occurredAt: '2026-11-24T09:42:30' }, 'occurredAt'],
      [{ job: { id: 'job-local', kind: 'analysis', startedAt: '2026-11-24T09:00:00.5' } }, 'job.startedAt'],
    ];
    await expectRefused(cases, 'must give its time zone (Z or ±hh:mm) after the time of day');
    const withZone = event({ occurredAt: '2026-11-24T11:42:30+02:00' });
    expect((await post(withZone)).status).toBe(202);
  });

  it('refuses a body that is no event (an empty object, an empty body: the same to the JSON parser) with 400', async () => {
    for (const body of [{}, '']) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.problems).toEqual([{ field: 'type', message: expect.stringMatching(/^must be one of JOB_SUCCEEDED, /) }]);
    }
  });

  it('answers an array of events each on its own, as publishJobEvents: accepted, duplicate, refused naming its fields', async () => {
    const [seen, first, last] = [event(), event(), event()];
    expect((await post(seen)).status).toBe(202);
    const invalid = event({ occurredAt: 'yesterday' });
    const res = await post([first, seen, invalid]);
    expect(res.status).toBe(202);
    expect(res.body).toEqual([
      { index: 0, result: { eventId: first.id, duplicate: false, deliveries: 1 }, problems: [] },
      { index: 1, result: { eventId: seen.id, duplicate: true, deliveries: 0 }, problems: [] },
      { index: 2, result: null, problems: [{ field: 'occurredAt', message: 'must be a valid ISO 8601 date string' }] },
    ]);
    await eventually(async () => expect(mailsOf(first.id)).toHaveLength(1));
    expect(await stored(invalid.id)).toBeNull();

    const tooMany = await post([last, event(), event(), event()]);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.problems).toEqual([{ field: 'body', message: `at most ${MAX_BATCH} events per request (GRAPHQL_MAX_BATCH_EVENTS), got ${MAX_BATCH + 1}` }]);
    expect(await stored(last.id)).toBeNull();
  });

  it('refuses malformed JSON with 400, without quoting it', async () => {
    const res = await post('{"id": "secret-value", ');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'The request body is not valid JSON' });
  });

  it('refuses a body that is not JSON with 415, whatever it holds, and records nothing', async () => {
    const sent = event();
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await post(JSON.stringify(sent), { contentType });
      expect(res.status).toBe(415);
      expect(res.body).toEqual({ statusCode: 415, error: 'Unsupported Media Type', message: 'Send the event as JSON, with Content-Type: application/json' });
    }
    expect(await stored(sent.id)).toBeNull();
  });

  it('refuses a body over HTTP_BODY_LIMIT with 413 naming the limit, and records nothing', async () => {
    const large = event({ type: 'JOB_FAILED', error: { message: 'Out of memory', logExcerpt: 'a log line\n'.repeat(2000) } });
    const res = await post(large);
    expect(res.status).toBe(413);
    expect(res.body.message).toBe(`The request body is larger than the limit of ${BODY_LIMIT} bytes`);
    expect(await stored(large.id)).toBeNull();
  });

  it('asks for a token (401, WWW-Authenticate: Bearer), refuses a wrong one (401) and a USER token (403), echoing no token', async () => {
    const sent = event();
    const none = await post(sent, { token: '' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Authentication required: send a valid bearer token' });

    const forged = `${service.slice(0, -4)}AAAA`;
    const wrong = await post(sent, { token: forged });
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toMatch(/^Invalid bearer token: /);
    expect(wrong.text).not.toContain(forged);

    const user = await post(sent, { token: app.token(Role.USER, 'mia') });
    expect(user.status).toBe(403);
    expect(user.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'This operation needs one of the roles SERVICE, ADMIN' });
    expect(await stored(sent.id)).toBeNull();
  });
});
