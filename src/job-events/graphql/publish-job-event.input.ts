import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { JobEventType } from '@herald/contracts';

// The fields mirror the wire format (libs/contracts), whose parser validates them
// (the resolver keeps the API's validation pipe out of it).

@InputType()
export class ApplicationRefInput {
  @Field(() => ID) id: string;
  @Field() name: string;
}

@InputType()
export class JobRefInput {
  @Field(() => ID) id: string;
  @Field({ description: 'analysis, snapshot, …' }) kind: string;
  @Field({ nullable: true, description: 'ISO-8601' }) startedAt?: string;
  @Field({ nullable: true, description: 'ISO-8601' }) endedAt?: string;
}

@InputType()
export class JobErrorInput {
  @Field() message: string;
  @Field({ nullable: true }) step?: string;
  @Field({ nullable: true }) logExcerpt?: string;
}

@InputType()
export class PersonRefInput {
  @Field(() => ID) id: string;
  @Field({ nullable: true }) name?: string;
}

@InputType()
export class VersionRefInput {
  @Field() name: string;
  @Field(() => ID, { nullable: true }) id?: string;
}

@InputType({ description: 'A job event in the wire format of docs/wire-format.md' })
export class PublishJobEventInput {
  @Field(() => Int, { defaultValue: 1 }) schemaVersion: number;
  @Field(() => ID, { description: 'Unique per event: publishing the same id again does nothing' }) id: string;
  @Field(() => JobEventType) type: JobEventType;
  @Field({ description: 'When it happened, ISO-8601 with a time zone' }) occurredAt: string;
  @Field(() => ApplicationRefInput) application: ApplicationRefInput;
  @Field(() => JobRefInput, { nullable: true, description: 'JOB_SUCCEEDED, JOB_FAILED, JOB_STOPPED' }) job?: JobRefInput;
  @Field(() => JobErrorInput, { nullable: true, description: 'JOB_FAILED' }) error?: JobErrorInput;
  @Field(() => PersonRefInput, { nullable: true, description: 'JOB_STOPPED' }) stoppedBy?: PersonRefInput;
  @Field(() => PersonRefInput, { nullable: true, description: 'APPLICATION_CREATED, VERSION_CREATED' }) createdBy?: PersonRefInput;
  @Field(() => VersionRefInput, { nullable: true, description: 'VERSION_CREATED' }) version?: VersionRefInput;
}

@ObjectType()
export class PublishJobEventResult {
  @Field(() => ID) eventId: string;
  @Field({ description: 'The id was seen before: nothing was done again' }) duplicate: boolean;
  @Field(() => Int, { description: 'Mails planned' }) deliveries: number;
}
