import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { actorOf } from '../../settings/audit-log/audit-actor';
import { ApplicationDefaultsArgs } from './application-defaults.args';
import { UpdateApplicationNotificationDefaultsInput } from './application-defaults.input';
import { ApplicationNotificationDefaultsModel } from './application-defaults.model';
import { ApplicationDefaultsService } from './application-defaults.service';

/** Per application, what its managers get until they choose otherwise: ADMIN. */
@Resolver(() => ApplicationNotificationDefaultsModel)
@Roles(Role.ADMIN)
export class ApplicationDefaultsResolver {
  constructor(private readonly defaults: ApplicationDefaultsService) {}

  @Query(() => ApplicationNotificationDefaultsModel, { description: "An application's notification defaults" })
  applicationNotificationDefaults(@Args() { applicationId }: ApplicationDefaultsArgs): Promise<ApplicationNotificationDefaultsModel> {
    return this.defaults.get(applicationId);
  }

  @Mutation(() => ApplicationNotificationDefaultsModel, {
    description: "Sets or forgets, per type, what an application's managers get until they choose otherwise (a person's own choice always wins); audit-logged",
  })
  updateApplicationNotificationDefaults(
    @Args('input', { description: 'The application and the defaults to change' }) input: UpdateApplicationNotificationDefaultsInput,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApplicationNotificationDefaultsModel> {
    return this.defaults.update(input, actorOf(principal));
  }
}
