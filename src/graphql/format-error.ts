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
      return withoutVariableValue({ ...formatted, extensions }, error);
    }
    const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
    if (!(original instanceof Object && loggedErrors.has(original))) {
      const where = formatted.path ? ` in ${formatted.path.join('.')}` : '';
      logger.error(`unexpected error${where}: ${(original as Error | undefined)?.stack ?? formatted.message}`);
    }
    return { message: 'Internal error', path: formatted.path, locations: formatted.locations, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/** How graphql-js begins the error of a variable whose value does not fit its type, before it prints that value. */
const INVALID_VARIABLE = /^Variable "\$([^"]+)" got invalid value /;
/** The inner error names the field it is about when it is missing or unknown. */
const NAMED_FIELD = /^Field "([^"]+)" (?:is not defined by type|of required type) /;
/** graphql-js's "Did you mean …?" hint (SchemaVisibility cuts it from messages for those who may not see the schema). */
const SUGGESTION = / ?Did you mean .+\?$/;

/** Where graphql-js's own reason begins, after the value it printed (whose quotes, in a string, are escaped). */
const REASON_START = /; (?=Field "|Expected type "|Value "|Exactly one key |[A-Za-z]\w* cannot represent )/g;

/**
 * The reason after the value: the inner error's message where Apollo hands that error over
 * (not always: the error formatted in the app carries no originalError), else what follows
 * the last place graphql-js begins one of its messages (the last: a value is never shown).
 */
function reasonOf(message: string, error: unknown): string | undefined {
  const inner = (error as { originalError?: { message?: unknown } } | null | undefined)?.originalError?.message;
  if (typeof inner === 'string' && inner !== message && message.endsWith(`; ${inner}`)) return inner;
  const starts = [...message.matchAll(REASON_START)];
  return starts.length ? message.slice((starts.at(-1)!.index ?? 0) + 2) : undefined;
}

/**
 * graphql-js words a variable's value that does not fit its type as `Variable "$input"
 * got invalid value <the value> at "input.port"; <why>`, printing the value — for a
 * field missing or unknown, the whole input object, a password or a webhook's URL
 * with it. The answer keeps the path and the reason without the value, and names
 * the field as every BAD_USER_INPUT does (`extensions.fields`, the path inside the input).
 */
function withoutVariableValue(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const head = INVALID_VARIABLE.exec(formatted.message);
  if (!head || formatted.extensions?.code !== 'BAD_USER_INPUT') return formatted;
  const variable = head[1];
  const reason = reasonOf(formatted.message, error);
  if (!reason) return { ...formatted, message: `Variable "$${variable}" got an invalid value` };
  // The path, as graphql-js prints it after the value: `at "input.managers[0].email"` (names and indexes, never a quote).
  const at = / at "([^"]*)"$/.exec(formatted.message.slice(0, -(reason.length + 2)))?.[1];
  const path = at?.startsWith(variable) ? [...at.slice(variable.length).matchAll(/\.([^.[]+)|\[(\d+)\]/g)].map((m) => m[1] ?? m[2]) : [];
  const named = NAMED_FIELD.exec(reason)?.[1];
  const field = [...path, ...(named ? [named] : [])].join('.') || variable;
  return {
    ...formatted,
    message: `Variable "$${variable}" got an invalid value${at ? ` at "${at}"` : ''}; ${reason}`,
    extensions: { ...formatted.extensions, fields: [{ field, message: reason.replace(SUGGESTION, '') }] },
  };
}
