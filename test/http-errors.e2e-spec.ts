import request from 'supertest';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';

/**
 * What a client sees when a request goes wrong before or outside GraphQL, and
 * what reaches the process's output: whatever NODE_ENV says, a JSON body with no
 * stack trace or server path, and every error through Herald's logger (one JSON
 * object per line with LOG_FORMAT=json) — nothing written raw to stderr.
 */

/** Anything that betrays the server's insides: a stack frame, an absolute path, a dependency. */
function expectNoInternals(body: string): void {
  expect(body).not.toContain(' at ');
  expect(body).not.toContain('/work/');
  expect(body).not.toContain(process.cwd());
  expect(body).not.toContain('node_modules');
  expect(body).not.toMatch(/<html|<pre/i);
}

/**
 * Captures what the process writes while a test runs: process.stdout/stderr
 * (where Herald's logger writes) and the console (where Express's default error
 * handler writes a raw stack; under Jest the console does not reach process.stderr).
 */
class OutputCapture {
  readonly written: string[] = [];
  readonly console: string[] = [];
  private restore: Array<() => void> = [];

  start(): void {
    this.written.length = 0;
    this.console.length = 0;
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write;
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        this.written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as typeof stream.write;
      this.restore.push(() => (stream.write = original));
    }
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const spy = jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void this.console.push(args.map(String).join(' ')));
      this.restore.push(() => spy.mockRestore());
    }
  }

  stop(): void {
    this.restore.splice(0).forEach((undo) => undo());
  }

  /** Every line written to stdout/stderr, parsed (throws if one is not JSON). */
  jsonLines(): Array<Record<string, unknown>> {
    return this.written
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw new Error(`not a JSON log line: ${line.slice(0, 500)}`);
        }
      });
  }
}

