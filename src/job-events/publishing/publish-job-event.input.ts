import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { eventInputFields } from '../../event-types/registry';
import { NotificationType } from '../../event-types/notification-type';

// The fields mirror the wire format (libs/contracts), whose parser validates them
// (the resolver keeps the API's validation pipe out of it).

@InputType({ description: 'The application an event is about' })
export class ApplicationRefInput {
  @Field(() => ID, { description: "The console's id of the application (managers of it get the mail)" }) id: string;
  @Field({ description: 'Its name, shown in the mail' }) name: string;
}

@InputType({ description: 'A job event in the wire format of docs/wire-format.md' })
export class PublishJobEventInput {
  @Field(() => Int, { defaultValue: 1, description: 'Version of the wire format: 1, or 2 for the managers of APPLICATION_CREATED' }) schemaVersion: number;
  @Field(() => ID, { description: 'Unique per event: publishing the same id again does nothing' }) id: string;
  @Field(() => NotificationType, { description: 'What happened; it says which of job, error, stoppedBy, createdBy and version are expected' }) type: NotificationType;
  @Field({ description: 'When it happened, ISO-8601 with a time zone' }) occurredAt: string;
  @Field(() => ApplicationRefInput, { description: 'The application it is about' }) application: ApplicationRefInput;
}

// The fields of each type (job, error, …) come from its folder in src/event-types/, described by the types that carry them.
for (const [name, field] of eventInputFields()) {
  Field(field.type, { nullable: true, description: field.types.join(', ') })(PublishJobEventInput.prototype, name);
}

@ObjectType({ description: 'What Herald did with a published event' })
export class PublishJobEventResult {
  @Field(() => ID, { description: "The event's id, as published" }) eventId: string;
  @Field({ description: 'The id was seen before: nothing was done again' }) duplicate: boolean;
  @Field(() => Int, { description: 'Mails planned' }) deliveries: number;
}

@ObjectType({ description: 'A field of a published event that is not valid' })
export class JobEventProblem {
  @Field({ description: "The field's path in the event, e.g. occurredAt or application.id" }) field: string;
  @Field({ description: 'What is wrong with it' }) message: string;
}

@ObjectType({ description: 'What Herald did with one event of a publishJobEvents batch: its result, or why it was refused' })
export class PublishJobEventsOutcome {
  @Field(() => Int, { description: 'Where the event is in the batch, from 0' }) index: number;
  @Field(() => PublishJobEventResult, { nullable: true, description: 'Accepted (or a duplicate): what was done; null when the event was refused' })
  result: PublishJobEventResult | null;
  @Field(() => [JobEventProblem], { description: 'Why the event was refused, one entry per invalid field; empty when it was accepted' })
  problems: JobEventProblem[];
}
