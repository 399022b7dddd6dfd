import { GraphQLError } from 'graphql';

/**
 * The error codes of Herald's API (`extensions.code`). Resolvers and services
 * throw these; anything else reaching the client is masked as an internal error.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'SERVICE_UNAVAILABLE';

export interface FieldProblem {
  /** Path of the field inside the input, e.g. `port` or `filter.status`. */
  field: string;
  message: string;
}

export class HeraldError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
  }
}

export class BadUserInputError extends HeraldError {
  constructor(readonly fields: FieldProblem[]) {
    super('BAD_USER_INPUT', `Invalid input: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, { fields });
  }

  static field(field: string, message: string): BadUserInputError {
    return new BadUserInputError([{ field, message }]);
  }
}

export class UnauthenticatedError extends HeraldError {
  constructor(message = 'Authentication required: send a valid bearer token') {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends HeraldError {
  constructor(message = 'You are not allowed to do this') {
    super('FORBIDDEN', message);
  }
}

export class NotFoundError extends HeraldError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${id} does not exist`);
  }
}

export class ConflictError extends HeraldError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

export class TooManyRequestsError extends HeraldError {
  constructor(retryAfterSeconds: number) {
    super('TOO_MANY_REQUESTS', `Too many requests: try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}

/**
 * The database cannot serve the request right now (full, restarting, unreachable,
 * locked): the same request may succeed later. `retryable` tells a client to try
 * again without knowing the code; the response is HTTP 503 with Retry-After when
 * it has no data (serviceUnavailablePlugin).
 */
export class ServiceUnavailableError extends HeraldError {
  constructor(readonly retryAfterSeconds: number) {
    super('SERVICE_UNAVAILABLE', serviceUnavailableMessage(retryAfterSeconds), { retryable: true, retryAfterSeconds });
  }
}

/** What a caller is told while the database is unavailable: what to do, nothing of the database's own words. */
export function serviceUnavailableMessage(retryAfterSeconds: number): string {
  return `Herald's database is unavailable right now (full, restarting or unreachable): try again in ${retryAfterSeconds} s`;
}
