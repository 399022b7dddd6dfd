import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import type { JobEventEntity } from '../../job-events/entities/job-event.entity';
import { NotificationType, type NotifiedEvent } from '../../event-types/notification-type';

@ObjectType('EventApplication', { description: 'The application an event is about, as the event named it' })
export class EventApplicationModel {
  @Field(() => ID, { description: "The console's id of the application" }) id: string;
  @Field({ description: "The application's name when the event happened" }) name: string;
}

@ObjectType('JobEvent', { description: 'An event Herald received' })
export class JobEventModel {
  @Field(() => ID, { description: 'The id the producer gave the event (unique: publishing it again does nothing)' }) id: string;
  @Field(() => NotificationType, { description: 'What happened' }) type: NotificationType;
  @Field(() => Int, { description: 'Version of the wire format the event came in (docs/wire-format.md)' }) schemaVersion: number;
  @Field(() => EventApplicationModel, { description: 'The application it is about' }) application: EventApplicationModel;
  @Field({ description: 'When it happened, as the producer said' }) occurredAt: Date;
  @Field({ description: 'When Herald recorded it' }) receivedAt: Date;
  @Field({ description: 'emitter, graphql, http (POST /events) or broker' }) source: string;
  @Field(() => Int, { description: 'Deliveries planned' }) recipients: number;
  /** The event as stored, with what its history said (not in the API: its fields are above). */
  notified: NotifiedEvent;

  /** From the inbox's row, the event as received and the number of deliveries that refer to it. */
  static from(inbox: JobEventEntity, event: NotifiedEvent, deliveries: number): JobEventModel {
    return Object.assign(new JobEventModel(), {
      id: inbox.id,
      type: event.type,
      schemaVersion: event.schemaVersion,
      application: { id: event.application.id, name: event.application.name },
      occurredAt: new Date(event.occurredAt),
      receivedAt: inbox.receivedAt,
      source: inbox.source,
      recipients: deliveries,
      notified: event,
    });
  }
}
