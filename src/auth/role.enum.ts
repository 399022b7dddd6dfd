import { registerEnumType } from '@nestjs/graphql';

/** Who a caller is to Herald. One list, used by tokens, the guard and the schema. */
export enum Role {
  /** Configures the relay, sees every delivery, manages people and applications. */
  ADMIN = 'ADMIN',
  /** A person of the console: their own profile, preferences and deliveries. */
  USER = 'USER',
  /** Another service: publishes events and keeps applications and memberships in sync. */
  SERVICE = 'SERVICE',
}

registerEnumType(Role, { name: 'Role', description: 'What a caller may do' });

export const ROLES: readonly Role[] = Object.values(Role);
