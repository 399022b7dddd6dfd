import { UseGuards } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { Role } from '../auth/role.enum';
import { RateLimitGuard } from '../auth/rate-limit.guard';
import { SmtpCheckResult } from './check/smtp-check-result.model';
import { SmtpConnectionChecker, StepLog } from './check/smtp-connection-checker';
import { SecretDecryptionError } from '@herald/crypto';
import { UpdateSmtpSettingsInput } from './dto/update-smtp-settings.input';
import { SmtpSettingsModel } from './models/smtp-settings.model';
import { SmtpSettingsService } from './smtp-settings.service';

@Resolver(() => SmtpSettingsModel)
@Roles(Role.ADMIN)
export class SmtpSettingsResolver {
  constructor(
    private readonly settings: SmtpSettingsService,
    private readonly checker: SmtpConnectionChecker,
  ) {}

  @Query(() => SmtpSettingsModel, { description: 'The SMTP relay settings (the password is never returned)' })
  async smtpSettings(): Promise<SmtpSettingsModel> {
    return SmtpSettingsModel.from(await this.settings.get());
  }

  @Mutation(() => SmtpSettingsModel, { description: 'Changes the SMTP settings; the next mail uses them' })
  async updateSmtpSettings(
    @Args('input') input: UpdateSmtpSettingsInput,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SmtpSettingsModel> {
    return SmtpSettingsModel.from(await this.settings.update(input, principal.sub));
  }

  // Nullable: when one alias of a request is refused (rate limit), the others' answers still arrive.
  @Mutation(() => SmtpCheckResult, {
    nullable: true,
    description: 'Connects to the relay and reports each step; with input, checks those changes without saving them',
  })
  @UseGuards(RateLimitGuard)
  async verifySmtpSettings(
    @Args('input', { type: () => UpdateSmtpSettingsInput, nullable: true }) input?: UpdateSmtpSettingsInput,
  ): Promise<SmtpCheckResult> {
    const settings = await this.settings.preview(input);
    try {
      return await this.checker.check(this.settings.transportOptions(settings));
    } catch (error) {
      if (!(error instanceof SecretDecryptionError)) throw error;
      const log = new StepLog();
      log.unreadablePassword(error);
      return log.result();
    }
  }
}
