import { Injectable } from '@nestjs/common';
import { hasRole, type Principal } from '../auth/principal';
import { Role } from '../auth/role.enum';
import { ForbiddenError, NotFoundError } from '../graphql/graphql-errors';
import { ApplicationsService } from '../users/applications/applications.service';
import { MembershipRole } from '../users/entities/membership.entity';
import { UsersService } from '../users/users.service';

/** Who may see and change an application's notification targets: an ADMIN, or a MANAGE member of the application. */
@Injectable()
export class TargetAccess {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly users: UsersService,
  ) {}

  /** The application's name, once the caller may manage its targets; FORBIDDEN otherwise, NOT_FOUND for an application Herald does not know (to those who may know). */
  async check(principal: Principal, applicationId: string): Promise<string> {
    if (!hasRole(principal, Role.ADMIN)) {
      if (!hasRole(principal, Role.USER)) throw new ForbiddenError('Only an admin or a manager of the application may manage its notification targets');
      const user = await this.users.get(principal.sub).catch(() => undefined);
      const memberships = user ? await this.applications.membershipsOf(user) : [];
      if (!memberships.some((m) => m.application.id === applicationId && m.role === MembershipRole.MANAGE)) {
        throw new ForbiddenError(`Only an admin or a manager (MANAGE) of application ${applicationId} may manage its notification targets`);
      }
    }
    const name = (await this.applications.namesOf([applicationId])).get(applicationId);
    if (name === undefined) throw new NotFoundError('Application', applicationId);
    return name;
  }
}
