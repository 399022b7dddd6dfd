import { Field, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('Recipient', { description: 'Someone who would receive a mail' })
export class RecipientModel {
  @Field(() => ID) userId: string;
  @Field() email: string;
  @Field(() => String, { nullable: true }) displayName: string | null;
  @Field(() => String, { nullable: true }) locale: string | null;
}