describe.each([{ NODE_ENV: undefined }, { NODE_ENV: 'development' }])(`HTTP errors with NODE_ENV=$NODE_ENV (${DATABASE_KIND})`, ({ NODE_ENV }) => {
  let app: HeraldTestApp;
  const savedNodeEnv = process.env.NODE_ENV;
  const output = new OutputCapture();

  beforeAll(async () => {
    // Express reads NODE_ENV when the app is created (it decides whether its default error page shows the stack).
    if (NODE_ENV === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = NODE_ENV;
    app = await HeraldTestApp.start({ LOG_FORMAT: 'json', LOG_LEVEL: 'debug', HTTP_BODY_LIMIT: '16kb' });
  });
  afterAll(async () => {
    await app.close();
    process.env.NODE_ENV = savedNodeEnv;
  });
  beforeEach(() => output.start());
  afterEach(() => output.stop());

  /** The output of one request: JSON lines only, nothing through the console, and the logger told of it. */
  function expectLoggedAsJson(fragment: string): void {
    output.stop();
    expect(output.console).toEqual([]);
    const lines = output.jsonLines();
    expect(lines.some((line) => JSON.stringify(line).includes(fragment))).toBe(true);
  }

  it.each(['/no-such-page', '/favicon.ico'])('GET %s: 404 in JSON', async (path) => {
    const res = await request(app.url).get(path);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: `Cannot GET ${path}` });
    expectNoInternals(res.text);
    expectLoggedAsJson(path);
  });

  it('logs the path of an unknown page, not its query string (a signed link carries its token there)', async () => {
    const res = await request(app.url).get('/no-such-page?token=s3cr3t-signature');
    expect(res.status).toBe(404);
    expectLoggedAsJson('GET /no-such-page: 404');
    expect(output.written.join('')).not.toContain('s3cr3t');
  });

  it('POST /graphql with malformed JSON: 400, a GraphQL error in JSON', async () => {
    const res = await request(app.url).post('/graphql').set('content-type', 'application/json').send('{"query": "{ me { id } }",');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ errors: [{ message: expect.stringMatching(/^The request body is not valid JSON/), extensions: { code: 'BAD_REQUEST' } }] });
    expectNoInternals(res.text);
    expectLoggedAsJson('not valid JSON');
  });

  it('POST /graphql with a body over the limit: 413, a GraphQL error in JSON naming the limit', async () => {
    const query = `{ me { id } } # ${'x'.repeat(20_000)}`;
    const res = await request(app.url).post('/graphql').set('content-type', 'application/json').send({ query });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ errors: [{ message: 'The request body is larger than the limit of 16384 bytes', extensions: { code: 'BAD_REQUEST' } }] });
    expectNoInternals(res.text);
    expectLoggedAsJson('larger than the limit');
  });

  it('an unknown field: 400, a GraphQL validation error in JSON', async () => {
    const res = await request(app.url)
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${app.token(Role.USER, 'ann')}`)
      .send({ query: '{ me { idd } }' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0]).toMatchObject({ message: expect.stringContaining('Cannot query field "idd" on type "User"'), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(res.body.errors[0].extensions).not.toHaveProperty('stacktrace');
    expectNoInternals(res.text);
    output.stop();
    expect(output.console).toEqual([]);
    output.jsonLines();
  });
  /**
   * GraphiQL keeps the operationName of the last query run: a query pasted over it
   * and run at once goes with a name the new document does not have. Answered 400,
   * naming the name sent and the operations the document has; nothing about the
   * request (its token, its variables) reaches the log.
   */
  describe('an operationName the document does not have', () => {
    const secret = `s3cr3t-${process.pid}`;
    const post = (body: Record<string, unknown>) =>
      request(app.url)
        .post('/graphql')
        .set('content-type', 'application/json')
        .set('authorization', `Bearer ${app.token(Role.USER, 'ann')}`)
        .send({ variables: { note: secret }, ...body });
    const expectAnswered = (res: request.Response, message: string) => {
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ errors: [{ message, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }] });
      expectNoInternals(res.text);
      output.stop();
      expect(output.console).toEqual([]);
      const log = output.written.join('');
      expect(log).not.toContain(secret);
      expect(log).not.toContain(app.token(Role.USER, 'ann').split('.')[2]);
      output.jsonLines();
    };

    it('one operation without a name (a query pasted into GraphiQL): 400, naming both', async () => {
      const res = await post({ query: '{ me { id } }', operationName: 'Theirs' });
      expectAnswered(res, 'Unknown operation named "Theirs": the document has one operation, without a name (send no operationName to run it)');
    });

    it('named operations: 400, naming the one sent and those the document has', async () => {
      const res = await post({ query: 'query Mine { me { id } } query Other { me { email } }', operationName: 'Theirs' });
      expectAnswered(res, 'Unknown operation named "Theirs": the document has the operations "Mine" and "Other"');
    });

    it('several operations and no operationName: 400, naming them', async () => {
      const res = await post({ query: 'query Mine { me { id } } query Other { me { email } }' });
      expectAnswered(res, 'The document has several operations ("Mine" and "Other"): name the one to run in operationName');
    });

    it('a mutation: 400, and nothing is changed', async () => {
      const res = await post({ query: 'mutation { updateMyProfile(input: { email: "ann@example.com" }) { id } }', operationName: 'Save' });
      expectAnswered(res, 'Unknown operation named "Save": the document has one operation, without a name (send no operationName to run it)');
      expect((await app.gql('{ me { email } }', {}, app.token(Role.USER, 'ann'))).data?.me?.email ?? null).toBeNull();
    });
  });
});

describe(`field suggestions (${DATABASE_KIND})`, () => {
  const UNKNOWN_FIELD = '{ me { idd } }';

  it('are not given when introspection is off', async () => {
    const app = await HeraldTestApp.start({ GRAPHQL_IDE: 'false' });
    try {
      const res = await app.gql(UNKNOWN_FIELD, {}, app.token(Role.USER, 'ann'));
      expect(res.errors?.[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.errors?.[0].message).toBe('Cannot query field "idd" on type "User".');
      // Nor for an argument or a type.
      const arg = await app.gql('{ users(firts: 1) { totalCount } }', {}, app.token(Role.ADMIN));
      expect(arg.errors?.[0].message).toBe('Unknown argument "firts" on field "Query.users".');
      const type = await app.gql('query($s: DeliveryStatu) { deliveries(filter: { status: $s }) { totalCount } }', {}, app.token(Role.ADMIN));
      expect(type.errors?.map((e) => e.message).join(' ')).not.toContain('Did you mean');
      // Nor for a misspelt field of an input given as a variable (an error of coercion, not of validation).
      const input = await app.gql('mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { id } }', { input: { emial: 'ann@example.com' } }, app.token(Role.USER, 'ann'));
      expect(input.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(input.errors?.[0].message).toMatch(/Field "emial" is not defined by type "UpdateMyProfileInput"\.$/);
      // The field is named, and the value sent is not repeated (an input may hold a password).
      expect(input.errors?.[0].extensions.fields).toEqual([{ field: 'emial', message: 'Field "emial" is not defined by type "UpdateMyProfileInput".' }]);
      expect(JSON.stringify(input.errors)).not.toContain('ann@example.com');
    } finally {
      await app.close();
    }
  });

  it('are given when introspection is on (the schema is public then)', async () => {
    const app = await HeraldTestApp.start({ GRAPHQL_IDE: 'true' });
    try {
      const res = await app.gql(UNKNOWN_FIELD, {}, app.token(Role.USER, 'ann'));
      expect(res.errors?.[0].message).toBe('Cannot query field "idd" on type "User". Did you mean "id"?');
      const input = await app.gql('mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { id } }', { input: { emial: 'ann@example.com' } }, app.token(Role.USER, 'ann'));
      expect(input.errors?.[0].message).toMatch(/Did you mean "email"\?$/);
    } finally {
      await app.close();
    }
  });
});
