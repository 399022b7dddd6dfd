import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Roles } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { Role } from '../../auth/role.enum';
import { actorOf } from '../../settings/audit-log/audit-actor';
import { MailTemplateModel, MailTemplateVariableModel, MailTemplateVersionModel } from './mail-template.model';
import { MailTemplateVariablesArgs, MailTemplatesArgs, MailTemplateVersionsArgs } from './mail-templates.args';
import { MailTemplatesService } from './mail-templates.service';
import { ResetMailTemplateInput } from './reset-mail-template.input';
import { RestoreMailTemplateVersionInput } from './restore-mail-template-version.input';
import { UpdateMailTemplateInput } from './update-mail-template.input';

/** Admins' templates of the mails: per event type (and the layout) and language, versioned, over Herald's own. */
@Resolver(() => MailTemplateModel)
@Roles(Role.ADMIN)
export class MailTemplatesResolver {
  constructor(private readonly templates: MailTemplatesService) {}

  @Query(() => [MailTemplateModel], { description: 'The templates mails are written with now, per type (LAYOUT first) and language: default or customised, with their version' })
  mailTemplates(@Args() { type, language }: MailTemplatesArgs): Promise<MailTemplateModel[]> {
    return this.templates.list({ type, language });
  }

  @Query(() => [MailTemplateVersionModel], { description: 'The saved versions of a template, newest (the one in effect) first; empty while never changed' })
  mailTemplateVersions(@Args() { type, language }: MailTemplateVersionsArgs): Promise<MailTemplateVersionModel[]> {
    return this.templates.versions(type, language);
  }

  @Query(() => [MailTemplateVariableModel], { description: "The variables a template of this type may use, with what each holds and its value for the type's example event" })
  mailTemplateVariables(@Args() { type }: MailTemplateVariablesArgs): MailTemplateVariableModel[] {
    return this.templates.variables(type);
  }

  @Mutation(() => MailTemplateModel, {
    description:
      "Saves a new version of a template (a part left out keeps the one in effect), after checking it: it compiles, uses only its type's variables and Herald's helpers, keeps the preferences link in both parts, and renders every example event of its type. The next mail uses it, in every process",
  })
  updateMailTemplate(@Args('input', { description: 'The template and the parts to change' }) input: UpdateMailTemplateInput, @CurrentPrincipal() principal: Principal): Promise<MailTemplateModel> {
    return this.templates.update(input, actorOf(principal));
  }

  @Mutation(() => MailTemplateModel, { description: "Puts a template back to Herald's default (a new version); nothing when it is the default already" })
  resetMailTemplate(@Args('input', { description: 'The template' }) input: ResetMailTemplateInput, @CurrentPrincipal() principal: Principal): Promise<MailTemplateModel> {
    return this.templates.reset(input, actorOf(principal));
  }

  @Mutation(() => MailTemplateModel, { description: 'Brings an earlier version of a template back, as a new version (checked as an update is)' })
  restoreMailTemplateVersion(@Args('input', { description: 'The version' }) input: RestoreMailTemplateVersionInput, @CurrentPrincipal() principal: Principal): Promise<MailTemplateModel> {
    return this.templates.restore(input.id, actorOf(principal));
  }
}
