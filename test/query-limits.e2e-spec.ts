import { getIntrospectionQuery } from 'graphql';
import request from 'supertest';
import { Role } from '../src/auth/role.enum';
import { validateEnvironment } from '../src/config/validate-environment';
import { DATABASE_KIND, type GraphqlResponse, HeraldTestApp } from './support/herald-test-app';

/**
 * One request must not be able to exhaust Herald (a 128 MB heap in production):
 * tokens, depth, aliases and cost are limited, and refused before anything runs,
 * with a clear error — while every legitimate query of the schema still passes.
 */

const USER = 'id displayName email locale notificationsEnabled createdAt updatedAt';
const APPLICATION = 'id name createdAt';
const DELIVERY = 'id applicationId attempts createdAt eventId eventType lastError lastReply messageId nextAttemptAt recipientEmail recipientId sentAt status updatedAt';
const PREFERENCES = 'preferences { eventType label enabled receives reason source applicationOverrides { applicationId enabled } }';
const FULL_USER = `${USER} memberships { role application { ${APPLICATION} } user { ${USER} } } ${PREFERENCES}`;
const PAGE = 'totalCount pageInfo { hasNextPage endCursor }';
const SMTP_SETTINGS = 'authEnabled caCertificate configured connectionTimeoutMs gatewayUri greetingTimeoutMs host passwordSet poolSize port security sender socketTimeoutMs updatedAt updatedBy username verifyCertificate';

/** The largest legitimate query of each top-level field: every field, the largest page. */
const LARGEST_QUERIES: Record<string, string> = {
  applications: `{ applications(first: 100) { ${PAGE} edges { cursor node { ${APPLICATION} } } } }`,
  deliveries: `{ deliveries(first: 100) { ${PAGE} edges { cursor node { ${DELIVERY} } } } }`,
  event: `{ event(id: "evt-big") { id type occurredAt receivedAt recipients schemaVersion source application { id name } deliveries { ${DELIVERY} } } }`,
  me: `{ me { ${FULL_USER} } }`,
  recipientsPreview: '{ recipientsPreview(applicationId: "app-0", eventType: JOB_FAILED) { userId email displayName locale } }',
  smtpSettings: `{ smtpSettings { ${SMTP_SETTINGS} } }`,
  users: `{ users(first: 100) { ${PAGE} edges { cursor node { ${FULL_USER} } } } }`,
};

