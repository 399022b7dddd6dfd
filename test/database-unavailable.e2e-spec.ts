import { createServer, type AddressInfo } from 'node:net';
import request from 'supertest';
import { HeraldPublisher, PublishFailedError, type RetryNotice } from '@herald/client';
import { Role } from '../src/auth/role.enum';
import { PreferenceLinks } from '../src/notifications/preference-links/preference-links';
import { DatabaseProxy, fillDisk, goAway } from './support/database-outage';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';
import { eventually, seedApplication } from './support/people';

/**
 * What callers see while the database cannot serve them — full, restarting,
 * unreachable, locked: an answer that says to retry (HTTP 503 with Retry-After,
 * SERVICE_UNAVAILABLE with `retryable: true` and `retryAfterSeconds`), never
 * INTERNAL_SERVER_ERROR and never the database's own words; and once the database
 * is back, the same request succeeds.
 *
 * On PostgreSQL the app reaches the shared server through a proxy of this test
 * (test/support/database-outage.ts), which "restarts" by cutting its connections;
 * a full disk is SQLSTATE 53100 raised by the app's own tables. Nothing of the
 * server is disturbed for its other users.
 */
const PUBLISH = 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId duplicate deliveries } }';
const PUBLISH_MANY = 'mutation($inputs: [PublishJobEventInput!]!) { publishJobEvents(inputs: $inputs) { index result { eventId duplicate deliveries } } }';
const UPDATE_PROFILE = 'mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { displayName } }';

const FULL = "Herald's database is unavailable right now (full, restarting or unreachable): try again in 5 s";
const AWAY = "Herald's database is unavailable right now (full, restarting or unreachable): try again in 1 s";

let seq = 0;
/** A failed job with a large log excerpt: recording it needs new pages (SQLite's "full" refuses it). */
const largeEvent = () => {
  const n = ++seq;
  return {
    schemaVersion: 1,
    id: `outage-${process.pid}-${n}`,
    type: 'JOB_FAILED',
    occurredAt: '2026-11-24T09:42:30Z',
    application: { id: 'app-outage', name: 'Billing' },
    job: { id: `job-${n}`, kind: 'analysis' },
    error: { message: 'Out of memory', logExcerpt: `log line ${n} of a long log\n`.repeat(2000) },
  };
};

/** Anything of the database's own words, or of the server's insides. */
function expectNothingInternal(text: string): void {
  for (const word of ['SQLITE', '53100', 'No space', 'disk_full', 'ECONN', 'Connection terminated', 'database is locked', ' at ', 'node_modules', process.cwd()]) {
    expect(text).not.toContain(word);
  }
}

