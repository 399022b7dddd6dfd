import type { LoggerService } from '@nestjs/common';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { loggedErrors } from './exception.filter';

const PASSED_THROUGH = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'TOO_MANY_REQUESTS',
  'SERVICE_UNAVAILABLE',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Errors Herald means to show pass through with their code; anything else is an
 * unexpected failure whose message might carry internals: it is answered as
 * INTERNAL_SERVER_ERROR, and logged here unless HeraldExceptionFilter has logged
 * it already (a resolver's) — so that one thrown outside resolvers (a plugin, a
 * value graphql-js cannot serialise) is not answered 500 in silence. ("Did you
 * mean …" hints are cut for those who may not see the schema by SchemaVisibility.)
 */
export function createFormatError({ logger }: { logger: Pick<LoggerService, 'error'> }) {
  return (formatted: GraphQLFormattedError, error?: unknown): GraphQLFormattedError => {
    const code = String(formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
    if (PASSED_THROUGH.has(code)) {
      const { stacktrace: _stacktrace, originalError: _originalError, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
    if (!(original instanceof Object && loggedErrors.has(original))) {
      const where = formatted.path ? ` in ${formatted.path.join('.')}` : '';
      logger.error(`unexpected error${where}: ${(original as Error | undefined)?.stack ?? formatted.message}`);
    }
    return { message: 'Internal error', path: formatted.path, locations: formatted.locations, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
