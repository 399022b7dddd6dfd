import { Field, ID, InputType } from '@nestjs/graphql';

// Parts of publishJobEvent's input that several event types carry. The fields mirror
// the wire format (libs/contracts), whose parser validates them.

@InputType({ description: 'The background job an event is about' })
export class JobRefInput {
  @Field(() => ID, { description: "The console's id of the job (shown in the mail and used in its link)" }) id: string;
  @Field({ description: 'analysis, snapshot, …' }) kind: string;
  @Field({ nullable: true, description: 'ISO-8601' }) startedAt?: string;
  @Field({ nullable: true, description: 'ISO-8601' }) endedAt?: string;
}

@InputType({ description: 'A person of the console named in a mail (who stopped a job, who created something)' })
export class PersonRefInput {
  @Field(() => ID, { description: "The person's id in the console" }) id: string;
  @Field({ nullable: true, description: 'Their name as shown in the mail (the id when absent)' }) name?: string;
}

@InputType({ description: 'A person who manages an application from its creation (schemaVersion 2): recorded with MANAGE before anyone is mailed' })
export class ManagerRefInput {
  @Field(() => ID, { description: "The person's id in the console" }) id: string;
  @Field({ nullable: true, description: 'Their display name (fills a person Herald does not know yet)' }) name?: string;
  @Field({ nullable: true, description: 'Their email address (fills a person Herald does not know yet)' }) email?: string;
}
