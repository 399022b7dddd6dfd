import { Field, ID, InputType } from '@nestjs/graphql';
import { Matches } from 'class-validator';

@InputType({ description: 'One notification target' })
export class NotificationTargetIdInput {
  @Field(() => ID, { description: "The target's id (NotificationTarget.id)" })
  @Matches(/^\d{1,15}$/, { message: 'must be the id of a notification target' })
  id: string;
}
