import { UseGuards } from '@nestjs/common';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { RateLimitGuard } from '../../auth/rate-limit.guard';
import { Role } from '../../auth/role.enum';
import { NotificationTargetIdInput } from '../targets/notification-target-id.input';
import { NotificationTargetTestResult } from './notification-target-test.model';
import { TestNotificationTargetService } from './test-notification-target.service';

@Resolver()
export class TestNotificationTargetResolver {
  constructor(private readonly service: TestNotificationTargetService) {}

  // Nullable: when one alias of a request is refused (rate limit), the others' answers still arrive.
  @Mutation(() => NotificationTargetTestResult, { nullable: true, description: 'Posts a test message to a notification target (ADMIN, or a MANAGE member of its application) and reports each step: resolving and checking its host, connecting, TLS, the answer' })
  @Roles(Role.ADMIN, Role.USER)
  @UseGuards(RateLimitGuard)
  testNotificationTarget(@CurrentPrincipal() principal: Principal, @Args('input', { description: 'The target' }) input: NotificationTargetIdInput): Promise<NotificationTargetTestResult> {
    return this.service.test(principal, input.id);
  }
}
