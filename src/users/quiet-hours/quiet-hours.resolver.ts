import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { UserModel } from '../user.model';
import { SetMyQuietHoursInput, UpdateQuietHoursDefaultsInput } from './quiet-hours.input';
import { QuietHoursModel } from './quiet-hours.model';
import { QuietHoursService } from './quiet-hours.service';

/** Quiet hours: a person's own (me), and the defaults ADMINs set for an application or everyone. */
@Resolver(() => UserModel)
export class QuietHoursResolver {
  constructor(private readonly service: QuietHoursService) {}

  @ResolveField(() => QuietHoursModel, { description: "The person's quiet hours in effect: their own, else the installation's default (an application's default applies to its mails: quietHoursDefaults)" })
  quietHours(@Parent() user: UserModel): Promise<QuietHoursModel> {
    return this.service.forPerson(user.id);
  }

  @Mutation(() => QuietHoursModel, { description: 'Sets your quiet hours (they win over any default): when mails wait, in your time zone, and which types break through' })
  @Roles(Role.USER, Role.ADMIN)
  setMyQuietHours(@Args('input', { description: 'Your quiet hours' }) input: SetMyQuietHoursInput, @CurrentPrincipal() principal: Principal): Promise<QuietHoursModel> {
    return this.service.setMine(principal.sub, input);
  }

  @Mutation(() => QuietHoursModel, { description: 'Forgets your own quiet hours: the defaults hold again' })
  @Roles(Role.USER, Role.ADMIN)
  resetMyQuietHours(@CurrentPrincipal() principal: Principal): Promise<QuietHoursModel> {
    return this.service.resetMine(principal.sub);
  }

  @Query(() => QuietHoursModel, { description: "The default quiet hours of an application's people, or everyone's (source NONE: none set)" })
  @Roles(Role.ADMIN)
  quietHoursDefaults(@Args('applicationId', { type: () => ID, nullable: true, description: "The application; absent: the installation's default" }) applicationId?: string): Promise<QuietHoursModel> {
    return this.service.defaults(applicationId ?? null);
  }

  @Mutation(() => QuietHoursModel, { description: "Sets the default quiet hours of an application's people, or everyone's, until they choose their own (audited)" })
  @Roles(Role.ADMIN)
  updateQuietHoursDefaults(@Args('input', { description: 'The default, and the application it is for' }) input: UpdateQuietHoursDefaultsInput, @CurrentPrincipal() principal: Principal): Promise<QuietHoursModel> {
    return this.service.updateDefaults(input, principal);
  }
}
