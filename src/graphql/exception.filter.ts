import { STATUS_CODES } from 'node:http';
import { ArgumentsHost, Catch, HttpException, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { GqlExceptionFilter } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
import { HeraldConfig } from '../config/herald-config';
import { HtmlPages } from '../http/html-pages';
import { isDatabaseUnavailable, isStorageFull } from '../database/database-errors';
import { reasonForLog } from '../database/typeorm-logger';
import { BadUserInputError, type ErrorCode, HeraldError, ServiceUnavailableError, serviceUnavailableMessage } from './graphql-errors';

/** The resolvers' unexpected errors this filter has logged: createFormatError logs the others it masks. */
export const loggedErrors = new WeakSet<object>();

/** Where GraphQL is served; HTTP errors there are answered in GraphQL's shape. */
export const GRAPHQL_PATH = '/graphql';

/** The `extensions.code` of an HTTP error answered on the GraphQL path. */
function codeOf(status: number): string {
  switch (status) {
    case 401: return 'UNAUTHENTICATED';
    case 403: return 'FORBIDDEN';
    case 404: return 'NOT_FOUND';
    case 429: return 'TOO_MANY_REQUESTS';
    case 503: return 'SERVICE_UNAVAILABLE';
    default: return status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
  }
}

/** The refusals of a body (Express's parser, multer) that a page's path answers as a page (HtmlPages). */
const PAGE_REFUSALS = new Set([400, 413, 415]);

/** The HTTP status of a HeraldError thrown outside GraphQL (the guard's, a controller's). */
const STATUS_OF_CODE: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
};

/**
 * When to try again after the database refused a request: a full disk takes a
 * person to free space; a restart, a lost connection or a lock is over sooner.
 */
function retryAfterSeconds(error: unknown): number {
  return isStorageFull(error) ? 5 : 1;
}

/**
 * Every exception of the application ends here, whatever NODE_ENV says.
 *
 * - The database unavailable (full, restarting, unreachable, locked: see
 *   isDatabaseUnavailable), wherever it is met: SERVICE_UNAVAILABLE with
 *   `retryable: true`, HTTP 503 and Retry-After — the caller should try again,
 *   and is told nothing of the database's own words (they are logged, at debug:
 *   DatabaseHealth says once, at error, that the database stopped taking writes).
 * - GraphQL: handed back to Apollo (formatError decides what the client sees).
 *   The errors Herald throws on purpose (HeraldError, validation) are answers,
 *   not failures: they are not logged. Anything else is logged once.
 * - HTTP (an unknown route, a body Express's parser refused — Nest turns those
 *   into HttpExceptions —, a failing controller): a JSON answer with no stack
 *   or server path, logged through Herald's logger. A HeraldError (the guard's
 *   UNAUTHENTICATED, a controller's BAD_USER_INPUT, …) is answered with its
 *   status and message, and `problems` naming each invalid field. On a page's
 *   path (HtmlPages) a refused body is answered by the page, in HTML. Without this, Express's own
 *   error page (HTML with the stack outside production) would answer, and the
 *   stack would go raw to stderr.
 * - Anything else (the RabbitMQ consumer): rethrown to its own handling.
 */
@Catch()
@Injectable()
export class HeraldExceptionFilter implements GqlExceptionFilter {
  private readonly graphqlLogger = new Logger('GraphQL');
  private readonly httpLogger = new Logger('HTTP');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: HeraldConfig,
    private readonly pages: HtmlPages,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): unknown {
    switch (host.getType<string>()) {
      case 'graphql':
        if (isDatabaseUnavailable(exception)) {
          const field = (host.getArgByIndex(3) as { fieldName?: string } | undefined)?.fieldName;
          this.graphqlLogger.debug(`${field ?? 'a field'}: SERVICE_UNAVAILABLE, the database is unavailable: ${reasonForLog(exception as Error)}`);
          return new ServiceUnavailableError(retryAfterSeconds(exception));
        }
        if (!(exception instanceof GraphQLError) && !(exception instanceof HttpException)) {
          this.graphqlLogger.error(`unexpected error: ${(exception as Error)?.stack ?? String(exception)}`);
          if (exception instanceof Object) loggedErrors.add(exception);
        }
        return exception;
      case 'http':
        return this.answerHttp(exception, host);
      default:
        throw exception;
    }
  }

  private answerHttp(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const request = host.switchToHttp().getRequest<unknown>();
    const response = host.switchToHttp().getResponse<unknown>();
    const unavailable = isDatabaseUnavailable(exception);
    const herald = exception instanceof HeraldError ? exception : undefined;
    const status = exception instanceof HttpException ? exception.getStatus() : herald ? STATUS_OF_CODE[herald.extensions.code as ErrorCode] : unavailable ? 503 : 500;
    const message = unavailable ? serviceUnavailableMessage(retryAfterSeconds(exception)) : herald ? herald.message : this.messageOf(exception, status);
    const retryAfter = unavailable ? retryAfterSeconds(exception) : (herald?.extensions.retryAfterSeconds as number | undefined);

    // The query string may hold a signed link's token: the log names the path only.
    const url = String(httpAdapter.getRequestUrl(request));
    const path = url.split('?')[0];
    const where = `${httpAdapter.getRequestMethod(request)} ${path}`;
    if (unavailable) this.httpLogger.debug(`${where}: 503, the database is unavailable: ${reasonForLog(exception as Error)}`);
    else if (status >= 500) this.httpLogger.error(`${where}: ${status}: ${(exception as Error)?.stack ?? String(exception)}`);
    else this.httpLogger.debug(`${where}: ${status} ${message.replaceAll(url, path)}`);

    if (httpAdapter.isHeadersSent(response)) return void httpAdapter.end(response);
    // A body refused on a page's path (too large, a file, too many fields): the page's own refusal, in HTML.
    const page = exception instanceof HttpException && PAGE_REFUSALS.has(status) ? this.pages.refusalOf(path) : undefined;
    if (page) {
      page(status, request, response).catch((error: unknown) => {
        this.httpLogger.error(`${where}: the page of a ${status} failed: ${(error as Error)?.stack ?? String(error)}`);
        if (!httpAdapter.isHeadersSent(response)) httpAdapter.reply(response, { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message }, status);
      });
      return;
    }
    if (retryAfter !== undefined) httpAdapter.setHeader(response, 'retry-after', String(retryAfter));
    if (status === 401) httpAdapter.setHeader(response, 'www-authenticate', 'Bearer');
    const body = path === GRAPHQL_PATH
      ? { errors: [{ message, extensions: { code: codeOf(status) } }] }
      : { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, ...(herald instanceof BadUserInputError && { problems: herald.fields }) };
    httpAdapter.reply(response, body, status);
  }

  /** What the client is told: a sentence of ours, or what Nest made of a client error. Never an internal message. */
  private messageOf(exception: unknown, status: number): string {
    if (status >= 500) return 'Internal server error';
    // Express's body parser, mapped by Nest to an HttpException whose cause is the parser's error.
    const cause = (exception as HttpException).cause as { type?: string } | undefined;
    switch (cause?.type) {
      case 'entity.too.large':
        return `The request body is larger than the limit of ${this.config.requestLimits.bodyBytes} bytes`;
      case 'entity.parse.failed':
        // The parser's own message may quote the body (a password, say): not repeated.
        return 'The request body is not valid JSON';
    }
    const answer = (exception as HttpException).getResponse();
    if (typeof answer === 'string') return answer;
    const text = (answer as { message?: unknown }).message;
    return Array.isArray(text) ? text.join('; ') : String(text ?? STATUS_CODES[status]);
  }
}
