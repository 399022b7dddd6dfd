import { ArgsType, Field, ID } from '@nestjs/graphql';
import { ExternalId } from '../external-id';

@ArgsType()
export class ApplicationDefaultsArgs {
  @Field(() => ID, { description: 'The application' })
  @ExternalId()
  applicationId: string;
}
