import { Field, ID, InputType } from '@nestjs/graphql';
import { ExternalId } from '../external-id';
import { ProfileFields } from '../profile/profile-fields';

@InputType({ description: "Changes to a person's profile; absent fields keep their value, null clears one" })
export class UpdateUserInput extends ProfileFields {
  @Field(() => ID, { description: 'The person to change' })
  @ExternalId()
  userId: string;
}
