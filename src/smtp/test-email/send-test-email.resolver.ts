import { UseGuards } from '@nestjs/common';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Roles } from '../../auth/auth.decorators';
import { Role } from '../../auth/role.enum';
import { RateLimitGuard } from '../../graphql/rate-limit.guard';
import { SmtpCheckResult } from '../smtp-check-result.model';
import { SendTestEmailInput } from './send-test-email.input';
import { SendTestEmailService } from './send-test-email.service';

@Resolver()
export class SendTestEmailResolver {
  constructor(private readonly testEmail: SendTestEmailService) {}

  // Nullable: when one alias of a request is refused (rate limit), the others' answers still arrive.
  @Mutation(() => SmtpCheckResult, { nullable: true, description: 'Sends a real test mail through the saved settings and reports the outcome' })
  @Roles(Role.ADMIN)
  @UseGuards(RateLimitGuard)
  sendTestEmail(@Args('input') input: SendTestEmailInput): Promise<SmtpCheckResult> {
    return this.testEmail.send(input.to);
  }
}
