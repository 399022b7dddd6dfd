import { Field, InputType } from '@nestjs/graphql';
import { IsBoolean, IsEmail, IsLocale, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

const NO_LINE_BREAKS = /^[^\r\n]*$/;

/** The editable fields of a profile; absent keeps, null clears (email, locale, display name). */
@InputType({ isAbstract: true })
export class ProfileFields {
  @Field(() => String, { nullable: true })
  @IsOptional() @IsString() @MaxLength(320) @IsEmail({ require_tld: false }, { message: 'must be an email address' })
  email?: string | null;

  @Field({ nullable: true })
  @IsOptional() @IsBoolean()
  notificationsEnabled?: boolean;

  @Field(() => String, { nullable: true, description: 'BCP 47 language tag, e.g. en or fr-FR' })
  @IsOptional() @IsString() @MaxLength(35) @IsLocale({ message: 'must be a language tag such as en or fr-FR' })
  locale?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional() @IsString() @MaxLength(255) @Matches(NO_LINE_BREAKS, { message: 'must not contain line breaks' })
  displayName?: string | null;
}
