import { Field, InputType } from '@nestjs/graphql';
import { EmailAddress } from '../../../libs/contracts/src/address-rules';

@InputType()
export class SendTestEmailInput {
  @Field({ description: 'Where to send the test mail' })
  @EmailAddress()
  to: string;
}
