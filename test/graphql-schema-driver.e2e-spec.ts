import type { INestApplication } from '@nestjs/common';
import { AbstractGraphQLDriver, GRAPHQL_MODULE_OPTIONS, GraphQLFactory, GraphQLSchemaHost } from '@nestjs/graphql';
import { ResolversExplorerService } from '@nestjs/graphql/dist/services/resolvers-explorer.service.js';
import { getIntrospectionQuery, graphql, isInterfaceType, isObjectType, isUnionType, printSchema, type GraphQLSchema } from 'graphql';
import { createHeraldApp } from '../src/bootstrap';
import { HeraldConfig, loadConfig } from '../src/config/herald-config';
import { HeraldApolloDriver } from '../src/graphql/herald-apollo.driver';

/** Every type's resolveType / isTypeOf and every field's resolve / subscribe, by what they are (a bound function keeps its target's name). */
function resolversOf(schema: GraphQLSchema): Record<string, string> {
  const shape = (f: unknown) => (typeof f === 'function' ? `function ${f.name}` : String(f));
  const out: Record<string, string> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (isInterfaceType(type) || isUnionType(type)) out[`${type.name}.__resolveType`] = shape(type.resolveType);
    if (isObjectType(type)) out[`${type.name}.__isTypeOf`] = shape(type.isTypeOf);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        out[`${type.name}.${field.name}.resolve`] = shape(field.resolve);
        out[`${type.name}.${field.name}.subscribe`] = shape(field.subscribe);
      }
    }
  }
  return out;
}

/**
 * HeraldApolloDriver gives the code-first schema its resolvers without @nestjs/graphql's round trip
 * through SDL (start-up time): the schema it serves must be the one GraphQLFactory builds, with the
 * same resolvers on the same fields.
 */
describe('the GraphQL schema Herald serves (HeraldApolloDriver)', () => {
  let app: INestApplication;
  let served: GraphQLSchema;
  let upstream: GraphQLSchema;

  beforeAll(async () => {
    // Nest's resolvers are anonymous wrappers: each is named after the field it was explored for,
    // so that both schemas say which resolver each field got (a bound function keeps the name).
    const explore = ResolversExplorerService.prototype.explore;
    jest.spyOn(ResolversExplorerService.prototype, 'explore').mockImplementation(function (this: ResolversExplorerService) {
      const explored = explore.call(this);
      for (const [type, fields] of Object.entries(explored)) {
        for (const [field, resolver] of Object.entries(fields)) {
          if (typeof resolver === 'function') Object.defineProperty(resolver, 'name', { value: `${type}.${field}` });
        }
      }
      return explored;
    });
    const config = loadConfig({ JWT_SECRET: 'x'.repeat(32), HERALD_SECRET_KEY: 'a'.repeat(64) }, '/nonexistent');
    const inMemory = Object.assign(Object.create(HeraldConfig.prototype), config, {
      database: { type: 'sqlite', path: ':memory:' },
      log: { ...config.log, level: 'error' },
    }) as HeraldConfig;
    app = await createHeraldApp(inMemory);
    await app.init();
    served = app.get(GraphQLSchemaHost).schema;
    // What @nestjs/graphql's own driver would have built from the same options (GraphQLModule.onModuleInit's steps).
    const driver = app.get(AbstractGraphQLDriver);
    const options = await driver.mergeDefaultOptions(app.get(GRAPHQL_MODULE_OPTIONS));
    upstream = await app.get(GraphQLFactory).generateSchema({ ...options, typeDefs: [] });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('is served by HeraldApolloDriver', () => {
    expect(app.get(AbstractGraphQLDriver)).toBeInstanceOf(HeraldApolloDriver);
  });

  it("prints as GraphQLFactory's schema does", () => {
    expect(printSchema(served)).toBe(printSchema(upstream));
  });

  // @nestjs/graphql's check of a new schema, which Herald skips at start (buildSchemaOptions.skipCheck):
  // the schema is the same at every start of a build.
  it('answers the introspection query without errors', async () => {
    const result = await graphql({ schema: served, source: getIntrospectionQuery() });
    expect(result.errors).toBeUndefined();
    expect(Object.keys((result.data as { __schema: { types: unknown[] } }).__schema.types).length).toBeGreaterThan(50);
  });

  it("has GraphQLFactory's resolvers on the same fields", () => {
    const ours = resolversOf(served);
    expect(Object.values(ours).filter((r) => r.startsWith('function bound')).length).toBeGreaterThan(50); // resolvers were attached
    // Each on the field it was explored for.
    for (const [where, what] of Object.entries(ours)) if (what.startsWith('function bound ')) expect([where, what]).toEqual([where, `function bound ${where.replace(/\.resolve$|\.subscribe$/, '')}`]);
    expect(ours).toEqual(resolversOf(upstream));
  });
});