describe(`while the database is unavailable (${DATABASE_KIND})`, () => {
  let proxy: DatabaseProxy | undefined;
  let app: HeraldTestApp;
  let service: string;

  const post = (query: string, variables: Record<string, unknown>, token = service) =>
    request(app.url).post('/graphql').set('content-type', 'application/json').set('authorization', `Bearer ${token}`).send({ query, variables });

  /** The answer of a refused request: 503, Retry-After, and one error saying to retry. */
  function expectRefused(res: request.Response, field: string, retryAfterSeconds: number): void {
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe(String(retryAfterSeconds));
    expect(res.headers['content-type']).toMatch(/^application\/(graphql-response\+)?json/);
    expect(res.body.data).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0]).toMatchObject({
      message: retryAfterSeconds === 5 ? FULL : AWAY,
      path: [field],
      extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSeconds },
    });
    expect(Object.keys(res.body.errors[0].extensions).sort()).toEqual(['code', 'retryAfterSeconds', 'retryable']);
    expectNothingInternal(res.text);
  }

  /** The answer of a refused request outside GraphQL: 503, Retry-After, Nest's JSON error shape, nothing internal. */
  function expectRefusedOutsideGraphql(res: request.Response, retryAfterSeconds: number): void {
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe(String(retryAfterSeconds));
    expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: retryAfterSeconds === 5 ? FULL : AWAY });
    expectNothingInternal(res.text);
  }

  beforeAll(async () => {
    proxy = DATABASE_KIND === 'postgres' ? await DatabaseProxy.start() : undefined;
    app = await HeraldTestApp.start(proxy ? { DATABASE_URL: proxy.url } : {});
    service = app.token(Role.SERVICE, 'console');
    await seedApplication(app, { id: 'app-outage', name: 'Billing' }, [{ id: 'oona' }]);
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.close();
  });

  it('publishJobEvent while the disk is full: 503, Retry-After, SERVICE_UNAVAILABLE, retryable; once there is room, the same event is accepted', async () => {
    const event = largeEvent();
    const outage = await fillDisk(app);
    try {
      expectRefused(await post(PUBLISH, { input: event }), 'publishJobEvent', 5);
    } finally {
      await outage.end();
    }
    const res = await post(PUBLISH, { input: event });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { publishJobEvent: { eventId: event.id, duplicate: false, deliveries: 1 } } });
  });

  it('publishJobEvents while the disk is full: the batch is refused the same way, and accepted whole once there is room', async () => {
    const events = [largeEvent(), largeEvent(), largeEvent()];
    const outage = await fillDisk(app);
    try {
      expectRefused(await post(PUBLISH_MANY, { inputs: events }), 'publishJobEvents', 5);
    } finally {
      await outage.end();
    }
    const res = await post(PUBLISH_MANY, { inputs: events });
    expect(res.status).toBe(200);
    expect(res.body.data.publishJobEvents).toEqual(events.map((e, index) => ({ index, result: { eventId: e.id, duplicate: false, deliveries: 1 } })));
  });

  it('POST /events while the disk is full: 503, Retry-After, in JSON, nothing internal; once there is room, the same event is accepted', async () => {
    const event = largeEvent();
    const publish = () => request(app.url).post('/events').set('content-type', 'application/json').set('authorization', `Bearer ${service}`).send(event);
    const outage = await fillDisk(app);
    try {
      const res = await publish();
      expectRefusedOutsideGraphql(res, 5);
    } finally {
      await outage.end();
    }
    const res = await publish();
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ eventId: event.id, duplicate: false, deliveries: 1 });
  });

  it('any mutation (and on PostgreSQL any query) while the database is away: 503 with Retry-After; the same request succeeds once it is back', async () => {
    const own = app.token(Role.USER, 'oona');
    const input = { input: { displayName: 'Oona while away' } };
    const outage = goAway(app, proxy);
    try {
      expectRefused(await post(UPDATE_PROFILE, input, own), 'updateMyProfile', 1);
      // SQLite's readers are not stopped by a writer's lock: reads go on there.
      if (DATABASE_KIND === 'postgres') expectRefused(await post('{ me { displayName } }', {}, own), 'me', 1);
    } finally {
      await outage.end();
    }
    const res = await post(UPDATE_PROFILE, input, own);
    expect(res.body).toEqual({ data: { updateMyProfile: { displayName: 'Oona while away' } } });
  });

  it('a page outside GraphQL (one-click unsubscribe) while the database is away: 503 with Retry-After, in JSON, nothing internal', async () => {
    const event = largeEvent();
    await post(PUBLISH, { input: event });
    const { event: recorded } = await app.admin('query($id: ID!) { event(id: $id) { deliveries { id } } }', { id: event.id });
    const token = app.app.get(PreferenceLinks).tokens.sign(Number(recorded.deliveries[0].id), new Date(Date.now() + 3_600_000));
    const outage = goAway(app, proxy);
    try {
      const res = await request(app.url).post('/unsubscribe').query({ t: token }).type('form').send({ 'List-Unsubscribe': 'One-Click' });
      expectRefusedOutsideGraphql(res, 1);
    } finally {
      await outage.end();
    }
  });

  describe('@herald/client publishing over GraphQL', () => {
    const EVENT = 'query($id: ID!) { event(id: $id) { id deliveries { recipientId } } }';
    /** How a publish ended, without waiting for it more than the test does. */
    const settle = (p: Promise<void>) => p.then(() => 'published' as const, (error: unknown) => error);

    it('waits as Herald asks (Retry-After) and tries again: the event is taken once the database is back, once', async () => {
      const retries: RetryNotice[] = [];
      const publisher = new HeraldPublisher({ url: `${app.url}/graphql`, token: service, retry: { minDelayMs: 100, onRetry: (r) => retries.push(r) } });
      const event = largeEvent();
      const started = Date.now();
      const outage = await fillDisk(app);
      let publishing: Promise<unknown>;
      try {
        publishing = settle(publisher.publish(event));
        await eventually(async () => expect(retries).toHaveLength(1));
      } finally {
        await outage.end();
      }
      expect(await publishing).toBe('published');
      expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
      expect(retries).toEqual([{ attempt: 1, delayMs: 5000, reason: `SERVICE_UNAVAILABLE, HTTP 503: ${FULL}` }]);
      expect((await app.admin(EVENT, { id: event.id })).event).toEqual({ id: event.id, deliveries: [{ recipientId: 'oona' }] });
      await publisher.close();
    });

    it('gives up after its bounded tries, saying why and when to come back', async () => {
      const publisher = new HeraldPublisher({ url: `${app.url}/graphql`, token: service, retry: { attempts: 2, minDelayMs: 100, maxDelayMs: 5000 } });
      const event = largeEvent();
      const outage = await fillDisk(app);
      try {
        const error = await settle(publisher.publish(event));
        expect(error).toBeInstanceOf(PublishFailedError);
        expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, attempts: 2, retryable: true, retryAfterSeconds: 5 });
        expect((error as Error).message).toBe(`Herald did not take event ${event.id} after 2 tries: SERVICE_UNAVAILABLE, HTTP 503: ${FULL}`);
      } finally {
        await outage.end();
        await publisher.close();
      }
      expect((await app.admin(EVENT, { id: event.id })).event).toBeNull();
    });

    it('does not wait longer than its longest pause: a longer Retry-After ends the tries at once', async () => {
      const publisher = new HeraldPublisher({ url: `${app.url}/graphql`, token: service, retry: { maxDelayMs: 1000 } });
      const outage = await fillDisk(app);
      try {
        expect(await settle(publisher.publish(largeEvent()))).toMatchObject({ code: 'SERVICE_UNAVAILABLE', attempts: 1, retryable: true, retryAfterSeconds: 5 });
      } finally {
        await outage.end();
        await publisher.close();
      }
    });

    it('does not retry what will fail the same way (a bad token), and never shows the token', async () => {
      const token = `${service.slice(0, -4)}AAAA`;
      const publisher = new HeraldPublisher({ url: `${app.url}/graphql`, token, retry: { minDelayMs: 10 } });
      const error = await settle(publisher.publish(largeEvent()));
      expect(error).toMatchObject({ code: 'UNAUTHENTICATED', attempts: 1, retryable: false });
      expect((error as Error).message).toMatch(/^Herald refused event outage-\d+-\d+: UNAUTHENTICATED, HTTP \d{3}: /);
      expect(JSON.stringify(error) + (error as Error).message + (error as Error).stack).not.toContain(token.split('.')[2]);
      await publisher.close();
    });

    it('tries again while Herald cannot be reached, as many times as it may', async () => {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const { port } = closed.address() as AddressInfo;
      await new Promise((r) => closed.close(r));
      const retries: RetryNotice[] = [];
      const publisher = new HeraldPublisher({ url: `http://127.0.0.1:${port}/graphql`, token: service, retry: { attempts: 3, minDelayMs: 10, onRetry: (r) => retries.push(r) } });
      expect(await settle(publisher.publish(largeEvent()))).toMatchObject({ code: 'ECONNREFUSED', attempts: 3, retryable: true });
      expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
      await publisher.close();
    });
  });
});
