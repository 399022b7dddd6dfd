import { Field, InputType } from '@nestjs/graphql';
import { IsOptional } from 'class-validator';
import { IsIanaTimeZone, IsMailLanguage } from '../../i18n/validators';

/** A partial update of the mail defaults: absent keeps, null clears. The same rules check the seed. */
@InputType({ description: 'Mail defaults to change; absent fields keep their value, null clears one' })
export class UpdateMailDefaultsInput {
  @Field(() => String, { nullable: true, description: 'Language of the mails of people who set none (BCP 47: en, fr, fr-CA); null: English' })
  @IsOptional() @IsMailLanguage()
  language?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone of the times in the mails of people who set none, e.g. Europe/Paris; null: UTC' })
  @IsOptional() @IsIanaTimeZone()
  timeZone?: string | null;
}
