import { UseGuards } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { RateLimitGuard } from '../../auth/rate-limit.guard';
import { Role } from '../../auth/role.enum';
import { MailPreviewModel, SentMailPreviewModel } from './mail-preview.model';
import { MailPreviewService } from './mail-preview.service';
import { PreviewMailTemplateInput } from './preview-mail-template.input';

/** Admins see a template's mail before (or after) saving it, and send it to themselves. */
@Resolver(() => MailPreviewModel)
@Roles(Role.ADMIN)
export class MailPreviewResolver {
  constructor(private readonly previews: MailPreviewService) {}

  @Query(() => MailPreviewModel, {
    description: "The mail exactly as Herald would send it (subject, both parts, the headers that matter, addressed to you) for a past event or the type's example, with the saved template or a draft",
  })
  previewMailTemplate(@Args('input', { description: 'What to preview' }) input: PreviewMailTemplateInput, @CurrentPrincipal() principal: Principal): Promise<MailPreviewModel> {
    return this.previews.preview(input, principal.sub);
  }

  @Mutation(() => SentMailPreviewModel, { description: "Sends that preview to your profile's email address, through the transport mails go through" })
  @UseGuards(RateLimitGuard)
  sendMailTemplatePreview(@Args('input', { description: 'What to preview' }) input: PreviewMailTemplateInput, @CurrentPrincipal() principal: Principal): Promise<SentMailPreviewModel> {
    return this.previews.send(input, principal.sub);
  }
}
