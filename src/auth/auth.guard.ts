import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, UnauthenticatedError } from '../graphql/graphql-errors';
import { bearerTokenOf, PUBLIC_KEY, requestOf, ROLES_KEY } from './auth.decorators';
import { hasRole } from './principal';
import type { Role } from './role.enum';
import { InvalidTokenError, TokenService } from './token.service';

/**
 * The one guard: every operation needs a valid bearer token unless marked
 * @Public(), and the roles named by @Roles() when there are any.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly tokens: TokenService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    // Broker messages are authorised by the broker's own credentials, not by tokens.
    if (context.getType<string>() === 'rpc') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;

    const request = requestOf(context)!;
    const token = bearerTokenOf(request);
    if (!token) throw new UnauthenticatedError();
    try {
      request.principal ??= this.tokens.verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthenticatedError(`Invalid bearer token: ${error.message}`);
      throw error;
    }

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles?.length && !hasRole(request.principal, ...roles)) {
      throw new ForbiddenError(`This operation needs one of the roles ${roles.join(', ')}`);
    }
    return true;
  }
}
