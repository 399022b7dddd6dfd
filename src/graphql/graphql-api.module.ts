import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloDriverConfig } from '@nestjs/apollo';
import { Logger, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import type { GraphQLSchema } from 'graphql';
import { HeraldConfig } from '../config/herald-config';
import { HtmlPagesModule } from '../http/html-pages';
import { GRAPHQL_PATH, HeraldExceptionFilter } from './exception.filter';
import { createFormatError } from './format-error';
import { GraphiqlAssetsController } from './graphiql/graphiql-assets.controller';
import { graphiqlPagePlugin } from './graphiql/graphiql-page.plugin';
import { HeraldApolloDriver } from './herald-apollo.driver';
import { operationResolutionPlugin } from './operation-resolution.plugin';
import { queryLimitOptions } from './query-limits';
import { SchemaVisibility, SchemaVisibilityModule } from './schema-visibility/schema-visibility';
import { serviceUnavailablePlugin } from './service-unavailable.plugin';

/** The descriptions GraphiQL shows for the entry points (everything else is described where it is declared). */
function describeRootTypes(schema: GraphQLSchema): GraphQLSchema {
  const query = schema.getQueryType();
  const mutation = schema.getMutationType();
  if (query) query.description = 'What can be read. Every request needs the header Authorization: Bearer <token> (a token of role ADMIN, USER or SERVICE)';
  if (mutation) mutation.description = 'What can be changed. Every request needs the header Authorization: Bearer <token> (a token of role ADMIN, USER or SERVICE)';
  return schema;
}

/** GraphQL at /graphql, code first; `herald schema` writes the committed schema.graphql. */
@Module({
  imports: [
    GraphQLModule.forRootAsync<ApolloDriverConfig>({
      // Apollo, with the schema's resolvers attached without a round trip through SDL (start-up).
      driver: HeraldApolloDriver,
      imports: [SchemaVisibilityModule],
      inject: [HeraldConfig, SchemaVisibility],
      useFactory: (config: HeraldConfig, schemaVisibility: SchemaVisibility) => {
        // Tokens, depth, aliases and cost, refused before execution.
        const limits = queryLimitOptions(config.requestLimits);
        return {
          path: GRAPHQL_PATH,
          autoSchemaFile: true,
          sortSchema: true,
          // @nestjs/graphql would run the introspection query over the new schema at each start
          // (30-60 ms): the schema is the code's, the same at every start of a build, so
          // test/graphql-schema-driver runs that query instead; Apollo still asserts the schema valid.
          buildSchemaOptions: { skipCheck: true },
          // Herald's own GraphiQL page (assets served by Herald), not @nestjs/apollo's CDN one.
          graphiql: false,
          // For callers with a valid token only: SchemaVisibility refuses it to the others.
          introspection: config.graphqlIde,
          includeStacktraceInErrorResponses: false,
          context: ({ req }: { req: unknown }) => ({ req }),
          formatError: createFormatError({ logger: new Logger('GraphQL') }),
          // Code first has no place for the root types' descriptions: they are set here.
          transformSchema: describeRootTypes,
          ...limits,
          // serviceUnavailablePlugin sets the status of executed operations instead.
          preserveHttpStatusForExecutionErrors: false,
          plugins: [
            operationResolutionPlugin(),
            ...(limits.plugins ?? []),
            schemaVisibility.plugin(),
            serviceUnavailablePlugin(),
            ...(config.graphqlIde ? [graphiqlPagePlugin(GRAPHQL_PATH)] : []),
            // Herald gives no cache hints: Apollo's cache-control plugin, on by default, would
            // only wrap every field's resolver to find none (3 % of a one-recipient event's CPU).
            // (Typed as @nestjs/apollo's plugins: its @apollo/server types are the CommonJS build's, Herald's the ES module's.)
            ApolloServerPluginCacheControlDisabled() as NonNullable<ApolloDriverConfig['plugins']>[number],
            // Herald's schema is no federated subgraph (inline traces) and reports nothing to Apollo
            // Studio (usage reporting, otherwise on when APOLLO_KEY and APOLLO_GRAPH_REF are set):
            // their protobuf code is left out of the bundle (tools/bundle.mjs).
            ApolloServerPluginInlineTraceDisabled() as NonNullable<ApolloDriverConfig['plugins']>[number],
            ApolloServerPluginUsageReportingDisabled() as NonNullable<ApolloDriverConfig['plugins']>[number],
          ],
        };
      },
    }),
    HtmlPagesModule,
  ],
  controllers: [GraphiqlAssetsController],
  providers: [{ provide: APP_FILTER, useClass: HeraldExceptionFilter }],
})
export class GraphqlApiModule {}
