import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { Principal } from './principal';
import type { Role } from './role.enum';

export const ROLES_KEY = 'herald:roles';
export const PUBLIC_KEY = 'herald:public';

/** The roles allowed to call this resolver (any one of them). Without it: any authenticated caller. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** Reachable without a token (health checks). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export interface RequestWithPrincipal {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearerTokenOf(request: RequestWithPrincipal): string | undefined {
  const header = request.headers['authorization'];
  return typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
}

export function requestOf(context: ExecutionContext): RequestWithPrincipal | undefined {
  if (context.getType<string>() === 'rpc') return undefined;
  if (context.getType<string>() === 'graphql') {
    return GqlExecutionContext.create(context).getContext<{ req: RequestWithPrincipal }>().req;
  }
  return context.switchToHttp().getRequest<RequestWithPrincipal>();
}

/** The authenticated caller of this resolver. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => requestOf(context)!.principal!,
);
