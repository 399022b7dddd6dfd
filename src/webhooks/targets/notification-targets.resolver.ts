import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { NotificationTargetModel } from './notification-target.model';
import { AddNotificationTargetInput } from './add-notification-target.input';
import { NotificationTargetIdInput } from './notification-target-id.input';
import { NotificationTargetsArgs } from './notification-targets.args';
import { NotificationTargetsService } from './notification-targets.service';
import { UpdateNotificationTargetInput } from './update-notification-target.input';

/** An application's Teams, Slack and webhook targets: an admin's or the application's managers' (MANAGE). */
@Resolver(() => NotificationTargetModel)
export class NotificationTargetsResolver {
  constructor(private readonly service: NotificationTargetsService) {}

  @Query(() => [NotificationTargetModel], { description: "An application's notification targets (ADMIN, or a MANAGE member of the application); their URLs are never shown, only their hosts" })
  @Roles(Role.ADMIN, Role.USER)
  notificationTargets(@CurrentPrincipal() principal: Principal, @Args() { applicationId }: NotificationTargetsArgs): Promise<NotificationTargetModel[]> {
    return this.service.list(principal, applicationId);
  }

  @Mutation(() => NotificationTargetModel, { description: "Adds a Teams, Slack or signed webhook target to an application (ADMIN, or a MANAGE member): its notifications are posted there too. The URL is checked (https, an allowed host, no internal address) and stored encrypted" })
  @Roles(Role.ADMIN, Role.USER)
  addNotificationTarget(@CurrentPrincipal() principal: Principal, @Args('input', { description: 'The target' }) input: AddNotificationTargetInput): Promise<NotificationTargetModel> {
    return this.service.add(principal, input);
  }

  @Mutation(() => NotificationTargetModel, {
    description:
      'Changes a notification target (ADMIN, or a MANAGE member of its application): its name, URL (checked as on add), signing key, types, frequency, language or time zone; enabled: true posts to it again after its webhook was deleted. Audited; the fields not given are kept',
  })
  @Roles(Role.ADMIN, Role.USER)
  updateNotificationTarget(@CurrentPrincipal() principal: Principal, @Args('input', { description: 'The target and what to change' }) input: UpdateNotificationTargetInput): Promise<NotificationTargetModel> {
    return this.service.update(principal, input);
  }

  @Mutation(() => NotificationTargetModel, { description: 'Removes a notification target (ADMIN, or a MANAGE member of its application): nothing more is posted to it; what was queued for it is cancelled when its turn comes' })
  @Roles(Role.ADMIN, Role.USER)
  removeNotificationTarget(@CurrentPrincipal() principal: Principal, @Args('input', { description: 'The target' }) input: NotificationTargetIdInput): Promise<NotificationTargetModel> {
    return this.service.remove(principal, input.id);
  }
}
