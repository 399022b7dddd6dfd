import { Inject, UseGuards } from '@nestjs/common';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Roles } from '../../auth/auth.decorators';
import { Role } from '../../auth/role.enum';
import { RateLimitGuard } from '../../auth/rate-limit.guard';
import { UpdateSmtpSettingsInput } from '../../settings/smtp-settings/update-smtp-settings.input';
import { SmtpSettingsService } from '../../settings/smtp-settings/smtp-settings.service';
import { RelayRole } from '../../settings/standby-settings/relay-role';
import { StandbySmtpSettingsService } from '../../settings/standby-settings/standby-smtp-settings.service';
import { SmtpCheckResult } from '../../smtp/smtp-gateway';
import { MAIL_TRANSPORT, type MailTransport } from '../mail-transport.port';

@Resolver()
export class VerifySmtpSettingsResolver {
  constructor(
    private readonly settings: SmtpSettingsService,
    private readonly standbySettings: StandbySmtpSettingsService,
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
    @Args('relay', { type: () => RelayRole, defaultValue: RelayRole.PRIMARY, description: "Whose settings: the primary's (smtpSettings) or the standby relay's (standbySmtpSettings)" }) relay: RelayRole = RelayRole.PRIMARY,
  ): Promise<SmtpCheckResult> {
    const settings = relay === RelayRole.STANDBY ? this.standbySettings : this.settings;
    return this.transport.verify(await settings.preview(input), relay);
  }
}
