import { ApolloServer } from '@apollo/server';
import { loggedErrors } from './exception.filter';
import { createFormatError } from './format-error';
import { ForbiddenError } from './graphql-errors';

/**
 * What a client sees and what is logged for every kind of error, through a real
 * Apollo Server: an unexpected error is answered "Internal error" and logged once,
 * wherever it was thrown — a plugin, graphql-js, a resolver (whose error
 * HeraldExceptionFilter has logged already).
 */
describe('createFormatError', () => {
  const logged: string[] = [];
  const alreadyLogged = new Error('logged by the filter');
  loggedErrors.add(alreadyLogged);
  const server = new ApolloServer({
    typeDefs: `type Query { forbidden: Int, filtered: Int, notAnInt: Int, fine: Int }
      input RelayInput { host: String!, port: Int, password: String, sender: SenderInput }
      input SenderInput { address: String! }
      type Mutation { save(input: RelayInput!): Int }`,
    resolvers: {
      Query: {
        forbidden: () => {
          throw new ForbiddenError();
        },
        filtered: () => {
          throw alreadyLogged;
        },
        notAnInt: () => 'twelve',
        fine: () => 1,
      },
      Mutation: { save: () => 1 },
    },
    formatError: createFormatError({ logger: { error: (message: string) => void logged.push(message) } }),
    plugins: [
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ operationName }) {
              if (operationName === 'Broken') throw new TypeError("Cannot read properties of undefined (reading 'value')");
            },
          };
        },
      },
    ],
  });
  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => (logged.length = 0));

  const run = async (query: string) => {
    const res = await server.executeOperation({ query });
    if (res.body.kind !== 'single') throw new Error('not a single result');
    return { status: res.http.status, errors: res.body.singleResult.errors };
  };

  it('a plugin that throws: "Internal error", and the stack in the log', async () => {
    const res = await run('query Broken { fine }');
    expect(res.errors).toEqual([{ message: 'Internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^unexpected error: TypeError: Cannot read properties of undefined \(reading 'value'\)\n\s+at /);
  });

  it('a value graphql-js cannot serialise: logged with its path', async () => {
    const res = await run('{ notAnInt fine }');
    expect(res.errors).toEqual([{ message: 'Internal error', path: ['notAnInt'], locations: [{ line: 1, column: 3 }], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^unexpected error in notAnInt: GraphQLError: Int cannot represent non-integer value: "twelve"/);
  });

  it("a resolver's error the exception filter has logged: not logged twice", async () => {
    const res = await run('{ filtered }');
    expect(res.errors?.[0]).toMatchObject({ message: 'Internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(logged).toEqual([]);
  });

  describe("a variable's invalid value", () => {
    const SECRET = 'hunter2-secret';
    const save = async (input: Record<string, unknown>) => {
      const res = await server.executeOperation({ query: 'mutation($input: RelayInput!) { save(input: $input) }', variables: { input } });
      if (res.body.kind !== 'single') throw new Error('not a single result');
      return res.body.singleResult.errors!;
    };

    it('is answered with the path and the reason, never the value (the password beside a mistyped field), naming the field', async () => {
      const errors = await save({ host: 'smtp.example.com', password: SECRET, prot: 25 });
      expect(JSON.stringify(errors)).not.toContain(SECRET);
      expect(errors).toEqual([
        {
          message: 'Variable "$input" got an invalid value; Field "prot" is not defined by type "RelayInput". Did you mean "port"?',
          locations: [{ line: 1, column: 10 }],
          extensions: { code: 'BAD_USER_INPUT', fields: [{ field: 'prot', message: 'Field "prot" is not defined by type "RelayInput".' }] },
        },
      ]);
      expect(logged).toEqual([]);
    });

    it('names a field missing, or of the wrong type, by its path in the input', async () => {
      const missing = await save({ password: SECRET, sender: {} });
      expect(JSON.stringify(missing)).not.toContain(SECRET);
      expect(missing.map((e) => [e.message, e.extensions?.fields])).toEqual([
        ['Variable "$input" got an invalid value; Field "host" of required type "String!" was not provided.', [{ field: 'host', message: 'Field "host" of required type "String!" was not provided.' }]],
        ['Variable "$input" got an invalid value at "input.sender"; Field "address" of required type "String!" was not provided.', [{ field: 'sender.address', message: 'Field "address" of required type "String!" was not provided.' }]],
      ]);
      const wrong = await save({ host: 'smtp.example.com', password: SECRET, port: 'twenty-five' });
      expect(wrong.map((e) => [e.message, e.extensions?.fields])).toEqual([
        ['Variable "$input" got an invalid value at "input.port"; Int cannot represent non-integer value: "twenty-five"', [{ field: 'port', message: 'Int cannot represent non-integer value: "twenty-five"' }]],
      ]);
    });
  });

  it("Herald's own answers pass through and are not logged", async () => {
    const res = await run('{ forbidden }');
    expect(res.errors?.[0]).toMatchObject({ message: 'You are not allowed to do this', extensions: { code: 'FORBIDDEN' } });
    expect(logged).toEqual([]);
  });
});
