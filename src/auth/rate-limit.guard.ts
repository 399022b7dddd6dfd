import { ExecutionContext, Injectable } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { TooManyRequestsError } from '../graphql/graphql-errors';
import type { RequestWithPrincipal } from './auth.decorators';

/**
 * @nestjs/throttler for GraphQL resolvers: counts per caller (the token's sub,
 * the address for anonymous callers) and answers TOO_MANY_REQUESTS.
 * Use with @UseGuards(RateLimitGuard) on the resolvers that are expensive.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override getRequestResponse(context: ExecutionContext) {
    const ctx = GqlExecutionContext.create(context).getContext<{ req: Record<string, any> }>();
    return { req: ctx.req, res: ctx.req.res };
  }

  protected override async getTracker(req: Record<string, any>): Promise<string> {
    const principal = (req as RequestWithPrincipal).principal;
    return principal ? `sub:${principal.sub}` : `ip:${req.ip}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new TooManyRequestsError(Math.max(1, Math.ceil(detail.timeToBlockExpire)));
  }
}