/** `n` aliases of one selection: `a0: <selection> a1: <selection> …`. */
const aliased = (n: number, selection: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${selection}`).join(' ')} }`;

const PEOPLE = 100;
const APPLICATIONS = 3;

describe(`query limits (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  let admin: string;
  let user: string;

  /**
   * POSTs an operation; resolves with the HTTP status, the body and the CPU time the
   * answer cost (the app runs in this process): what a refusal "at once" must keep
   * small. Not the time it took, which grows with whatever else the machine runs.
   */
  async function post(body: Record<string, unknown>, token: string) {
    const started = process.cpuUsage();
    const res = await request(app.url)
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${token}`)
      .timeout(15_000)
      .send(body);
    const { user: cpuUser, system: cpuSystem } = process.cpuUsage(started);
    return { status: res.status, body: res.body as GraphqlResponse, text: res.text, cpuMs: (cpuUser + cpuSystem) / 1000 };
  }

  /** The process is alive and answers. */
  async function expectAlive(): Promise<void> {
    const res = await app.gql('{ me { id } }', {}, user);
    expect(res).toEqual({ data: { me: { id: 'ann' } } });
  }

  function expectRefused(res: Awaited<ReturnType<typeof post>>, code: string, message: RegExp): void {
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code } });
    expect(res.text).not.toMatch(/ at |node_modules|\/work\//);
  }

  beforeAll(async () => {
    // Introspection on, as with GraphiQL: its query must pass the limits too.
    app = await HeraldTestApp.start({ GRAPHQL_IDE: 'true', USERS_NOTIFICATIONS_DEFAULT: 'true' });
    admin = app.token(Role.ADMIN, 'admin');
    user = app.token(Role.USER, 'ann', { email: 'ann@example.com' });
    const service = app.token(Role.SERVICE, 'console');
    const ok = async (query: string, variables: Record<string, unknown>, token: string) => {
      const res = await app.gql(query, variables, token);
      if (res.errors) throw new Error(JSON.stringify(res.errors));
    };
    // Full pages: 100 people (with an address), each managing every application; one event mailing them all.
    for (let a = 0; a < APPLICATIONS; a++) {
      await ok('mutation($input: CreateApplicationInput!) { createApplication(input: $input) { id } }', { input: { id: `app-${a}`, name: `App ${a}` } }, service);
    }
    const ids = Array.from({ length: PEOPLE }, (_, i) => `person-${i}`);
    for (let i = 0; i < ids.length; i += 10) {
      await Promise.all(ids.slice(i, i + 10).map(async (id) => {
        await ok('{ me { id } }', {}, app.token(Role.USER, id, { email: `${id}@example.com` }));
        for (let a = 0; a < APPLICATIONS; a++) {
          await ok('mutation($input: MembershipInput!) { grantMembership(input: $input) { role } }', { input: { userId: id, applicationId: `app-${a}` } }, service);
        }
      }));
    }
    await ok('{ me { id } }', {}, user);
    await ok(
      'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { deliveries } }',
      { input: { id: 'evt-big', type: 'APPLICATION_CREATED', occurredAt: new Date().toISOString(), application: { id: 'app-0', name: 'App 0' } } },
      service,
    );
  }, 120_000);
  afterAll(() => app.close());

  describe('the attacks that killed Herald', () => {
    it('2,000 aliases of deliveries(first: 100) from a USER: a clear error, at once', async () => {
      const res = await post({ query: aliased(2000, `deliveries(first: 100) { edges { node { ${DELIVERY} } } }`) }, user);
      expectRefused(res, 'GRAPHQL_PARSE_FAILED', /more tha[nt] 1000 tokens/);
      expect(res.cpuMs).toBeLessThan(2000);
      await expectAlive();
    });

    it('1,000 aliases of users(first: 100) with memberships from an ADMIN: a clear error, at once', async () => {
      const res = await post({ query: aliased(1000, `users(first: 100) { edges { node { ${USER} memberships { role application { id name } } } } }`) }, admin);
      expectRefused(res, 'GRAPHQL_PARSE_FAILED', /more tha[nt] 1000 tokens/);
      expect(res.cpuMs).toBeLessThan(2000);
      await expectAlive();
    });

    it('3,000 aliases of me: a clear error, at once', async () => {
      const res = await post({ query: aliased(3000, 'me { id }') }, user);
      expectRefused(res, 'GRAPHQL_PARSE_FAILED', /more tha[nt] 1000 tokens/);
      expect(res.cpuMs).toBeLessThan(2000);
      await expectAlive();
    });
  });

  describe('each limit', () => {
    it('tokens: a document of more than 1,000 tokens is not parsed', async () => {
      expectRefused(await post({ query: `{ me { ${'id '.repeat(1000)}} }` }, user), 'GRAPHQL_PARSE_FAILED', /^Syntax Error: Document contains more tha[nt] 1000 tokens\. Parsing aborted\.$/);
      await expectAlive();
    });

    it('aliases: 15 pass, 16 are refused', async () => {
      const fifteen = await post({ query: aliased(15, 'me { id }') }, user);
      expect(fifteen.body.errors).toBeUndefined();
      expectRefused(await post({ query: aliased(16, 'me { id }') }, user), 'GRAPHQL_VALIDATION_FAILED', /^Aliases limit of 15 exceeded, found 16\.$/);
      await expectAlive();
    });

    it('depth: 8 fields deep pass (fragments do not count), 10 are refused', async () => {
      const eight = '{ me { memberships { user { memberships { user { memberships { application { id } } } } } } } }';
      expect((await post({ query: eight }, user)).body.errors).toBeUndefined();
      const withFragments = '{ me { ...M } } fragment M on User { memberships { user { ...N } } } fragment N on User { memberships { user { memberships { application { id } } } } }';
      expect((await post({ query: withFragments }, user)).body.errors).toBeUndefined();
      const ten = '{ me { memberships { user { memberships { user { memberships { user { memberships { application { id } } } } } } } } } }';
      expectRefused(await post({ query: ten }, user), 'GRAPHQL_VALIDATION_FAILED', /^Query depth limit of 8 exceeded, found 10\.$/);
      await expectAlive();
    });

    it('cost: pages count as many times as their size, from the query or its variables', async () => {
      const threePages = (first: string) => `query${first === '$n' ? '($n: Int)' : ''} { ${['a', 'b', 'c'].map((a) => `${a}: users(first: ${first}) { edges { node { ${FULL_USER} } } }`).join(' ')} }`;
      const refused = await post({ query: threePages('100') }, admin);
      expectRefused(refused, 'GRAPHQL_VALIDATION_FAILED', /^Query cost limit of 100000 exceeded, found 123303: ask for fewer items \(first\) or fewer fields, or split the query$/);
      expect(refused.body.errors![0].extensions).toMatchObject({ maxCost: 100000, cost: 123303 });
      expectRefused(await post({ query: threePages('$n'), variables: { n: 100 } }, admin), 'GRAPHQL_VALIDATION_FAILED', /^Query cost limit/);
      // The same with pages of 20 (the default page size) is fine.
      expect((await post({ query: threePages('$n'), variables: { n: 20 } }, admin)).body.errors).toBeUndefined();
      // A document's cost is remembered per page size asked, not once for all sizes.
      expectRefused(await post({ query: threePages('$n'), variables: { n: 100 } }, admin), 'GRAPHQL_VALIDATION_FAILED', /^Query cost limit/);
      expectRefused(await post({ query: threePages('$n'), variables: { n: 99 } }, admin), 'GRAPHQL_VALIDATION_FAILED', /^Query cost limit/);
      expect((await post({ query: threePages('$n'), variables: { n: 20 } }, admin)).body.errors).toBeUndefined();
      expect((await post({ query: threePages('20').replaceAll('(first: 20)', '') }, admin)).body.errors).toBeUndefined();
      await expectAlive();
    });

    it('cost: a fragment expanded exponentially is refused', async () => {
      const levels = 20;
      const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on User { ${i + 1 < levels ? `...F${i + 1} ...F${i + 1}` : 'id'} }`);
      const res = await post({ query: `{ me { ...F0 } } ${fragments.join(' ')}` }, user);
      expect(res.status).toBe(400);
      expect(res.body.errors?.[0].extensions.code).toMatch(/^(BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED)$/);
      expect(res.cpuMs).toBeLessThan(2000);
      await expectAlive();
    });

    it('batches: an array of operations is refused (one request, one operation)', async () => {
      const res = await request(app.url).post('/graphql').set('content-type', 'application/json').set('authorization', `Bearer ${user}`).send(Array.from({ length: 100 }, () => ({ query: '{ me { id } }' })));
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/batch/i);
      await expectAlive();
    });

    it('body: a request over 2 MB gets a JSON error naming the limit', async () => {
      const res = await post({ query: '{ me { id } }', variables: { padding: 'x'.repeat(2_200_000) } }, user);
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ errors: [{ message: 'The request body is larger than the limit of 2097152 bytes', extensions: { code: 'BAD_REQUEST' } }] });
      await expectAlive();
    });

    it('are set by environment variables, validated at boot naming the bad one', () => {
      expect(() => validateEnvironment({ GRAPHQL_MAX_DEPTH: '0' })).toThrow(/GRAPHQL_MAX_DEPTH must not be less than 2/);
      expect(() => validateEnvironment({ GRAPHQL_MAX_COST: 'lots' })).toThrow(/GRAPHQL_MAX_COST/);
      expect(() => validateEnvironment({ HTTP_BODY_LIMIT: '1 gigabyte' })).toThrow(/HTTP_BODY_LIMIT must be a size in bytes, or with a kb or mb suffix/);
      expect(validateEnvironment({ HTTP_BODY_LIMIT: '2mb', GRAPHQL_MAX_ALIASES: '30' })).toMatchObject({ HTTP_BODY_LIMIT: '2mb', GRAPHQL_MAX_ALIASES: 30 });
    });
  });

  describe('legitimate queries pass', () => {
    it.each(Object.entries(LARGEST_QUERIES))('the largest %s', async (_field, query) => {
      const res = await post({ query }, admin);
      expect(res.body.errors).toBeUndefined();
      expect(res.status).toBe(200);
    });

    it('full pages really are full (the limits were met with real data)', async () => {
      const { users } = (await post({ query: LARGEST_QUERIES.users }, admin)).body.data!;
      expect(users.edges).toHaveLength(100);
      const person = users.edges.find((e: { node: { id: string } }) => e.node.id === 'person-0');
      expect(person.node.memberships).toHaveLength(APPLICATIONS);
      const { deliveries } = (await post({ query: LARGEST_QUERIES.deliveries }, admin)).body.data!;
      expect(deliveries.edges).toHaveLength(100);
    });

    it('all of them at once, with __typename everywhere (as Apollo Client asks)', async () => {
      const all = `{ ${Object.values(LARGEST_QUERIES).map((q) => q.slice(1, -1)).join(' ')} }`.replaceAll('{ ', '{ __typename ');
      const res = await post({ query: all }, admin);
      expect(res.body.errors).toBeUndefined();
    });

    it("GraphiQL's introspection query", async () => {
      const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
      const res = await post({ query, operationName: 'IntrospectionQuery' }, admin);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.__schema.types.length).toBeGreaterThan(20);
    });

    it('the largest job event: a 64 Ki-character log excerpt of multi-byte characters, every field', async () => {
      const input = {
        id: 'evt-largest',
        type: 'JOB_FAILED',
        occurredAt: new Date().toISOString(),
        application: { id: 'app-1', name: '€'.repeat(255) },
        job: { id: 'job-1', kind: 'analysis', startedAt: new Date().toISOString(), endedAt: new Date().toISOString() },
        error: { message: '€'.repeat(10_000), step: '€'.repeat(255), logExcerpt: '€'.repeat(65_536) },
      };
      const res = await post({ query: 'mutation($input: PublishJobEventInput!) { publishJobEvent(input: $input) { eventId duplicate deliveries } }', variables: { input } }, app.token(Role.SERVICE, 'console'));
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.publishJobEvent).toMatchObject({ eventId: 'evt-largest', deliveries: PEOPLE });
    });

    it('mutations answering a whole person', async () => {
      const res = await post({ query: `mutation($input: SetNotificationPreferenceInput!) { setNotificationPreference(input: $input) { ${FULL_USER} } }`, variables: { input: { eventType: 'JOB_FAILED', enabled: true } } }, user);
      expect(res.body.errors).toBeUndefined();
      const grant = await post({ query: `mutation($input: MembershipInput!) { grantMembership(input: $input) { role application { ${APPLICATION} } user { ${FULL_USER} } } }`, variables: { input: { userId: 'ann', applicationId: 'app-2' } } }, app.token(Role.SERVICE, 'console'));
      expect(grant.body.errors).toBeUndefined();
    });
  });
});
