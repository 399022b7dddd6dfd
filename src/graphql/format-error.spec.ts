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
    typeDefs: 'type Query { forbidden: Int, filtered: Int, notAnInt: Int, fine: Int }',
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

  it("Herald's own answers pass through and are not logged", async () => {
    const res = await run('{ forbidden }');
    expect(res.errors?.[0]).toMatchObject({ message: 'You are not allowed to do this', extensions: { code: 'FORBIDDEN' } });
    expect(logged).toEqual([]);
  });
});
