import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { actorOf } from '../audit-log/audit-actor';
import { ReportMailboxSettingsModel } from './report-mailbox-settings.model';
import { ReportMailboxSettingsService } from './report-mailbox-settings.service';
import { UpdateReportMailboxSettingsInput } from './update-report-mailbox-settings.input';

@Resolver(() => ReportMailboxSettingsModel)
@Roles(Role.ADMIN)
export class ReportMailboxSettingsResolver {
  constructor(private readonly settings: ReportMailboxSettingsService) {}

  @Query(() => ReportMailboxSettingsModel, { description: 'The mailbox Herald reads bounce reports from (the password is never returned)' })
  async reportMailboxSettings(): Promise<ReportMailboxSettingsModel> {
    return ReportMailboxSettingsModel.from(await this.settings.get());
  }

  @Mutation(() => ReportMailboxSettingsModel, { description: 'Changes the report mailbox; the next look into it uses them' })
  async updateReportMailboxSettings(
    @Args('input', { description: 'The fields to change' }) input: UpdateReportMailboxSettingsInput,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ReportMailboxSettingsModel> {
    return ReportMailboxSettingsModel.from(await this.settings.update(input, actorOf(principal)));
  }
}
