import { Field, ID, InputType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { IsIn, IsOptional, ValidateNested } from 'class-validator';
import { Identifier, MultiLineText, SingleLineText } from '@herald/contracts';
import { IsIanaTimeZone } from '../../i18n/validators';
import { LANGUAGES } from '../../i18n/languages';
import { MAIL_TEMPLATE_TYPES, MailTemplateType } from '../../notifications/mail-templates/mail-template-type';
import { LANGUAGE_MESSAGE, TEMPLATE_LIMITS } from '../../notifications/mail-templates/update-mail-template.input';

@InputType({ description: 'A template not saved: the parts given replace the saved ones in the preview' })
export class MailTemplateDraftInput {
  @Field(() => String, { nullable: true, description: 'The subject (Handlebars, one line); not for LAYOUT' })
  @IsOptional() @SingleLineText({ maxLength: TEMPLATE_LIMITS.subject })
  subject?: string;

  @Field(() => String, { nullable: true, description: 'The HTML part (Handlebars)' })
  @IsOptional() @MultiLineText({ maxLength: TEMPLATE_LIMITS.html })
  html?: string;

  @Field(() => String, { nullable: true, description: 'The plain-text part (Handlebars)' })
  @IsOptional() @MultiLineText({ maxLength: TEMPLATE_LIMITS.text })
  text?: string;
}

@InputType({ description: 'What to preview: a template (saved, or a draft) in a language and time zone, on a past event or the example one' })
export class PreviewMailTemplateInput {
  @Field(() => MailTemplateType, { description: "The event type, or LAYOUT (previewed on the event's own type, JOB_FAILED's example without one)" })
  @IsIn(MAIL_TEMPLATE_TYPES)
  type: MailTemplateType;

  @Field({ description: 'The language (en, fr)' })
  @IsIn(LANGUAGES, { message: LANGUAGE_MESSAGE })
  language: string;

  @Field({ description: 'The IANA time zone the times are written in, e.g. Europe/Paris' })
  @IsIanaTimeZone()
  timeZone: string;

  @Field(() => ID, { nullable: true, description: "A past event's id (of this type): the mail as it would be for it; the type's example event when absent" })
  @IsOptional() @Identifier({ maxLength: 255 })
  eventId?: string;

  @Field(() => MailTemplateDraftInput, { nullable: true, description: 'Parts not saved, checked as an update would be; the saved template when absent' })
  @IsOptional() @ValidateNested() @Type(() => MailTemplateDraftInput)
  draft?: MailTemplateDraftInput;
}
