import { Field, InputType } from '@nestjs/graphql';
import { IsEmail, MaxLength } from 'class-validator';

@InputType()
export class SendTestEmailInput {
  @Field({ description: 'Where to send the test mail' })
  @IsEmail({ require_tld: false }, { message: 'must be an email address' }) @MaxLength(320)
  to: string;
}
