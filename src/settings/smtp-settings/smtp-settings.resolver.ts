import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { actorOf } from '../audit-log/audit-actor';
import { UpdateSmtpSettingsInput } from './update-smtp-settings.input';
import { SmtpSettingsModel } from './smtp-settings.model';
import { SmtpSettingsService } from './smtp-settings.service';

@Resolver(() => SmtpSettingsModel)
@Roles(Role.ADMIN)
export class SmtpSettingsResolver {
  constructor(private readonly settings: SmtpSettingsService) {}

  @Query(() => SmtpSettingsModel, { description: 'The SMTP relay settings (the password is never returned)' })
  async smtpSettings(): Promise<SmtpSettingsModel> {
    return SmtpSettingsModel.from(await this.settings.get());
  }

  @Mutation(() => SmtpSettingsModel, { description: 'Changes the SMTP settings; the next mail uses them' })
  async updateSmtpSettings(
    @Args('input', { description: 'The fields to change' }) input: UpdateSmtpSettingsInput,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SmtpSettingsModel> {
    return SmtpSettingsModel.from(await this.settings.update(input, actorOf(principal)));
  }
}
