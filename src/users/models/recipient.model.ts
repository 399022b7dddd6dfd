import { Field, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('Recipient', { description: 'Someone who would receive a mail' })
export class RecipientModel {
  @Field(() => ID, { description: "The person's id" }) userId: string;
  @Field({ description: 'Where the mail would go' }) email: string;
  @Field(() => String, { nullable: true, description: 'Their name, as the mail would greet them' }) displayName: string | null;
  @Field(() => String, { nullable: true, description: 'The language of their mail (BCP 47), when set' }) locale: string | null;
  @Field(() => String, { nullable: true, description: 'The time zone of their mail (IANA), when set' }) timeZone: string | null;
}
