import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { SetNotificationPreferenceInput } from './set-notification-preference.input';
import { UpdateMyProfileInput } from './update-my-profile.input';
import { UserModel } from '../user.model';
import { UsersService } from '../users.service';

/** What a person does for themselves: only ever their own profile and preferences. */
@Resolver(() => UserModel)
@Roles(Role.USER, Role.ADMIN)
export class MeResolver {
  constructor(private readonly users: UsersService) {}

  @Query(() => UserModel, { description: 'The calling person: profile, memberships, effective preferences' })
  me(@CurrentPrincipal() principal: Principal): Promise<UserModel> {
    return this.users.get(principal.sub);
  }

  @Mutation(() => UserModel, { description: 'Changes your email, notification switch, language, time zone or name' })
  updateMyProfile(@Args('input', { description: 'The fields to change; absent fields keep their value' }) input: UpdateMyProfileInput, @CurrentPrincipal() principal: Principal): Promise<UserModel> {
    return this.users.updateProfile(principal.sub, input);
  }

  @Mutation(() => UserModel, { description: 'Turns one event type on or off for you, or says how often, everywhere or for one application' })
  setNotificationPreference(@Args('input', { description: 'The event type, the application (optional) and the choice' }) input: SetNotificationPreferenceInput, @CurrentPrincipal() principal: Principal): Promise<UserModel> {
    return this.users.setPreference(principal.sub, input.eventType, input.applicationId, input);
  }
}
