import { ArgsType, Field, ID } from '@nestjs/graphql';
import { ExternalId } from '../../users/external-id';

@ArgsType()
export class ApplicationSubscribersArgs {
  @Field(() => ID, { description: 'The application' })
  @ExternalId()
  applicationId: string;
}
