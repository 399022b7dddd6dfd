import { Field, InputType } from '@nestjs/graphql';
import { IsIn } from 'class-validator';
import { LANGUAGES } from '../../i18n/languages';
import { MAIL_TEMPLATE_TYPES, MailTemplateType } from './mail-template-type';
import { LANGUAGE_MESSAGE } from './update-mail-template.input';

@InputType({ description: "Which template goes back to Herald's default" })
export class ResetMailTemplateInput {
  @Field(() => MailTemplateType, { description: 'The event type, or LAYOUT' }) @IsIn(MAIL_TEMPLATE_TYPES) type: MailTemplateType;

  @Field({ description: 'The language (en, fr)' })
  @IsIn(LANGUAGES, { message: LANGUAGE_MESSAGE })
  language: string;
}
