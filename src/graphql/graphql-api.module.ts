import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import type { GraphQLFormattedError } from 'graphql';
import { APP_FILTER } from '@nestjs/core';
import { HeraldConfig } from '../config/herald-config';
import { GraphqlExceptionFilter } from './graphql-exception.filter';

const PASSED_THROUGH = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'TOO_MANY_REQUESTS',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Errors Herald means to show pass through with their code; anything else is an
 * unexpected failure whose message might carry internals: it is answered as
 * INTERNAL_SERVER_ERROR (GraphqlExceptionFilter has logged it).
 */
export function formatError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = String(formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
  if (PASSED_THROUGH.has(code)) {
    const { stacktrace: _stacktrace, originalError: _originalError, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return { message: 'Internal error', path: formatted.path, locations: formatted.locations, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** GraphQL at /graphql, code first; `herald schema` writes the committed schema.graphql. */
@Module({
  imports: [
    GraphQLModule.forRootAsync<ApolloDriverConfig>({
      driver: ApolloDriver,
      inject: [HeraldConfig],
      useFactory: (config: HeraldConfig) => ({
        path: '/graphql',
        autoSchemaFile: true,
        sortSchema: true,
        graphiql: config.graphqlIde,
        introspection: config.graphqlIde,
        includeStacktraceInErrorResponses: false,
        context: ({ req }: { req: unknown }) => ({ req }),
        formatError,
      }),
    }),
  ],
  providers: [{ provide: APP_FILTER, useClass: GraphqlExceptionFilter }],
})
export class GraphqlApiModule {}
