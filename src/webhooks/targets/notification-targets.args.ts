import { ArgsType, Field, ID } from '@nestjs/graphql';
import { ExternalId } from '../../users/external-id';

@ArgsType()
export class NotificationTargetsArgs {
  @Field(() => ID, { description: "The application's id in the console" })
  @ExternalId()
  applicationId: string;
}
