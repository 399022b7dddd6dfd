import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Inject, Injectable } from '@nestjs/common';
import { GraphQLSchemaBuilder } from '@nestjs/graphql/dist/graphql-schema.builder.js';
import { ResolversExplorerService } from '@nestjs/graphql/dist/services/resolvers-explorer.service.js';
import { ScalarsExplorerService } from '@nestjs/graphql/dist/services/scalars-explorer.service.js';
import { GraphQLObjectType, GraphQLSchema, isEnumType, isInterfaceType, isObjectType, isUnionType, lexicographicSortSchema, type GraphQLFieldConfig } from 'graphql';

type Resolvers = Record<string, Record<string, unknown>>;

/**
 * Apollo, with the code-first schema given its resolvers without the round trip through SDL.
 *
 * @nestjs/graphql's GraphQLFactory builds the schema from the decorators, prints it, parses the
 * print and builds a second schema from it (makeExecutableSchema) only to read back which resolver
 * each field gets, then puts those on the first schema's fields: 90–115 ms of every start
 * (docs/benchmarks-history.md, "the GraphQL schema built once per start"). This driver puts them there
 * directly, as GraphQLFactory.generateSchema's code-first branch does (the same fields get the
 * same functions, bound the same way, and a resolver naming a type or field the schema lacks
 * still stops the start). The schema is built by @nestjs/graphql's GraphQLSchemaBuilder as before.
 * Any option Herald does not use (a schema to merge, resolvers of its own or transformed,
 * resolvers inherited from interfaces, resolver validation options) takes @nestjs/graphql's path.
 * test/graphql-schema-driver.e2e-spec.ts compares the two schemas and their resolvers.
 */
@Injectable()
export class HeraldApolloDriver extends ApolloDriver {
  @Inject() private readonly resolversExplorer: ResolversExplorerService;
  @Inject() private readonly scalarsExplorer: ScalarsExplorerService;
  @Inject() private readonly schemaBuilder: GraphQLSchemaBuilder;

  override async generateSchema(options: ApolloDriverConfig): Promise<GraphQLSchema> {
    // (typeDefs play no part in the code-first branch there either.)
    const ownPath =
      options.autoSchemaFile && !options.schema && !options.resolvers && !options.transformResolvers && !options.inheritResolversFromInterfaces && !options.resolverValidationOptions;
    if (!ownPath) return super.generateSchema(options)!;
    const resolvers = mergeResolvers([...(this.scalarsExplorer.explore() as Resolvers[]), this.resolversExplorer.explore()]);
    const built: GraphQLSchema = await this.schemaBuilder.build(options.autoSchemaFile!, options, this.resolversExplorer.getAllCtors());
    attachResolvers(built, resolvers);
    let schema = new GraphQLSchema(built.toConfig());
    if (options.transformSchema) schema = await options.transformSchema(schema);
    return options.sortSchema ? lexicographicSortSchema(schema) : schema;
  }
}

/**
 * The scalars' resolvers and the others in one map, as makeExecutableSchema merges the list
 * GraphQLFactory gives it (a type's fields from each; the types are the scalars' and the
 * resolver classes', so none is in two).
 */
function mergeResolvers(list: Resolvers[]): Resolvers {
  const merged: Resolvers = {};
  for (const resolvers of list) for (const typeName in resolvers) merged[typeName] = { ...merged[typeName], ...resolvers[typeName] };
  return merged;
}

/** A field's resolver as @graphql-tools' addResolversToSchema gives it: a function bound to its type's resolvers, or an object's properties. */
function resolverFields(typeResolvers: Record<string, unknown>, fieldName: string): Partial<GraphQLFieldConfig<unknown, unknown>> {
  const value = typeResolvers[fieldName];
  if (typeof value === 'function') return { resolve: value.bind(typeResolvers) };
  return value as Partial<GraphQLFieldConfig<unknown, unknown>>;
}

/**
 * Puts the resolvers on the schema's fields in place, as GraphQLFactory (its makeExecutableSchema,
 * then overrideOrExtendResolvers) does: a root field takes its resolver's resolve and subscribe
 * (none if it has no resolver); any other object field takes a resolve from its interfaces'
 * resolvers, then from its own. Resolvers for scalars, enums, unions and `__`-properties are
 * checked (the type must exist) and otherwise unused, as there.
 */
function attachResolvers(schema: GraphQLSchema, resolvers: Resolvers): void {
  for (const typeName in resolvers) {
    const typeResolvers = resolvers[typeName];
    if (typeof typeResolvers !== 'object' || typeResolvers === null) throw new Error(`"${typeName}" defined in resolvers, but has invalid value "${String(typeResolvers)}". The resolver's value must be of type object.`);
    const type = schema.getType(typeName);
    if (!type) throw new Error(`"${typeName}" defined in resolvers, but not in schema`);
    if (isEnumType(type)) {
      const values = new Set(type.getValues().map((v) => v.name));
      for (const fieldName in typeResolvers) {
        if (!fieldName.startsWith('__') && !values.has(fieldName)) throw new Error(`${type.name}.${fieldName} was defined in resolvers, but not present within ${type.name}`);
      }
    }
    if (isUnionType(type)) {
      for (const fieldName in typeResolvers) {
        if (!fieldName.startsWith('__')) throw new Error(`${type.name}.${fieldName} was defined in resolvers, but ${type.name} is not an object or interface type`);
      }
    }
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    const fields = type.getFields();
    for (const fieldName in typeResolvers) {
      if (fieldName.startsWith('__')) continue;
      if (!fields[fieldName]) throw new Error(`${typeName}.${fieldName} defined in resolvers, but not in schema`);
      const value = typeResolvers[fieldName];
      if (typeof value !== 'function' && typeof value !== 'object') throw new Error(`Resolver ${typeName}.${fieldName} must be object or function`);
    }
  }
  const resolved = (typeName: string, fieldName: string) => {
    const typeResolvers = resolvers[typeName];
    return typeResolvers?.[fieldName] != null ? resolverFields(typeResolvers, fieldName) : undefined;
  };
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter((t) => t != null));
  for (const root of roots) {
    for (const field of Object.values(root.getFields())) {
      const own = resolved(root.name, field.name);
      field.resolve = own?.resolve;
      field.subscribe = own?.subscribe;
    }
  }
  for (const type of Object.values(schema.getTypeMap())) {
    // (The roots' fields have theirs; the introspection types are graphql's own, unchanged there too.)
    if (!(type instanceof GraphQLObjectType) || roots.has(type) || type.name.startsWith('__')) continue;
    const fields = type.getFields();
    for (const iface of type.getInterfaces()) {
      for (const fieldName of Object.keys(iface.getFields())) {
        const inherited = resolved(iface.name, fieldName)?.resolve;
        if (inherited && fields[fieldName]) fields[fieldName].resolve = inherited;
      }
    }
    for (const field of Object.values(fields)) {
      const own = resolved(type.name, field.name)?.resolve;
      if (own) field.resolve = own;
    }
  }
}
