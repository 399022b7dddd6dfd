import type { Role } from './role.enum';

/** The authenticated caller, from the bearer token's claims. */
export interface Principal {
  /** The token's `sub`: the person's or service's stable external id. */
  sub: string;
  roles: Role[];
  name?: string;
  email?: string;
}

export function hasRole(principal: Principal, ...roles: Role[]): boolean {
  return roles.some((role) => principal.roles.includes(role));
}
