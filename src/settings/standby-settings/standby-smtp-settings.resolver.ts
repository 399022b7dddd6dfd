import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { actorOf } from '../audit-log/audit-actor';
import { SmtpSettingsModel } from '../smtp-settings/smtp-settings.model';
import { UpdateSmtpSettingsInput } from '../smtp-settings/update-smtp-settings.input';
import { StandbySmtpSettingsService } from './standby-smtp-settings.service';

/** The standby relay's settings: the same type and input as the primary's (smtpSettings, updateSmtpSettings). */
@Resolver(() => SmtpSettingsModel)
@Roles(Role.ADMIN)
export class StandbySmtpSettingsResolver {
  constructor(private readonly settings: StandbySmtpSettingsService) {}

  @Query(() => SmtpSettingsModel, {
    description: 'The standby relay: the way out (SMTP or Microsoft Graph) every mail takes while the primary is DOWN; configured false while unset. Secrets are never returned',
  })
  async standbySmtpSettings(): Promise<SmtpSettingsModel> {
    return SmtpSettingsModel.from(await this.settings.get());
  }

  @Mutation(() => SmtpSettingsModel, {
    description: "Changes the standby relay's settings (the same fields and rules as updateSmtpSettings; gatewayUri is the primary's); mail takes it while the primary is DOWN",
  })
  async updateStandbySmtpSettings(
    @Args('input', { description: 'The fields to change' }) input: UpdateSmtpSettingsInput,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SmtpSettingsModel> {
    return SmtpSettingsModel.from(await this.settings.update(input, actorOf(principal)));
  }

  @Mutation(() => SmtpSettingsModel, { description: 'Removes the standby relay (its settings and secrets): while the primary is DOWN, mail waits for it again' })
  async clearStandbySmtpSettings(@CurrentPrincipal() principal: Principal): Promise<SmtpSettingsModel> {
    return SmtpSettingsModel.from(await this.settings.clear(actorOf(principal)));
  }
}
