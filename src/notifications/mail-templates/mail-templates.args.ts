import { ArgsType, Field } from '@nestjs/graphql';
import { IsIn, IsOptional } from 'class-validator';
import { LANGUAGES } from '../../i18n/languages';
import { MAIL_TEMPLATE_TYPES, MailTemplateType } from './mail-template-type';
import { LANGUAGE_MESSAGE } from './update-mail-template.input';

@ArgsType()
export class MailTemplatesArgs {
  @Field(() => MailTemplateType, { nullable: true, description: 'Only this type (or LAYOUT); all when absent' })
  @IsOptional() @IsIn(MAIL_TEMPLATE_TYPES)
  type?: MailTemplateType;

  @Field(() => String, { nullable: true, description: 'Only this language; all when absent' })
  @IsOptional() @IsIn(LANGUAGES, { message: LANGUAGE_MESSAGE })
  language?: string;
}

@ArgsType()
export class MailTemplateVersionsArgs {
  @Field(() => MailTemplateType, { description: 'The event type, or LAYOUT' }) @IsIn(MAIL_TEMPLATE_TYPES) type: MailTemplateType;

  @Field({ description: 'The language (en, fr)' })
  @IsIn(LANGUAGES, { message: LANGUAGE_MESSAGE })
  language: string;
}

@ArgsType()
export class MailTemplateVariablesArgs {
  @Field(() => MailTemplateType, { description: 'The event type, or LAYOUT' }) @IsIn(MAIL_TEMPLATE_TYPES) type: MailTemplateType;
}
