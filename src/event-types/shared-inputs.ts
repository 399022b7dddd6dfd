import { Field, ID, InputType } from '@nestjs/graphql';

// Parts of publishJobEvent's input that several event types carry. The fields mirror
// the wire format (libs/contracts), whose parser validates them.

@InputType()
export class JobRefInput {
  @Field(() => ID) id: string;
  @Field({ description: 'analysis, snapshot, …' }) kind: string;
  @Field({ nullable: true, description: 'ISO-8601' }) startedAt?: string;
  @Field({ nullable: true, description: 'ISO-8601' }) endedAt?: string;
}

@InputType()
export class PersonRefInput {
  @Field(() => ID) id: string;
  @Field({ nullable: true }) name?: string;
}
