import { Inject, UseGuards } from '@nestjs/common';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Roles } from '../../auth/auth.decorators';
import { Role } from '../../auth/role.enum';
import { RateLimitGuard } from '../../auth/rate-limit.guard';
import { UpdateSmtpSettingsInput } from '../../settings/smtp-settings/update-smtp-settings.input';
import { SmtpSettingsService } from '../../settings/smtp-settings/smtp-settings.service';
import { SmtpCheckResult } from '../../smtp/smtp-gateway';
import { MAIL_TRANSPORT, type MailTransport } from '../mail-transport.port';

@Resolver()
export class VerifySmtpSettingsResolver {
  constructor(
    private readonly settings: SmtpSettingsService,
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport,
  ) {}

  // Nullable: when one alias of a request is refused (rate limit), the others' answers still arrive.
  @Mutation(() => SmtpCheckResult, {
    nullable: true,
    description: 'Checks the way out step by step without sending mail (the relay: connect to AUTH; Microsoft Graph: TOKEN, MAILBOX); with input, checks those changes without saving them',
  })
  @Roles(Role.ADMIN)
  @UseGuards(RateLimitGuard)
  async verifySmtpSettings(
    @Args('input', { type: () => UpdateSmtpSettingsInput, nullable: true, description: 'Settings to try instead of the saved ones (merged over them, not saved); absent checks the saved ones' }) input?: UpdateSmtpSettingsInput,
  ): Promise<SmtpCheckResult> {
    return this.transport.verify(await this.settings.preview(input));
  }
}
