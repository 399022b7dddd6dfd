import { ArgumentsHost, Catch, HttpException, Logger } from '@nestjs/common';
import type { GqlExceptionFilter } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';

/**
 * Hands errors back to Apollo (formatError decides what the client sees). The
 * errors Herald throws on purpose (HeraldError, validation) are answers, not
 * failures: they are not logged. Anything else is logged once, by its message.
 */
@Catch()
export class GraphqlExceptionFilter implements GqlExceptionFilter {
  private readonly logger = new Logger('GraphQL');

  catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<string>() !== 'graphql') throw exception;
    if (!(exception instanceof GraphQLError) && !(exception instanceof HttpException)) {
      this.logger.error(`unexpected error: ${(exception as Error)?.stack ?? String(exception)}`);
    }
    return exception;
  }
}
