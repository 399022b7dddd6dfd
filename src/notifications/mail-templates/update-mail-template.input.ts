import { Field, InputType } from '@nestjs/graphql';
import { IsIn, IsOptional } from 'class-validator';
import { MultiLineText, SingleLineText } from '@herald/contracts';
import { LANGUAGES } from '../../i18n/languages';
import { MAIL_TEMPLATE_TYPES, MailTemplateType } from './mail-template-type';

/** The most characters each part holds. */
export const TEMPLATE_LIMITS = { subject: 1_000, html: 100_000, text: 50_000 } as const;

export const LANGUAGE_MESSAGE = `must be a language Herald writes mails in: ${LANGUAGES.join(', ')}`;

@InputType({ description: 'A new version of a mail template; a part left out keeps the one in effect' })
export class UpdateMailTemplateInput {
  @Field(() => MailTemplateType, { description: 'The event type, or LAYOUT' }) @IsIn(MAIL_TEMPLATE_TYPES) type: MailTemplateType;

  @Field({ description: 'The language (en, fr)' })
  @IsIn(LANGUAGES, { message: LANGUAGE_MESSAGE })
  language: string;

  @Field(() => String, { nullable: true, description: `The subject (Handlebars, one line of plain text, at most ${TEMPLATE_LIMITS.subject} characters); not for LAYOUT` })
  @IsOptional() @SingleLineText({ maxLength: TEMPLATE_LIMITS.subject })
  subject?: string;

  @Field(() => String, { nullable: true, description: `The HTML part (Handlebars, at most ${TEMPLATE_LIMITS.html} characters)` })
  @IsOptional() @MultiLineText({ maxLength: TEMPLATE_LIMITS.html })
  html?: string;

  @Field(() => String, { nullable: true, description: `The plain-text part (Handlebars, at most ${TEMPLATE_LIMITS.text} characters)` })
  @IsOptional() @MultiLineText({ maxLength: TEMPLATE_LIMITS.text })
  text?: string;
}
