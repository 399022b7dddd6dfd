import { Field, ID, InputType } from '@nestjs/graphql';
import { SingleLineText } from '@herald/contracts';
import { ExternalId } from '../external-id';

@InputType({ description: 'An application of the console' })
export class CreateApplicationInput {
  @Field(() => ID, { description: "The console's id of the application" })
  @ExternalId()
  id: string;

  @Field({ description: 'Its name, as shown in mails' })
  @SingleLineText({ maxLength: 255 })
  name: string;
}

@InputType({ description: 'An application and its new name' })
export class UpdateApplicationInput extends CreateApplicationInput {}

@InputType({ description: 'The application to delete' })
export class DeleteApplicationInput {
  @Field(() => ID, { description: "The console's id of the application" })
  @ExternalId()
  id: string;
}
