import { Inject, UseGuards } from '@nestjs/common';
import { Mutation, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { RateLimitGuard } from '../../auth/rate-limit.guard';
import { Role } from '../../auth/role.enum';
import { BadUserInputError } from '../../graphql/graphql-errors';
import { SmtpCheckResult } from '../../smtp/smtp-gateway';
import { UsersService } from '../../users/users.service';
import { MAIL_TRANSPORT, type MailTransport } from '../mail-transport.port';

/** The test mail a person sends themselves from their profile, as the product Herald replaces lets them. */
@Resolver()
export class SendMeTestEmailResolver {
  constructor(
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport,
    private readonly users: UsersService,
  ) {}

  // Nullable, like sendTestEmail: an alias refused by the rate limit leaves the others' answers.
  @Mutation(() => SmtpCheckResult, { nullable: true, description: "Sends the test mail to your own profile's email address through the saved settings and reports the outcome step by step" })
  @Roles(Role.USER, Role.ADMIN)
  @UseGuards(RateLimitGuard)
  async sendMeTestEmail(@CurrentPrincipal() principal: Principal): Promise<SmtpCheckResult> {
    const { email } = await this.users.get(principal.sub);
    if (!email) throw BadUserInputError.field('email', 'your profile has no email address: set one with updateMyProfile first');
    return this.transport.sendTest(email);
  }
}
