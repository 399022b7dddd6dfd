import { Field, InputType } from '@nestjs/graphql';
import { EmailAddress } from '@herald/contracts/address-rules';

@InputType({ description: 'Where to send a test mail' })
export class SendTestEmailInput {
  @Field({ description: 'Where to send the test mail' })
  @EmailAddress()
  to: string;
}
