import { Inject, UseGuards } from '@nestjs/common';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Roles } from '../../auth/auth.decorators';
import { Role } from '../../auth/role.enum';
import { RateLimitGuard } from '../../auth/rate-limit.guard';
import { SmtpCheckResult } from '../../smtp/smtp-gateway';
import { MAIL_TRANSPORT, type MailTransport } from '../mail-transport.port';
import { SendTestEmailInput } from './send-test-email.input';

@Resolver()
export class SendTestEmailResolver {
  constructor(@Inject(MAIL_TRANSPORT) private readonly transport: MailTransport) {}

  // Nullable: when one alias of a request is refused (rate limit), the others' answers still arrive.
  @Mutation(() => SmtpCheckResult, { nullable: true, description: 'Sends a real test mail through the saved settings (the relay or Microsoft Graph; the primary, or the standby relay with relay STANDBY) and reports the outcome' })
  @Roles(Role.ADMIN)
  @UseGuards(RateLimitGuard)
  sendTestEmail(@Args('input', { description: 'Where to send the test mail' }) input: SendTestEmailInput): Promise<SmtpCheckResult> {
    return this.transport.sendTest(input.to, input.relay);
  }
}
