import { getIntrospectionQuery } from 'graphql';
import request from 'supertest';
import { Role } from '../src/auth/role.enum';
import { DATABASE_KIND, HeraldTestApp } from './support/herald-test-app';

/**
 * The schema is told to those who may call Herald: with GRAPHQL_IDE on, introspection
 * and "Did you mean …" hints answer a caller with a valid token (GraphiQL sends the
 * one pasted in its headers), and nobody else.
 */
describe(`introspection and suggestions for anonymous callers (${DATABASE_KIND})`, () => {
  let app: HeraldTestApp;
  const post = (body: object, authorization?: string) => {
    const req = request(app.url).post('/graphql').set('content-type', 'application/json');
    return (authorization ? req.set('authorization', authorization) : req).send(body);
  };
  const SCHEMA = '{ __schema { types { name } } }';
  const TYPO = '{ me { idd } }';
  const COERCION = 'mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { id } }';

  beforeAll(async () => (app = await HeraldTestApp.start({ GRAPHQL_IDE: 'true' })));
  afterAll(() => app?.close());

  it('refuses introspection without a token: UNAUTHENTICATED, nothing of the schema', async () => {
    const anonymous = [
      { query: SCHEMA },
      { query: '{ __type(name: "User") { fields { name } } }' },
      { query: 'query Q { ...F } fragment F on Query { __schema { queryType { name } } }' },
      { query: getIntrospectionQuery(), operationName: 'IntrospectionQuery' },
    ];
    for (const [body, authorization] of [...anonymous.map((b) => [b, undefined] as const), [{ query: SCHEMA }, 'Bearer not-a-token'] as const]) {
      const res = await post(body, authorization);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).toEqual({
        errors: [{ message: 'Introspection (__schema, __type) needs a valid bearer token: send Authorization: Bearer <token>', extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    // __typename tells nothing of the schema: it stays open (clients add it everywhere).
    expect((await post({ query: '{ __typename }' })).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('gives no "Did you mean" without a token, in validation or in coercion of variables', async () => {
    const typo = (await post({ query: TYPO })).body;
    expect(typo.errors).toEqual([expect.objectContaining({ message: 'Cannot query field "idd" on type "User".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
    const inSchema = (await post({ query: '{ __schema { typess { name } } }' })).body;
    expect(JSON.stringify(inSchema)).not.toContain('Did you mean');
    const coercion = (await post({ query: COERCION, variables: { input: { emial: 'ann@example.com' } } }, 'Bearer expired.or.forged')).body;
    expect(coercion.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(coercion.errors?.[0].message).toMatch(/Field "emial" is not defined by type "UpdateMyProfileInput"\.$/);
  });

  it('answers both to a caller with a token, as before', async () => {
    const bearer = `Bearer ${app.token(Role.USER, 'ann')}`;
    const schema = await post({ query: SCHEMA }, bearer);
    expect(schema.status).toBe(200);
    expect(schema.body.data.__schema.types.map((t: { name: string }) => t.name)).toContain('User');
    const full = await post({ query: getIntrospectionQuery(), operationName: 'IntrospectionQuery' }, bearer);
    expect(full.body.errors).toBeUndefined();
    expect((await post({ query: TYPO }, bearer)).body.errors?.[0].message).toBe('Cannot query field "idd" on type "User". Did you mean "id"?');
    const coercion = (await post({ query: COERCION, variables: { input: { emial: 'ann@example.com' } } }, bearer)).body;
    expect(coercion.errors?.[0].message).toMatch(/Did you mean "email"\?$/);
  });
});

describe(`introspection with GRAPHQL_IDE=false (${DATABASE_KIND})`, () => {
  it('is refused to every caller, token or not', async () => {
    const app = await HeraldTestApp.start({ GRAPHQL_IDE: 'false' });
    try {
      for (const token of [undefined, app.token(Role.ADMIN)]) {
        const res = await app.gql('{ __schema { types { name } } }', {}, token);
        expect(res.data).toBeUndefined();
        expect(res.errors?.[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
        expect(res.errors?.[0].message).toMatch(/introspection is not allowed/);
      }
    } finally {
      await app.close();
    }
  });
});
