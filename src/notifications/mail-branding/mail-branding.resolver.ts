import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { actorOf } from '../../settings/audit-log/audit-actor';
import { MailBrandingModel } from './mail-branding.model';
import { MailBrandingService } from './mail-branding.service';
import { UpdateMailBrandingInput } from './update-mail-branding.input';

@Resolver(() => MailBrandingModel)
@Roles(Role.ADMIN)
export class MailBrandingResolver {
  constructor(private readonly branding: MailBrandingService) {}

  @Query(() => MailBrandingModel, { description: "The mails' branding: product name, logo, accent colour, footer, help link" })
  mailBranding(): Promise<MailBrandingModel> {
    return this.branding.get();
  }

  @Mutation(() => MailBrandingModel, { description: "Changes the mails' branding; the next mail shows it, in every process" })
  updateMailBranding(@Args('input', { description: 'What to change' }) input: UpdateMailBrandingInput, @CurrentPrincipal() principal: Principal): Promise<MailBrandingModel> {
    return this.branding.update(input, actorOf(principal));
  }
}
