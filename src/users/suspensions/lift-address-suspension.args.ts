import { ArgsType, Field } from '@nestjs/graphql';
import { SingleLineText } from '@herald/contracts';

@ArgsType()
export class LiftAddressSuspensionArgs {
  @Field({ description: 'The suspended address (any case)' })
  @SingleLineText({ maxLength: 320 })
  address: string;
}
