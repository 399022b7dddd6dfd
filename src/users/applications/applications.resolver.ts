import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { ConnectionType } from '../../graphql/pagination';
import { actorOf } from '../../settings/audit-log/audit-actor';
import { ApplicationsService } from './applications.service';
import { SearchPageArgs } from '../search-page.args';
import { CreateApplicationInput, DeleteApplicationInput, UpdateApplicationInput } from './application.input';
import { MembershipInput } from './membership.input';
import { ApplicationModel } from './application.model';
import { MembershipModel } from './membership.model';

export const ApplicationConnection = ConnectionType(ApplicationModel, 'Application');

/** Applications and memberships: admins, and the console (SERVICE) keeping Herald in sync. */
@Resolver(() => ApplicationModel)
@Roles(Role.ADMIN, Role.SERVICE)
export class ApplicationsResolver {
  constructor(private readonly applications: ApplicationsService) {}

  @Query(() => ApplicationConnection, { name: 'applications', description: 'Applications, by id; search matches id or name' })
  listApplications(@Args() { first, after, search }: SearchPageArgs) {
    return this.applications.list(first, after, search);
  }

  @Mutation(() => ApplicationModel, { description: 'Records an application of the console so people can be granted it' })
  createApplication(@Args('input', { description: "The application's id and name" }) input: CreateApplicationInput): Promise<ApplicationModel> {
    return this.applications.create(input.id, input.name);
  }

  @Mutation(() => ApplicationModel, { description: 'Renames an application' })
  updateApplication(@Args('input', { description: 'The application and its new name' }) input: UpdateApplicationInput): Promise<ApplicationModel> {
    return this.applications.rename(input.id, input.name);
  }

  @Mutation(() => ApplicationModel, { description: 'Deletes an application, its memberships and the preferences for it' })
  deleteApplication(@Args('input', { description: 'The application to delete' }) input: DeleteApplicationInput): Promise<ApplicationModel> {
    return this.applications.delete(input.id);
  }

  @Mutation(() => MembershipModel, { description: 'Grants a role on an application (MANAGE by default)' })
  grantMembership(@Args('input', { description: 'Who, which application, which role' }) input: MembershipInput, @CurrentPrincipal() principal: Principal): Promise<MembershipModel> {
    return this.applications.grant(input.userId, input.applicationId, input.role, actorOf(principal));
  }

  @Mutation(() => MembershipModel, { description: 'Revokes a role on an application' })
  revokeMembership(@Args('input', { description: 'Who, which application, which role' }) input: MembershipInput, @CurrentPrincipal() principal: Principal): Promise<MembershipModel> {
    return this.applications.revoke(input.userId, input.applicationId, input.role, actorOf(principal));
  }
}
