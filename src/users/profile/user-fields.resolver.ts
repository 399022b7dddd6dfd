import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { ApplicationsService } from '../applications/applications.service';
import { EffectivePreferenceModel } from './effective-preference.model';
import { MembershipModel } from '../applications/membership.model';
import { UserModel } from '../user.model';
import { UsersService } from '../users.service';

/** The fields of a User that take a query of their own. */
@Resolver(() => UserModel)
export class UserFieldsResolver {
  constructor(
    private readonly users: UsersService,
    private readonly applications: ApplicationsService,
  ) {}

  @ResolveField(() => [MembershipModel], { description: 'The applications this person may manage or view' })
  memberships(@Parent() user: UserModel): Promise<MembershipModel[]> {
    return this.applications.membershipsOf(user);
  }

  @ResolveField(() => [EffectivePreferenceModel], { description: 'Per event type: what this person will receive, and why not' })
  preferences(@Parent() user: UserModel): Promise<EffectivePreferenceModel[]> {
    return this.users.effectivePreferences(user);
  }
}
