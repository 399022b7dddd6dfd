import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { JobEventType } from '../../../libs/contracts/src';

// The fields mirror the wire format (libs/contracts), whose parser validates them
// (the resolver keeps the API's validation pipe out of it).

@InputType({ description: 'The application an event is about' })
export class ApplicationRefInput {
  @Field(() => ID, { description: "The console's id of the application (managers of it get the mail)" }) id: string;
  @Field({ description: 'Its name, shown in the mail' }) name: string;
}

@InputType({ description: 'The background job an event is about' })
export class JobRefInput {
  @Field(() => ID, { description: "The console's id of the job (shown in the mail and used in its link)" }) id: string;
  @Field({ description: 'analysis, snapshot, …' }) kind: string;
  @Field({ nullable: true, description: 'ISO-8601' }) startedAt?: string;
  @Field({ nullable: true, description: 'ISO-8601' }) endedAt?: string;
}

@InputType({ description: 'Why a job failed, as shown in the mail' })
export class JobErrorInput {
  @Field({ description: 'The error, in one line' }) message: string;
  @Field({ nullable: true, description: 'The step of the job that failed, e.g. Run analyzer' }) step?: string;
  @Field({ nullable: true, description: "The last lines of the job's log, shown as-is" }) logExcerpt?: string;
}

@InputType({ description: 'A person of the console named in a mail (who stopped a job, who created something)' })
export class PersonRefInput {
  @Field(() => ID, { description: "The person's id in the console" }) id: string;
  @Field({ nullable: true, description: 'Their name as shown in the mail (the id when absent)' }) name?: string;
}

@InputType({ description: 'A version of an application' })
export class VersionRefInput {
  @Field({ description: "The version's name, e.g. 2.4.0" }) name: string;
  @Field(() => ID, { nullable: true, description: "The console's id of the version" }) id?: string;
}

@InputType({ description: 'A job event in the wire format of docs/wire-format.md' })
export class PublishJobEventInput {
  @Field(() => Int, { defaultValue: 1, description: 'Version of the wire format; 1, the only one so far' }) schemaVersion: number;
  @Field(() => ID, { description: 'Unique per event: publishing the same id again does nothing' }) id: string;
  @Field(() => JobEventType, { description: 'What happened; it says which of job, error, stoppedBy, createdBy and version are expected' }) type: JobEventType;
  @Field({ description: 'When it happened, ISO-8601 with a time zone' }) occurredAt: string;
  @Field(() => ApplicationRefInput, { description: 'The application it is about' }) application: ApplicationRefInput;
  @Field(() => JobRefInput, { nullable: true, description: 'JOB_SUCCEEDED, JOB_FAILED, JOB_STOPPED' }) job?: JobRefInput;
  @Field(() => JobErrorInput, { nullable: true, description: 'JOB_FAILED' }) error?: JobErrorInput;
  @Field(() => PersonRefInput, { nullable: true, description: 'JOB_STOPPED' }) stoppedBy?: PersonRefInput;
  @Field(() => PersonRefInput, { nullable: true, description: 'APPLICATION_CREATED, VERSION_CREATED' }) createdBy?: PersonRefInput;
  @Field(() => VersionRefInput, { nullable: true, description: 'VERSION_CREATED' }) version?: VersionRefInput;
}

@ObjectType({ description: 'What Herald did with a published event' })
export class PublishJobEventResult {
  @Field(() => ID, { description: "The event's id, as published" }) eventId: string;
  @Field({ description: 'The id was seen before: nothing was done again' }) duplicate: boolean;
  @Field(() => Int, { description: 'Mails planned' }) deliveries: number;
}
