import { Field, InputType } from '@nestjs/graphql';
import { IsBoolean, IsLocale, IsOptional } from 'class-validator';
import { SingleLineText } from '@herald/contracts';
import { EmailAddress } from '@herald/contracts/address-rules';
import { IsIanaTimeZone } from '../../i18n/validators';

/** The editable fields of a profile; absent keeps, null clears (email, locale, time zone, display name). */
@InputType({ isAbstract: true })
export class ProfileFields {
  @Field(() => String, { nullable: true, description: 'Where mails go; null clears it (no mail then)' })
  @IsOptional() @EmailAddress()
  email?: string | null;

  @Field({ nullable: true, description: 'The profile switch: false stops every mail' })
  @IsOptional() @IsBoolean()
  notificationsEnabled?: boolean;

  @Field(() => String, { nullable: true, description: 'BCP 47 language tag, e.g. en or fr-FR' })
  @IsOptional() @SingleLineText({ maxLength: 35 }) @IsLocale({ message: 'must be a language tag such as en or fr-FR' })
  locale?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone of the times in your mails, e.g. Europe/Paris; null: the default the admin set' })
  @IsOptional() @IsIanaTimeZone()
  timeZone?: string | null;

  @Field(() => String, { nullable: true, description: 'The name used in mails; null or empty clears it' })
  @IsOptional() @SingleLineText({ maxLength: 255, allowEmpty: true })
  displayName?: string | null;
}
