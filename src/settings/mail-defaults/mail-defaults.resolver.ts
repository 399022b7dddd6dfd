import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { actorOf } from '../audit-log/audit-actor';
import { MailDefaultsModel } from './mail-defaults.model';
import { MailDefaultsService } from './mail-defaults.service';
import { UpdateMailDefaultsInput } from './update-mail-defaults.input';

@Resolver(() => MailDefaultsModel)
@Roles(Role.ADMIN)
export class MailDefaultsResolver {
  constructor(private readonly defaults: MailDefaultsService) {}

  @Query(() => MailDefaultsModel, { description: 'The language and time zone of the mails of people who set none' })
  async mailDefaults(): Promise<MailDefaultsModel> {
    return MailDefaultsModel.from(await this.defaults.get());
  }

  @Mutation(() => MailDefaultsModel, { description: 'Changes the default language or time zone of mails; the next mail uses them' })
  async updateMailDefaults(
    @Args('input', { description: 'The defaults to change' }) input: UpdateMailDefaultsInput,
    @CurrentPrincipal() principal: Principal,
  ): Promise<MailDefaultsModel> {
    return MailDefaultsModel.from(await this.defaults.update(input, actorOf(principal)));
  }
}
